"""The fleet screen on fixed data, for its snapshots and the README's screenshot.

Four machine groups, as a cloud account might have them at one moment: a
burst group idle for more than half its idle limit, counting down; a busy
high-memory group with a queue; an elastic spot group at its most machines
with a growing queue; and a group that ended a few minutes ago. The fleet
goes through two real refreshes (:meth:`FleetState.refresh`) over a source
that answers from this data, so the machines' idle times are tracked as on a
live dashboard; the clock is frozen.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from textual.app import App
from textual.pilot import Pilot

from inductiva_top.api.models import (
    MachineGroup,
    Project,
    Task,
    TaskPage,
    TaskStatus,
    TaskWithStatusHistory,
    UserInfo,
)
from inductiva_top.monitor.fleet.tracker import FleetState
from inductiva_top.monitor.fmt import FixedClock, Formatter
from inductiva_top.monitor.poller import PollLoop, PollPolicy, PollSchedule
from inductiva_top.monitor.state import DashboardState
from inductiva_top.ui.context import ScreenContext
from inductiva_top.ui.resources import stylesheet
from inductiva_top.ui.screens.fleet import FleetScreen

__all__ = ["FLEET_NOW", "FleetScene", "fleet_scene", "fleet_shown"]

FLEET_NOW = datetime(2026, 3, 14, 15, 9, 26, tzinfo=timezone.utc)
"""The scene's frozen "now"."""

_BEFORE = 120.0
"""Seconds between the scene's two refreshes."""


def _at(seconds_before: float) -> str:
    return (FLEET_NOW - timedelta(seconds=seconds_before)).isoformat()


def _group(
    name: str,
    machine_type: str,
    tasks: Sequence[str | None],
    *,
    rate: float,
    cost: float,
    idle: int = 0,
    limit: float | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "name": name,
        "id": name,
        "status": "started",
        "machine_type": machine_type,
        "spot": False,
        "num_vms": len(tasks),
        "max_idle_time": limit,
        "idle_seconds": idle,
        "machines": [
            {"uuid": f"{name[:3]}{index:02d}7c1e-9b2f", "current_task_id": task}
            for index, task in enumerate(tasks)
        ],
        "cost_per_hour": {"current": rate},
        "costs": {"cost": cost},
        **extra,
    }


def _refreshes() -> tuple[list[MachineGroup], list[MachineGroup]]:
    """The groups as listed two minutes before now, then now."""
    gpu = ["gpurun0iq8x2", "gpurun1kd7w3", "gpurun2pl0m9", "gpurun3bz55e"]
    spot = {"spot": True, "is_elastic": True, "min_vms": 1, "max_vms": 4}
    before = [
        _group(
            "burst-2", "c2-standard-4", ["sweep15d0ex2", None], rate=0.60, cost=0.0712, limit=180
        ),
        _group("highmem-1", "n2-highmem-8", ["bigrun9x2mq7"], rate=0.45, cost=0.3120),
        _group("gpu-sweep", "a2-highgpu-1g", gpu, rate=4.80, cost=2.9600, **spot),
        _group("nightly", "c2d-standard-16", ["nightly0k3va"], rate=0.85, cost=1.2040, limit=300),
    ]
    now = [
        _group(
            "burst-2", "c2-standard-4", [None, None], rate=0.60, cost=0.0912, idle=100, limit=180
        ),
        _group("highmem-1", "n2-highmem-8", ["bigrun9x2mq7"], rate=0.45, cost=0.3170),
        _group("gpu-sweep", "a2-highgpu-1g", gpu, rate=4.80, cost=3.0133, **spot),
    ]
    return (
        [MachineGroup.model_validate(g) for g in before],
        [MachineGroup.model_validate(g) for g in now],
    )


def _task(task_id: str, status: str, group: str, project: str, started: float) -> Task:
    running = status == "computation-started"
    return Task.model_validate(
        {
            "task_id": task_id,
            "status": status,
            "project": project,
            "machine_group_name": group,
            "create_time": _at(started + 30),
            "input_submit_time": _at(started + 20),
            "start_time": _at(started) if running else None,
            "computation_start_time": _at(started) if running else None,
        }
    )


