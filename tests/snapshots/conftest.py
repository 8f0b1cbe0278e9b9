"""The seeded server the dashboard's snapshots are taken over (one per test module)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from inductiva_top.demo.scenarios import seeded_server
from inductiva_top.server.launcher import ServerProcess


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A started server on the seeded tasks, stopped after the module's tests."""
    started = seeded_server(tmp_path_factory.mktemp("seeded") / "data")
    yield started
    started.stop()
