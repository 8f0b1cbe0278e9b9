"""Servers seeded once per module: quick successes, failures, running and waiting tasks; the
demo's sweep run for real."""

from __future__ import annotations

import asyncio
import dataclasses
import io
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from inductiva_top.demo.driver import DemoDriver
from inductiva_top.demo.plan import DemoTask, sweep
from tests.conftest import ServerProcess
from tests.server.task_helpers import submit, wait_status
from tests.ui.dashboard_helpers import FAILING, LONG, QUICK

RUNS = 16
"""Runs of the demo's sweep."""
FAILED = 7
"""Of which fail: 4 with a mesh too coarse (exit 2), 3 diverging (exit 3)."""


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


def _fast(task: DemoTask) -> DemoTask:
    """The same run without the pacing sleeps (the solver's steps are the same)."""
    args = list(task.args)
    args[args.index("--pace") + 1] = "0"
    return dataclasses.replace(task, args=tuple(args), delay=0.0)


@dataclass
class Swept:
    """The server, the sweep's task ids by name, and the long task of ``busy``."""

    server: ServerProcess
    by_name: dict[str, str]
    busy: str


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Swept]:
    server = ServerProcess(tmp_path_factory.mktemp("swept") / "data", slots=1).start()
    try:
        driver = DemoDriver(
            server.base_url,
            server.api_key,
            io.StringIO(),
            plan=[_fast(task) for task in sweep()],
            follow_ups=0,
        )
        asyncio.run(driver.run())
        with server.client() as client:
            for task_id in driver.submitted.values():
                wait_status(client, task_id, timeout=120)
            busy = submit(client, LONG, project="busy")
            wait_status(client, busy, "computation-started")
        yield Swept(server, dict(driver.submitted), busy)
    finally:
        server.stop()