TASKS: tuple[Task, ...] = (
    _task("bigrun9x2mq7", "computation-started", "highmem-1", "orbital-dynamics", 754),
    _task("gpurun0iq8x2", "computation-started", "gpu-sweep", "lattice-qcd", 1210),
    _task("gpurun1kd7w3", "computation-started", "gpu-sweep", "lattice-qcd", 902),
    _task("gpurun2pl0m9", "computation-started", "gpu-sweep", "lattice-qcd", 415),
    _task("gpurun3bz55e", "computation-started", "gpu-sweep", "lattice-qcd", 38),
    _task("queued4hh1d0", "submitted", "highmem-1", "orbital-dynamics", 0),
    _task("queued5m2xk8", "submitted", "highmem-1", "orbital-dynamics", 0),
    *(_task(f"gpuwait{i}a7q", "submitted", "gpu-sweep", "lattice-qcd", 0) for i in range(6)),
)
"""The active tasks the dashboard holds: what the machines run, and the queues."""


class _SceneSource:
    """Answers the fleet's requests from the scene's data; lists no tasks."""

    def __init__(self) -> None:
        self.listings = list(_refreshes())
        self.account = UserInfo(
            total_available_credits=41.37, terminate_resources_credits_threshold=5.0
        )

    async def list_machine_groups(self) -> list[MachineGroup]:
        return self.listings.pop(0) if len(self.listings) > 1 else self.listings[0]

    async def get_machine_group(self, name: str) -> MachineGroup:
        last = next(g for g in _refreshes()[0] if g.name == name)
        ended = {
            "status": "terminated",
            "num_vms": 0,
            "machines": [],
            "deletion_timestamp": _at(20),
        }
        return MachineGroup.model_validate({**last.model_dump(), **ended})

    async def user_info(self) -> UserInfo:
        return self.account

    async def list_tasks(
        self,
        *,
        page: int = 1,
        per_page: int = 50,
        status: str | Sequence[str] | None = None,
        project: str | None = None,
        active: bool | None = None,
        task_id_filter: str | None = None,
        sort: Sequence[str] = (),
    ) -> TaskPage:
        return TaskPage(total_size=0, tasks=[])

    async def get_task(self, task_id: str) -> TaskWithStatusHistory:
        task = next(t for t in TASKS if t.task_id == task_id)
        return TaskWithStatusHistory.model_validate(task.model_dump())

    async def get_status(self, task_id: str) -> TaskStatus:
        return TaskStatus(id=task_id, status=(await self.get_task(task_id)).status)

    async def kill(self, task_id: str) -> TaskStatus:
        return await self.get_status(task_id)

    async def list_projects(
        self, *, page: int = 1, per_page: int = 100, project_type: str | None = None
    ) -> list[Project]:
        return []


class FleetScene(App[None]):
    """The fleet screen over the scene's data, its clock frozen at :data:`FLEET_NOW`, in UTC."""

    TITLE = "inductiva-top"

    def __init__(self) -> None:
        super().__init__(css_path=[stylesheet("app.tcss")])
        self.clock = FixedClock(FLEET_NOW - timedelta(seconds=_BEFORE))
        self.formatter = Formatter(clock=self.clock, tz=timezone.utc)
        self.source = _SceneSource()
        self.state = DashboardState(self.source, fleet=FleetState(clock=self.clock))

    async def on_mount(self) -> None:
        state, clock = self.state, self.clock
        state.active, state.active_total = list(TASKS), len(TASKS)
        state.counts = {"computation-started": 5, "submitted": 8, "success": 212, "failed": 9}
        await state.fleet.refresh(self.source)
        state.fleet.observe_queues(TASKS[:-3], clock())
        clock.advance(_BEFORE - 30)
        state.fleet.observe_queues(TASKS[:-3], clock())
        clock.advance(30)
        await state.fleet.refresh(self.source)
        state.fleet.observe_queues(TASKS, clock())
        stamp = clock().timestamp()
        policy = PollPolicy()
        loop = PollLoop(self._tick, PollSchedule(policy), monotonic=lambda: stamp)
        loop.freshness.succeeded(stamp)
        context = ScreenContext(
            self.source, api_label="inductiva", formatter=self.formatter, policy=policy
        )
        await self.push_screen(FleetScreen(context, state, loop, open_task=self._open))

    def _open(self, task_id: str) -> None:
        self.notify(f"{task_id} would open here")

    async def _tick(self) -> bool:
        return False  # the scene never refreshes: its data is fixed


def fleet_scene() -> FleetScene:
    """A new :class:`FleetScene` (one per picture)."""
    return FleetScene()


async def fleet_shown(pilot: Pilot[None]) -> None:
    """Wait until the scene's fleet screen is up."""
    for _ in range(100):
        if isinstance(pilot.app.screen, FleetScreen):
            break
        await pilot.pause(0.05)
    await pilot.pause()
