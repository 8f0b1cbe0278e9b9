"""The stored side of local machine groups: their settings, status and what they have cost.

A group is a row of ``machine_groups``: its slots (the machines it runs), the
machine-type label, the rate each machine costs per hour (0 unless one is
configured), an optional idle limit, and its lifecycle status. Terminating a
group keeps its row (``terminated``) so that what it cost stays on the
account; starting a group of the same name again begins a new incarnation
(a new incarnation, cost from zero, the old cost carried in ``past_cost``).

The machines themselves live in memory (:mod:`.machines`): a server start
boots them anew.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from inductiva_top.server.tasks.store import TaskStore

STARTED = "started"
TERMINATED = "terminated"
"""The two group statuses (of the real ``MachineGroupStatus``) a local group goes through."""

_FIELDS = (
    "name, slots, machine_type, created_at, incarnation, cost_per_hour, max_idle_time, "
    "status, terminated_at, cost, past_cost"
)


@dataclass(frozen=True)
class MachineGroupRow:
    """A local machine group as stored."""

    name: str
    slots: int
    machine_type: str
    created_at: float
    """When this incarnation was started (Unix time)."""
    incarnation: str
    """Which start of the group this is (a fresh id each time it starts after a termination)."""
    cost_per_hour: float
    """What one machine of the group costs per hour, in USD (0: no rate configured)."""
    max_idle_time: float | None
    """Seconds without a task after which the group terminates (None: never)."""
    status: str
    terminated_at: float | None
    cost: float
    """What this incarnation has cost so far, in USD, as of the last time it was saved."""
    past_cost: float
    """What earlier incarnations of the same name cost."""

    @property
    def terminated(self) -> bool:
        return self.status == TERMINATED


class MachineGroups:
    """Reads and writes of the ``machine_groups`` table, through a task store's connections."""

    def __init__(self, store: TaskStore) -> None:
        self._store = store

    def put(
        self,
        name: str,
        slots: int,
        machine_type: str,
        now: float,
        *,
        cost_per_hour: float = 0.0,
        max_idle_time: float | None = None,
    ) -> MachineGroupRow:
        """Create a group, change a started one, or start a terminated one anew."""
        with self._store.transaction() as conn:
            found = conn.execute(
                "SELECT status FROM machine_groups WHERE name = ?", (name,)
            ).fetchone()
            if found is None:
                conn.execute(
                    "INSERT INTO machine_groups (name, slots, machine_type, created_at, "
                    "incarnation, cost_per_hour, max_idle_time) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (name, slots, machine_type, now, _new_id(), cost_per_hour, max_idle_time),
                )
            elif found[0] == TERMINATED:
                conn.execute(
                    "UPDATE machine_groups SET slots = ?, machine_type = ?, created_at = ?, "
                    "incarnation = ?, cost_per_hour = ?, max_idle_time = ?, status = ?, "
                    "terminated_at = NULL, past_cost = past_cost + cost, cost = 0 WHERE name = ?",
                    (
                        slots,
                        machine_type,
                        now,
                        _new_id(),
                        cost_per_hour,
                        max_idle_time,
                        STARTED,
                        name,
                    ),
                )
            else:
                conn.execute(
                    "UPDATE machine_groups SET slots = ?, machine_type = ?, cost_per_hour = ?, "
                    "max_idle_time = ? WHERE name = ?",
                    (slots, machine_type, cost_per_hour, max_idle_time, name),
                )
        row = self.get(name)
        assert row is not None
        return row

    def get(self, name: str) -> MachineGroupRow | None:
        """One group (terminated ones too), or None."""
        row = (
            self._store.reader()
            .execute(f"SELECT {_FIELDS} FROM machine_groups WHERE name = ?", (name,))  # noqa: S608
            .fetchone()
        )
        return MachineGroupRow(*row) if row is not None else None

    def started(self, name: str) -> MachineGroupRow | None:
        """One group that is not terminated, or None."""
        row = self.get(name)
        return row if row is not None and not row.terminated else None

    def all(self, *, terminated: bool = False) -> list[MachineGroupRow]:
        """The started groups (and the terminated ones with ``terminated``), by name."""
        where = "" if terminated else f"WHERE status != '{TERMINATED}'"
        rows = (
            self._store.reader()
            .execute(f"SELECT {_FIELDS} FROM machine_groups {where} ORDER BY name")  # noqa: S608
            .fetchall()
        )
        return [MachineGroupRow(*row) for row in rows]

    def terminate(self, name: str, now: float, cost: float) -> None:
        """Record a group terminated at ``now``, having cost ``cost`` in this incarnation."""
        with self._store.transaction() as conn:
            conn.execute(
                "UPDATE machine_groups SET status = ?, terminated_at = ?, cost = ? "
                "WHERE name = ? AND status != ?",
                (TERMINATED, now, cost, name, TERMINATED),
            )

    def save_costs(self, costs: dict[str, float]) -> None:
        """Store what started groups have cost so far (one transaction)."""
        if not costs:
            return
        with self._store.transaction() as conn:
            conn.executemany(
                "UPDATE machine_groups SET cost = ? WHERE name = ? AND status != ?",
                [(cost, name, TERMINATED) for name, cost in costs.items()],
            )

    def total_cost(self) -> float:
        """What every group, past and present, has cost as stored (USD)."""
        row = (
            self._store.reader()
            .execute("SELECT COALESCE(SUM(cost + past_cost), 0) FROM machine_groups")
            .fetchone()
        )
        return float(row[0])


def _new_id() -> str:
    return str(uuid.uuid4())
