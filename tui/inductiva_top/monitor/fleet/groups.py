"""What the fleet screen shows of each machine group, derived from what the API said.

Pure functions of the groups as ``GET /compute/groups`` listed them, when
that was (``fetched_at``), what the dashboard has seen of each machine
(:class:`MachineIdle`), the waiting tasks it holds, and "now": so the
countdown to a group's auto-termination and each machine's idle time are
data that tick between two refreshes, and tests pin them with a fixed clock.

The idle countdown is taken from the API's relative ``idle_seconds`` and
``max_idle_time`` where it can be (no clock skew between this computer and
the API's), else from the absolute ``auto_terminate_ts``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from inductiva_top.api.models import Machine, MachineGroup, Task
from inductiva_top.monitor.fleet.money import ENDED_STATUSES
from inductiva_top.monitor.statuses import StatusKind, status_info

__all__ = [
    "GroupView",
    "MachineIdle",
    "MachineView",
    "QueueCount",
    "describe_group",
    "group_key",
    "idle_since",
    "queued_by_group",
    "sorted_views",
]


@dataclass(frozen=True)
class MachineIdle:
    """Since when the dashboard knows a machine has been idle."""

    since: datetime
    exact: bool
    """True when it saw the machine busy before (exact to one refresh); False: a lower bound."""
    with_group: bool = False
    """It was the last of its group to go idle: its idle time is the group's."""


@dataclass(frozen=True)
class MachineView:
    """One machine of a group: the task it runs, or how long it has been idle."""

    uuid: str | None
    task_id: str | None
    idle_seconds: float | None
    """Seconds idle (None while it runs a task, or when not known)."""
    idle_exact: bool = True
    """False when ``idle_seconds`` is a lower bound (idle since before the dashboard looked)."""


@dataclass(frozen=True)
class QueueCount:
    """How many tasks wait for a group, counted from the tasks the dashboard holds."""

    waiting: int
    partial: bool = False
    """True when the dashboard holds only some of the active tasks: at least ``waiting``."""

    def __str__(self) -> str:
        if self.waiting == 0 and not self.partial:
            return "none waiting"
        return f"{'≥' if self.partial else ''}{self.waiting} waiting"


@dataclass(frozen=True)
class GroupView:
    """One machine group as the fleet screen shows it, at one moment."""

    name: str
    status: str | None
    ended: bool
    """Terminated (or shutting down), or no longer in the API's list of active groups."""
    machine_type: str | None
    spot: bool | None
    elastic: bool
    num_vms: int | None
    max_vms: int | None
    machines: tuple[MachineView, ...]
    idle_seconds: float | None
    """Seconds the whole group has had no task (None while a machine runs one)."""
    idle_limit: float | None
    """``max_idle_time``: idle this long, the group terminates (None: no limit)."""
    terminates_in: float | None
    """Seconds until it terminates by itself (None: not due)."""
    rate: float | None
    """``cost_per_hour.current``, USD."""
    cost: float | None
    """``costs.cost``: what it has cost so far, USD."""
    queue: QueueCount
    growing_at_max: bool = False
    """Elastic, at its most machines, and its queue grew over the last minute."""
    ended_at: datetime | None = None

    @property
    def idle_marked(self) -> bool:
        """Idle for more than half its idle limit: it terminates soon unless a task comes."""
        return (
            not self.ended
            and self.idle_seconds is not None
            and self.idle_limit is not None
            and self.idle_limit > 0
            and self.idle_seconds > self.idle_limit / 2
        )

    @property
    def busy(self) -> int:
        """How many of its machines run a task."""
        return sum(1 for machine in self.machines if machine.task_id is not None)


def group_key(group: MachineGroup) -> str:
    """The name the dashboard keeps a group under (its name, else its id)."""
    return group.name or group.id or "?"


def _queued(task: Task) -> bool:
    # Waiting for inputs is not yet in a queue; resubmitted tasks are back in one.
    return task.status != "pending-input" and status_info(task.status).kind is StatusKind.WAITING


