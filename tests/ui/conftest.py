"""A server seeded once per module: quick successes, failures, running and waiting tasks."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from tests.conftest import ServerProcess
from tests.server.task_helpers import submit, wait_status
from tests.ui.dashboard_helpers import FAILING, LONG, QUICK


@dataclass
class Seeded:
    """A running server and the ids of what was submitted to it, by kind."""

    server: ServerProcess
    success: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    running: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.success) + len(self.failed) + len(self.running) + len(self.waiting)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    """2 slots: 6 successes (alpha), 2 failures (beta), 2 running and 1 waiting (gamma)."""
    server = ServerProcess(tmp_path_factory.mktemp("seeded") / "data", slots=2).start()
    seeded = Seeded(server)
    try:
        with server.client() as client:
            for _ in range(6):
                seeded.success.append(submit(client, QUICK, project="alpha"))
            for _ in range(2):
                seeded.failed.append(submit(client, FAILING, project="beta"))
            for task_id in seeded.success + seeded.failed:
                wait_status(client, task_id)
            seeded.running = [submit(client, LONG, project="gamma") for _ in range(2)]
            for task_id in seeded.running:
                wait_status(client, task_id, "computation-started")
            seeded.waiting.append(submit(client, LONG, project="gamma"))
        yield seeded
    finally:
        server.stop()
