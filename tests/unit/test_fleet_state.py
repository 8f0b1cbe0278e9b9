"""The fleet as the dashboard tracks it: requests per refresh, countdowns, idle machines, marks.

Over an in-memory source and a fixed clock: every "now" is given, so the
countdowns are data.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from inductiva_top.api.errors import NotFound, ServerError, Unauthorized
from inductiva_top.api.models import MachineGroup, Task, UserInfo
from inductiva_top.monitor.fleet.groups import QueueCount, describe_group, queued_by_group
from inductiva_top.monitor.fleet.money import Money
from inductiva_top.monitor.fleet.tracker import ACCOUNT_EVERY, QUEUE_WINDOW, FleetState, group_facts
from inductiva_top.monitor.fmt import FixedClock
from inductiva_top.monitor.foresight.durations import MIN_SAMPLES, FinishedTasks, Phase, Scope
from inductiva_top.monitor.state import DashboardState
from inductiva_top.monitor.task.queue import queue_view
from tests.unit.test_dashboard_state import MemorySource

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=timezone.utc)


def group(
    name: str = "burst",
    *,
    tasks: Sequence[str | None] = (None, None),
    idle: float | None = 0,
    limit: float | None = 180.0,
    status: str = "started",
    rate: float = 0.6,
    **extra: Any,
) -> MachineGroup:
    """A group whose machines ``m0``, ``m1``... run ``tasks`` (None: idle)."""
    return MachineGroup.model_validate(
        {
            "name": name,
            "id": f"id-{name}",
            "status": status,
            "machine_type": "c2-standard-4",
            "spot": False,
            "num_vms": len(tasks),
            "max_idle_time": limit,
            "idle_seconds": idle,
            "machines": [
                {"uuid": f"{name}-m{i}", "current_task_id": task} for i, task in enumerate(tasks)
            ],
            "cost_per_hour": {"current": rate},
            "costs": {"cost": 0.25},
            **extra,
        }
    )


def waiting(task_id: str, group_name: str = "burst", status: str = "submitted") -> Task:
    return Task(task_id=task_id, status=status, machine_group_name=group_name)


class FleetSource(MemorySource):
    """Tasks (none) plus machine groups and an account, answered from lists set by the test."""

    def __init__(self) -> None:
        super().__init__([])
        self.groups: list[MachineGroup] = []
        self.described: dict[str, MachineGroup] = {}
        self.account = UserInfo(
            total_available_credits=10.0, terminate_resources_credits_threshold=1.0
        )
        self.fail: Exception | None = None

    async def list_machine_groups(self) -> list[MachineGroup]:
        self.requests.append("groups")
        if self.fail is not None:
            raise self.fail
        return list(self.groups)

    async def get_machine_group(self, name: str) -> MachineGroup:
        self.requests.append(f"group {name}")
        if name not in self.described:
            raise NotFound(f"no group {name}", status=404)
        return self.described[name]

    async def user_info(self) -> UserInfo:
        self.requests.append("account")
        return self.account


def fleet_at(clock: FixedClock) -> FleetState:
    return FleetState(clock=clock)


# -- requests -------------------------------------------------------------------------


async def test_groups_every_refresh_the_account_every_third_and_nothing_per_task() -> None:
    source = FleetSource()
    source.groups = [group()]
    fleet = fleet_at(FixedClock(NOW))
    for _ in range(2 * ACCOUNT_EVERY):
        await fleet.refresh(source)
    assert source.requests.count("groups") == 2 * ACCOUNT_EVERY
    assert source.requests.count("account") == 2
    # A thousand waiting tasks cost nothing more: queues are counted from tasks held.
    held = [waiting(f"t{i}") for i in range(1000)]
    views = fleet.views(held, complete=True, now=NOW)
    assert views[0].queue == QueueCount(1000)
    assert len(source.requests) == 2 * ACCOUNT_EVERY + 2


async def test_a_group_that_leaves_the_list_is_asked_once_and_stays_shown_as_ended() -> None:
    clock = FixedClock(NOW)
    source = FleetSource()
    source.groups = [group(), group("default", limit=None, rate=0.12)]
    fleet = fleet_at(clock)
    await fleet.refresh(source)
    assert fleet.money() == Money(0.72, credits=10.0, threshold=1.0)
    source.groups = [group("default", limit=None, rate=0.12)]
    source.described["burst"] = group(
        status="terminated", tasks=(), deletion_timestamp=(NOW + timedelta(seconds=5)).isoformat()
    )
    clock.advance(10)
    assert await fleet.refresh(source)
    clock.advance(2)
    assert not await fleet.refresh(source)
    assert source.requests.count("group burst") == 1
    views = fleet.views([], complete=True, now=clock())
    assert [(v.name, v.ended, v.status) for v in views] == [
        ("default", False, "started"),
        ("burst", True, "terminated"),
    ]
    assert views[1].rate == 0 and views[1].terminates_in is None
    assert fleet.money() == Money(0.12, credits=10.0, threshold=1.0)  # burst bills no more


async def test_a_server_without_machine_groups_leaves_the_fleet_unavailable_not_the_tick() -> None:
    source = FleetSource()
    source.fail = NotFound("not found: GET /compute/groups", status=404)
    fleet = fleet_at(FixedClock(NOW))
    await fleet.refresh(source)
    assert not fleet.loaded and "compute/groups" in fleet.unavailable
    assert fleet.money() is None
    source.fail = Unauthorized("refused", status=403)
    await fleet.refresh(source)
    assert "refused" in fleet.unavailable


async def test_transient_trouble_fails_the_refresh_like_any_request() -> None:
    source = FleetSource()
    source.fail = ServerError("server error on GET /compute/groups (HTTP 503)", status=503)
    with pytest.raises(ServerError):
        await fleet_at(FixedClock(NOW)).refresh(source)


async def test_only_what_the_clock_does_not_move_counts_as_a_change() -> None:
    source = FleetSource()
    fleet = fleet_at(FixedClock(NOW))
    source.groups = [group(tasks=("a", None), idle=0)]
    assert await fleet.refresh(source)
    source.groups = [group(tasks=("a", None), idle=0, costs={"cost": 0.5})]
    assert not await fleet.refresh(source)  # costs grow by themselves
    source.groups = [group(tasks=(None, None), idle=3)]
    assert await fleet.refresh(source)  # a machine freed up


# -- the dashboard's tick ----------------------------------------------------------------


async def test_the_dashboard_tick_refreshes_the_fleet_when_the_source_has_one() -> None:
    source = FleetSource()
    source.groups = [group()]
    state = DashboardState(source, fleet=fleet_at(FixedClock(NOW)))
    await state.tick()  # the first view
    await state.tick()
    assert state.fleet.loaded and "groups" in source.requests
    plain = DashboardState(MemorySource([]))
    await plain.tick()
    await plain.tick()
    assert not plain.fleet.loaded


# -- countdowns and idle machines ---------------------------------------------------------


async def test_the_countdown_ticks_between_refreshes_from_the_apis_idle_seconds() -> None:
    clock = FixedClock(NOW)
    source = FleetSource()
    source.groups = [group(idle=100, limit=180)]
    fleet = fleet_at(clock)
    await fleet.refresh(source)
    view = fleet.views([], complete=True, now=clock())[0]
    assert (view.idle_seconds, view.terminates_in) == (100, 80)
    assert view.idle_marked  # idle more than half its limit
    later = fleet.views([], complete=True, now=NOW + timedelta(seconds=30))[0]
    assert (later.idle_seconds, later.terminates_in) == (130, 50)
    gone = fleet.views([], complete=True, now=NOW + timedelta(seconds=500))[0]
    assert gone.terminates_in == 0


def test_a_busy_group_has_no_idle_countdown_but_a_fixed_termination_time_counts() -> None:
    busy = describe_group(
        group(tasks=("a", None), idle=0),
        fetched_at=NOW,
        now=NOW,
        idle={},
        queue=QueueCount(0),
    )
    assert (busy.idle_seconds, busy.terminates_in, busy.busy) == (None, None, 1)
    assert not busy.idle_marked
    fixed = describe_group(
        group(tasks=("a",), limit=None, auto_terminate_ts=(NOW + timedelta(hours=2)).isoformat()),
        fetched_at=NOW,
        now=NOW,
        idle={},
        queue=QueueCount(0),
    )
    assert fixed.terminates_in == 7200


async def test_machines_idle_since_their_task_left_or_at_least_as_long_as_their_group() -> None:
    clock = FixedClock(NOW)
    source = FleetSource()
    fleet = fleet_at(clock)
    source.groups = [group(tasks=("a", "b"), idle=0)]
    await fleet.refresh(source)
    clock.advance(5)
    source.groups = [group(tasks=(None, "b"), idle=0)]  # m0's task left
    await fleet.refresh(source)
    clock.advance(5)
    source.groups = [group(tasks=(None, None), idle=3)]  # and m1's, 3 s ago
    await fleet.refresh(source)
    clock.advance(10)
    view = fleet.views([], complete=True, now=clock())[0]
    m0, m1 = view.machines
    assert (m0.idle_seconds, m0.idle_exact) == (15, True)
    assert (m1.idle_seconds, m1.idle_exact) == (13, True)  # the group's own idle time
    assert view.idle_seconds == 13 and view.terminates_in == 167
    # A dashboard started later only knows a lower bound for each machine.
    late = fleet_at(clock)
    source.groups = [group(tasks=(None, None), idle=13)]
    await late.refresh(source)
    first = late.views([], complete=True, now=clock())[0].machines[0]
    assert (first.idle_seconds, first.idle_exact) == (13, False)


async def test_whole_second_idle_readings_do_not_make_the_countdown_jump_back() -> None:
    clock = FixedClock(NOW)
    source = FleetSource()
    fleet = fleet_at(clock)
    # Idle since NOW - 10.9 s; whole seconds put that at NOW - 10, then at NOW - 10.5:
    # the earliest reading is the closest, and it is kept.
    source.groups = [group(idle=10)]
    await fleet.refresh(source)
    clock.advance(2.5)
    source.groups = [group(idle=13)]
    await fleet.refresh(source)
    view = fleet.views([], complete=True, now=clock())[0]
    assert view.idle_seconds == pytest.approx(13.0)


# -- queues and marks -----------------------------------------------------------------------


def test_queues_count_the_waiting_tasks_of_each_group_by_name_or_id() -> None:
    groups = [group("burst"), group("default")]
    tasks = [
        waiting("a"),
        Task(task_id="b", status="submitted", machine_group_id="id-burst"),
        waiting("c", status="pending-input"),  # not queued yet
        waiting("d", status="spot-instance-preempted"),  # back in the queue
        Task(task_id="e", status="computation-started", machine_group_name="burst"),
        waiting("f", group_name="default"),
        waiting("g", group_name="elsewhere"),
    ]
    assert queued_by_group(groups, tasks) == {"burst": 3, "default": 1}


async def test_an_elastic_group_at_its_most_with_a_growing_queue_is_marked() -> None:
    clock = FixedClock(NOW)
    source = FleetSource()
    source.groups = [group(tasks=("a", "b"), is_elastic=True, max_vms=2)]
    fleet = fleet_at(clock)
    await fleet.refresh(source)
    fleet.observe_queues([waiting("q1")], clock())
    clock.advance(10)
    fleet.observe_queues([waiting("q1"), waiting("q2")], clock())
    view = fleet.views([waiting("q1"), waiting("q2")], complete=False, now=clock())[0]
    assert view.growing_at_max and str(view.queue) == "≥2 waiting"
    clock.advance(QUEUE_WINDOW + 1)
    fleet.observe_queues([waiting("q1"), waiting("q2")], clock())
    assert not fleet.views([], complete=True, now=clock())[0].growing_at_max
    source.groups = [group(tasks=("a", "b"), is_elastic=True, max_vms=4)]
    await fleet.refresh(source)
    fleet.observe_queues([waiting("q1")], clock())
    fleet.observe_queues([waiting("q1"), waiting("q2")], clock())
    assert not fleet.views([], complete=True, now=clock())[0].growing_at_max  # room to grow


# -- the queue view ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("described", "exhausted", "words"),
    [
        (group(tasks=("x", "y")), False, "2 tasks ahead of it on 2 machines, all busy."),
        (group(status="starting", tasks=()), False, "still starting"),
        (group(status="terminated", tasks=()), False, "will never start"),
        (group(tasks=("x", "y")), True, "Quota reached"),
        (None, False, "2 tasks ahead of it."),
    ],
)
async def test_the_queue_view_says_why_a_task_waits(
    described: MachineGroup | None, exhausted: bool, words: str
) -> None:
    source = FleetSource()
    if described is not None:
        source.described["burst"] = described
    fleet = fleet_at(FixedClock(NOW))
    if exhausted:
        source.account = UserInfo(
            total_available_credits=0.5, terminate_resources_credits_threshold=1.0
        )
        await fleet.refresh(source)
    me = waiting("me")
    running = [
        Task(task_id=t, status="computation-started", machine_group_name="burst") for t in "xy"
    ]
    view = fleet.explained(queue_view(me, running, 2, NOW), await fleet.group_of(me, source))
    assert words in view.why
    assert "group burst" in source.requests


async def test_a_task_naming_its_group_by_name_and_id_is_one_group_to_every_reader() -> None:
    """The queue, the fleet's request and the estimates' history agree on a task's group
    (the queue once matched ids while the others matched names: a task carrying both
    found none of the tasks that gave only the name ahead of it)."""
    source = FleetSource()
    source.described["burst"] = group(tasks=("x",))
    me = Task(
        task_id="me",
        status="submitted",
        machine_group_name="burst",
        machine_group_id="id-burst",
        input_submit_time=NOW,
    )
    earlier = waiting("earlier").model_copy(
        update={"input_submit_time": NOW - timedelta(minutes=1)}
    )
    running = Task(task_id="x", status="computation-started", machine_group_name="burst")
    fleet = fleet_at(FixedClock(NOW))
    view = queue_view(me, [earlier, running], None, NOW)
    assert (view.group, [t.task_id for t in view.ahead], len(view.running)) == (
        "burst",
        ["earlier"],
        1,
    )
    described = await fleet.group_of(me, source)
    assert source.requests == ["group burst"] and described is not None
    assert "1 task ahead of it" in fleet.explained(view, described).why
    finished = FinishedTasks()
    ran = {"status": "success", "machine_group_name": "burst", "end_time": NOW}
    finished.observe(
        Task(task_id=f"d{i}", start_time=NOW - timedelta(minutes=i + 1), **ran)
        for i in range(MIN_SAMPLES)
    )
    durations = finished.durations(Phase.RUN, group=me.machine_group, simulator=None, project=None)
    assert durations is not None and durations.scope is Scope.GROUP


async def test_a_running_task_gets_no_wait_reason() -> None:
    task = Task(task_id="r", status="computation-started", machine_group_name="burst")
    fleet, source = fleet_at(FixedClock(NOW)), FleetSource()
    view = fleet.explained(queue_view(task, [], None, NOW), await fleet.group_of(task, source))
    assert view.why == "" and source.requests == []


def test_group_facts_from_a_description() -> None:
    facts = group_facts(group(tasks=("a", None, None)), credits_exhausted=True)
    assert (facts.machines, facts.started, facts.quota, facts.terminated) == (3, True, True, False)
    assert group_facts(group(status="shutting_down")).terminated
    assert group_facts(group(status="registered")).started is False


async def test_the_fleets_facts_name_each_group_by_name_and_id_from_the_listing() -> None:
    source = FleetSource()
    source.groups = [group("burst", tasks=("a", None)), group("gone", tasks=("b",))]
    fleet = fleet_at(FixedClock(NOW))
    assert fleet.facts() == {}
    await fleet.refresh(source)
    facts = fleet.facts()
    assert facts["burst"] == facts["id-burst"]
    assert (facts["burst"].machines, facts["burst"].terminated) == (2, False)
    source.groups = source.groups[:1]
    await fleet.refresh(source)  # "gone" left the list: its waiting tasks never start
    assert fleet.facts()["gone"].terminated
    assert source.requests.count("group gone") == 1 and "group burst" not in source.requests


async def test_a_countdown_running_out_asks_for_a_refresh_once() -> None:
    clock = FixedClock(NOW)
    source = FleetSource()
    source.groups = [group(idle=170, limit=180)]
    fleet = fleet_at(clock)
    await fleet.refresh(source)
    assert not fleet.termination_due(clock())
    clock.advance(10)
    assert fleet.termination_due(clock())
    clock.advance(1)
    assert not fleet.termination_due(clock())  # said once