def queued_by_group(groups: Iterable[MachineGroup], tasks: Iterable[Task]) -> dict[str, int]:
    """Waiting tasks per group key, among ``tasks`` (a task names its group by name or id)."""
    keys: dict[str, str] = {}
    for group in groups:
        key = group_key(group)
        for alias in (group.name, group.id):
            if alias:
                keys[alias] = key
    counts: dict[str, int] = {}
    for task in tasks:
        found = keys.get(task.machine_group or "")
        if found is not None and _queued(task):
            counts[found] = counts.get(found, 0) + 1
    return counts


def _elapsed(since: datetime, now: datetime) -> float:
    return max(0.0, (now - since).total_seconds())


def _live(machine: Machine) -> bool:
    return machine.terminated_at is None


def _machine_view(
    machine: Machine, idle: Mapping[str, MachineIdle], now: datetime, group_idle: float | None
) -> MachineView:
    if machine.current_task_id:
        return MachineView(machine.uuid, machine.current_task_id, None)
    seen = idle.get(machine.uuid) if machine.uuid else None
    if seen is not None and seen.with_group and group_idle is not None:
        return MachineView(machine.uuid, None, group_idle, seen.exact)
    if seen is not None:
        return MachineView(machine.uuid, None, _elapsed(seen.since, now), seen.exact)
    # Never tracked: the group's own idle time is the least this machine has been idle.
    return MachineView(machine.uuid, None, group_idle, False)


def idle_since(group: MachineGroup, fetched_at: datetime) -> datetime | None:
    """Since when no machine of ``group`` has had a task, by its ``idle_seconds`` (None: busy).

    ``idle_seconds`` is whole seconds, so this is up to a second late; the
    earliest of several refreshes is the closest.
    """
    machines = [m for m in group.machines or () if _live(m)]
    if group.idle_seconds is None or any(m.current_task_id for m in machines):
        return None
    return fetched_at - timedelta(seconds=group.idle_seconds)


def describe_group(
    group: MachineGroup,
    *,
    fetched_at: datetime,
    now: datetime,
    idle: Mapping[str, MachineIdle],
    queue: QueueCount,
    growing: bool = False,
    left_list_at: datetime | None = None,
    group_idle_since: datetime | None = None,
) -> GroupView:
    """``group`` as listed at ``fetched_at``, seen at ``now``.

    ``left_list_at`` is when the group was last missing from the list of
    active groups (it then shows as ended, whatever its last status said);
    ``group_idle_since`` a better estimate of when it went idle than its
    last ``idle_seconds`` (see :func:`idle_since`).
    """
    ended = group.status in ENDED_STATUSES or left_list_at is not None
    machines = [m for m in group.machines or () if _live(m)] if not ended else []
    since = idle_since(group, fetched_at)
    if since is not None and group_idle_since is not None:
        since = min(since, group_idle_since)
    idle_seconds = _elapsed(since, now) if since is not None and not ended else None
    terminates_in: float | None = None
    if not ended:
        if idle_seconds is not None and group.max_idle_time is not None:
            terminates_in = max(0.0, group.max_idle_time - idle_seconds)
        elif group.auto_terminate_ts is not None:
            terminates_in = _elapsed(now, group.auto_terminate_ts)
    at_max = (
        bool(group.is_elastic)
        and group.max_vms is not None
        and (group.num_vms or 0) >= group.max_vms
    )
    costs, per_hour = group.costs, group.cost_per_hour
    return GroupView(
        name=group_key(group),
        status="terminated" if left_list_at is not None else group.status,
        ended=ended,
        machine_type=group.machine_type,
        spot=group.spot,
        elastic=bool(group.is_elastic),
        num_vms=group.num_vms,
        max_vms=group.max_vms,
        machines=tuple(_machine_view(m, idle, now, idle_seconds) for m in machines),
        idle_seconds=idle_seconds,
        idle_limit=group.max_idle_time,
        terminates_in=terminates_in,
        rate=0.0 if ended else (per_hour.current if per_hour is not None else None),
        cost=costs.cost if costs is not None else None,
        queue=queue,
        growing_at_max=at_max and growing and not ended,
        ended_at=group.deletion_timestamp or left_list_at,
    )


def sorted_views(views: Sequence[GroupView]) -> list[GroupView]:
    """Live groups first, in the API's order, then ended ones, most recently ended first."""
    live = [view for view in views if not view.ended]
    ended = [view for view in views if view.ended]
    ended.sort(key=lambda view: view.ended_at.timestamp() if view.ended_at else 0.0, reverse=True)
    return live + ended
