"""Shared fixtures: a real embedded server in a subprocess.

``live_server`` is one running server (2 slots, 1 s kill grace) on an
ephemeral loopback port with a fresh data dir. ``server_factory`` starts more
(other slot counts, a shared data dir) and every server it made is stopped at
the end of the test. A :class:`ServerProcess` can be SIGKILLed (a crash),
stopped cleanly (SIGTERM) and restarted on the same data dir.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from inductiva_top.server import launcher

# The fault and abuse counts printed at the end of a run (tests/tally.py).
from tests.tally import pytest_runtest_logreport, pytest_terminal_summary, tally  # noqa: F401


class ServerProcess(launcher.ServerProcess):
    """The launcher's server process, plus an httpx client factory for tests."""

    def __init__(
        self,
        data_dir: Path,
        *,
        slots: int = 2,
        kill_grace: float = 1.0,
        args: list[str] | None = None,
    ) -> None:
        super().__init__(data_dir, slots=slots, kill_grace=kill_grace, extra_args=tuple(args or ()))

    def client(self, **kwargs: Any) -> httpx.Client:
        """An httpx client with the base URL and the API key set."""
        return httpx.Client(base_url=self.base_url, headers=self.headers, timeout=10.0, **kwargs)


ServerFactory = Callable[..., ServerProcess]


@contextlib.contextmanager
def _servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerFactory]:
    made: list[ServerProcess] = []

    def make(
        *,
        slots: int = 2,
        kill_grace: float = 1.0,
        data_dir: Path | None = None,
        args: list[str] | None = None,
    ) -> ServerProcess:
        root = data_dir or tmp_path_factory.mktemp("server") / "data"
        server = ServerProcess(root, slots=slots, kill_grace=kill_grace, args=args)
        made.append(server)
        return server.start()

    try:
        yield make
    finally:
        for server in made:
            server.stop()


@pytest.fixture
def server_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerFactory]:
    """``make(slots=2, kill_grace=1.0, data_dir=None, args=None)`` -> a started server.

    ``args`` are added to the ``serve`` command line; the server inherits the
    test's environment (``monkeypatch.setenv`` before ``make`` to change it).

    Every server it started is stopped at the end of the test.
    """
    with _servers(tmp_path_factory) as make:
        yield make


@pytest.fixture
def live_server(server_factory: ServerFactory) -> ServerProcess:
    """A running server: 2 slots, 1 s kill grace, fresh data dir, ephemeral loopback port."""
    return server_factory()


@pytest.fixture(scope="module")
def module_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server shared by a test module (4 slots): for tests that need no fresh state.

    Starting a server costs a second or more; tests that only submit their own
    tasks and look at those can share one.
    """
    with _servers(tmp_path_factory) as make:
        yield make(slots=4)
