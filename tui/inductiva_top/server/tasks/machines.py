"""The machines of the local machine groups, in memory.

Each slot of a group is a machine: it has its own id, boots when the group
starts (or when this server starts: machines do not outlive their server),
takes one task at a time, and is billed at the group's rate for as long as
it is up, running a task or not (the real API's rule: compute is charged
while a machine is up). What a group has cost is kept here between saves to
the store (:class:`~.groups.MachineGroups`), which only holds the totals.

Times are Unix seconds. All methods are called from the event loop's thread.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from inductiva_top.server.tasks.groups import MachineGroupRow

SECONDS_PER_HOUR = 3600.0


@dataclass
class Machine:
    """One machine (slot) of a group."""

    uuid: str
    started_at: float
    last_seen_at: float
    idle_since: float
    """When it last finished a task (its boot time before the first)."""
    current_task_id: str | None = None
    task_started_at: float | None = None
    busy_seconds: float = 0.0
    """Time spent on tasks that have left it."""
    terminated_at: float | None = None

    def up_seconds(self, now: float) -> float:
        return (self.terminated_at or now) - self.started_at

    def task_seconds(self, now: float) -> float:
        running = now - self.task_started_at if self.task_started_at is not None else 0.0
        return self.busy_seconds + running


@dataclass
class GroupMachines:
    """The machines of one incarnation of a group, and what it has cost."""

    incarnation: str
    machines: list[Machine]
    rate: float
    """USD per machine-hour."""
    cost: float
    """USD billed up to ``billed_until``."""
    billed_until: float
    retired: list[Machine] = field(default_factory=list)
    """Machines removed when the group shrank (kept for its time statistics)."""
    terminated_at: float | None = None

    def live(self) -> list[Machine]:
        return [m for m in self.machines if m.terminated_at is None]

    def cost_at(self, now: float) -> float:
        """What the group has cost by ``now`` (no state change)."""
        until = self.terminated_at if self.terminated_at is not None else now
        elapsed = max(until - self.billed_until, 0.0)
        return self.cost + self.rate * len(self.live()) * elapsed / SECONDS_PER_HOUR

    def bill(self, now: float) -> float:
        """Bring the cost up to ``now`` (before the rate or the machines change); returns it."""
        self.cost = self.cost_at(now)
        self.billed_until = max(self.billed_until, now)
        return self.cost

    def current_rate(self) -> float:
        """USD per hour the group costs now."""
        return 0.0 if self.terminated_at is not None else self.rate * len(self.live())

    def busy(self) -> int:
        return sum(1 for m in self.machines if m.current_task_id is not None)

    def idle_since(self) -> float | None:
        """Since when no machine has had a task (None while one has)."""
        if self.terminated_at is not None or any(m.current_task_id for m in self.machines):
            return None
        return max((m.idle_since for m in self.machines), default=None)

    def every_machine(self) -> list[Machine]:
        return [*self.machines, *self.retired]


def _machine(now: float) -> Machine:
    return Machine(uuid=str(uuid.uuid4()), started_at=now, last_seen_at=now, idle_since=now)


class Fleet:
    """Every local group's machines, kept in step with the stored groups by :meth:`sync`."""

    def __init__(self) -> None:
        self._groups: dict[str, GroupMachines] = {}

    def of(self, row: MachineGroupRow) -> GroupMachines | None:
        """The machines of the group's current incarnation (also once it terminated), if booted."""
        group = self._groups.get(row.name)
        return group if group is not None and group.incarnation == row.incarnation else None

    def sync(self, rows: Iterable[MachineGroupRow], now: float) -> None:
        """Boot, resize or restart groups to match their stored rows (started ones only)."""
        for row in rows:
            if row.terminated:
                continue
            group = self._groups.get(row.name)
            if group is None or group.incarnation != row.incarnation:
                group = GroupMachines(
                    incarnation=row.incarnation,
                    machines=[_machine(now) for _ in range(row.slots)],
                    rate=row.cost_per_hour,
                    cost=row.cost,
                    billed_until=now,
                )
                self._groups[row.name] = group
                continue
            self._resize(group, row, now)

    def _resize(self, group: GroupMachines, row: MachineGroupRow, now: float) -> None:
        # Billed at the old size and rate up to now: a change applies from now on.
        group.bill(now)
        group.rate = row.cost_per_hour
        while len(group.machines) < row.slots:
            group.machines.append(_machine(now))
        for machine in list(group.machines):
            if len(group.machines) <= row.slots:
                break
            if machine.current_task_id is None:
                self._retire(group, machine, now)

    def _retire(self, group: GroupMachines, machine: Machine, now: float) -> None:
        group.bill(now)
        machine.terminated_at = now
        group.machines.remove(machine)
        group.retired.append(machine)

    def rate(self, name: str) -> float:
        """What a machine of group ``name`` costs per hour now (0 for an unknown group)."""
        group = self._groups.get(name)
        return group.rate if group is not None else 0.0

    def take(self, name: str, task_id: str, now: float) -> Machine:
        """Give a task a free machine of group ``name`` (the caller checked there is one)."""
        group = self._groups[name]
        machine = next(m for m in group.machines if m.current_task_id is None)
        machine.current_task_id = task_id
        machine.task_started_at = now
        machine.last_seen_at = now
        return machine

    def release(self, name: str, task_id: str, now: float, slots: int | None) -> None:
        """A task left its machine; a machine beyond the group's ``slots`` is retired."""
        group = self._groups.get(name)
        if group is None:
            return
        for machine in group.machines:
            if machine.current_task_id == task_id:
                machine.busy_seconds += now - (machine.task_started_at or now)
                machine.current_task_id = None
                machine.task_started_at = None
                machine.idle_since = now
                machine.last_seen_at = now
                if slots is not None and len(group.machines) > slots:
                    self._retire(group, machine, now)
                return

    def seen(self, now: float) -> None:
        """Every live machine reports in (``last_seen_at``)."""
        for group in self._groups.values():
            for machine in group.live():
                machine.last_seen_at = now

    def terminate(self, name: str, now: float) -> float | None:
        """Stop a group's machines; returns what the incarnation cost (None: never booted)."""
        group = self._groups.get(name)
        if group is None:
            return None
        cost = group.bill(now)
        group.terminated_at = now
        for machine in group.machines:
            if machine.terminated_at is None:
                machine.terminated_at = now
        return cost
