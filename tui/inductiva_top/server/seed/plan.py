"""Choosing what the seeded tasks are: who submitted what, where, when, and how it ended.

Tasks come in batches, as people submit them (a parameter sweep: same
project, simulator, machine group and command, seconds apart, queueing
behind each other), mostly during working hours, over the last weeks. Every
final state of the contract appears at least once when there are enough
tasks, and so do resubmissions after an executor loss and a preemption.
All choices come from one seeded :class:`random.Random`, so a seed always
gives the same tasks (shifted to end before "now").
"""

from __future__ import annotations

import dataclasses
import random
import string
import time
import uuid
from dataclasses import dataclass
from typing import Any

from inductiva_top.server.seed.data import (
    GROUPS,
    METADATA_KEYS,
    OUTCOMES,
    PROJECTS,
    SIMULATOR_BY_NAME,
    TTL_CHOICES,
    MachineGroup,
    ProjectKind,
    Simulator,
)
from inductiva_top.server.statuses import TaskStatusCode

S = TaskStatusCode
_ID_FIRST = string.ascii_lowercase
_ID_REST = string.ascii_lowercase + string.digits
_DAY = 86_400
_MAX_COMPUTE = 36 * 3600.0
_RUN_OUTCOMES = frozenset(code for code, _ in OUTCOMES) - {
    S.ZOMBIE,
    S.PENDING_KILL,
    S.TTL_EXCEEDED,
}
US = 1_000_000
"""Seeded times are whole microseconds since the epoch."""


@dataclass(slots=True)  # not frozen: 100,000 are made at a time, and frozen init is slow
class TaskPlan:
    """Everything chosen about a task before its history is written."""

    task_id: str
    project: str
    simulator: Simulator
    group: MachineGroup
    command: tuple[str, ...]
    outcome: TaskStatusCode
    interruptions: tuple[TaskStatusCode, ...]
    """``executer-terminated`` / ``spot-instance-preempted`` runs before the last one."""
    ttl_seconds: float | None
    metadata: dict[str, str] | None
    queue_seconds: float
    """Typical wait in the queue (includes the tasks ahead of it in its batch)."""
    compute_seconds: float
    queue_seq: int

    def __reduce__(self) -> tuple[type[TaskPlan], tuple[Any, ...]]:
        # Plans go to worker processes by the thousand: positional fields pickle
        # several times faster than the default state of a slotted dataclass.
        return (TaskPlan, tuple(getattr(self, name) for name in self.__slots__))


@dataclass(slots=True)  # not frozen: 100,000 are made at a time, and frozen init is slow
class PlannedTask:
    """A task's plan and its creation time."""

    create_us: int
    plan: TaskPlan

    def __reduce__(self) -> tuple[type[PlannedTask], tuple[int, TaskPlan]]:
        return (PlannedTask, (self.create_us, self.plan))  # see TaskPlan.__reduce__


def random_uuid(rng: random.Random) -> str:
    """A version-4 UUID drawn from ``rng``."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def project_names(count: int) -> list[ProjectKind]:
    """``count`` projects: the catalogue's, then numbered second phases of them."""
    kinds: list[ProjectKind] = []
    phase = 1
    while len(kinds) < count:
        for kind in PROJECTS:
            if len(kinds) == count:
                break
            name = kind.name if phase == 1 else f"{kind.name}-phase{phase}"
            kinds.append(ProjectKind(name, kind.simulators))
        phase += 1
    return kinds


def _working_time(rng: random.Random, start: float, end: float) -> float:
    """A time in ``[start, end)``, mostly on weekdays during working hours (UTC)."""
    when = rng.uniform(start, end)
    for _ in range(20):
        moment = time.gmtime(when)
        weekend = moment.tm_wday >= 5
        office = 8 <= moment.tm_hour < 20
        chance = 0.15 if weekend else (1.0 if office else 0.3)
        if rng.random() < chance:
            break
        when = rng.uniform(start, end)
    return when


def _metadata(rng: random.Random) -> dict[str, str] | None:
    if rng.random() < 0.6:
        return None
    keys = rng.sample(METADATA_KEYS, rng.randint(1, 3))
    return {key: rng.choice(values) for key, values in keys}


@dataclass(frozen=True)
class _Batch:
    project: ProjectKind
    group: MachineGroup
    command: tuple[str, ...]
    simulator: str
    compute_median: float
    ttl: float | None
    metadata: dict[str, str] | None
    queue_base: float


def _batch(rng: random.Random, project: ProjectKind) -> _Batch:
    simulator = SIMULATOR_BY_NAME[rng.choice(project.simulators)]
    group = rng.choices(GROUPS, [g.weight for g in GROUPS])[0]
    procs = str(rng.choice([c for c in (4, 8, 16, 32, 56, 64, 88) if c <= group.cpus] or [2]))
    command = tuple(part.replace("{np}", procs) for part in rng.choice(simulator.commands))
    return _Batch(
        project=project,
        group=group,
        command=command,
        simulator=simulator.name,
        compute_median=simulator.compute_median_s * rng.lognormvariate(0.0, 0.6),
        ttl=rng.choice(TTL_CHOICES) if rng.random() < 0.25 else None,
        metadata=_metadata(rng),
        queue_base=rng.lognormvariate(2.0, 1.3),
    )


def plan_tasks(
    rng: random.Random, count: int, projects: int, now: float, days: float, first_queue_seq: int
) -> list[PlannedTask]:
    """``count`` planned tasks, oldest first, created in the ``days`` before ``now``."""
    kinds = project_names(projects)
    weights = [1.0 / (i + 1) ** 0.6 for i in range(len(kinds))]
    span = days * _DAY
    latest = now - 120.0
    windows = []
    for i in range(len(kinds)):
        start = now - span * rng.uniform(0.3, 1.0)
        end = latest if i < 2 else min(latest, start + span * rng.uniform(0.3, 1.0))
        windows.append((start, max(start + 1.0, end)))
    slots: list[tuple[float, _Batch, int]] = []
    while len(slots) < count:
        index = rng.choices(range(len(kinds)), weights)[0]
        batch = _batch(rng, kinds[index])
        size = min(count - len(slots), 1 + int(rng.expovariate(0.25)), 80)
        start = _working_time(rng, *windows[index])
        step = rng.uniform(0.4, 6.0)
        slots.extend((min(start + i * step, latest), batch, i) for i in range(size))
    slots.sort(key=lambda slot: slot[0])
    return _assign(rng, slots, first_queue_seq)


def _outcomes(rng: random.Random, count: int) -> list[TaskStatusCode]:
    codes = [code for code, _ in OUTCOMES]
    chosen = rng.choices(codes, [weight for _, weight in OUTCOMES], k=count)
    if count >= len(codes):
        for position, code in zip(rng.sample(range(count), len(codes)), codes, strict=True):
            chosen[position] = code
    return chosen


def _interruptions(rng: random.Random, group: MachineGroup) -> tuple[TaskStatusCode, ...]:
    roll = rng.random()
    if group.spot and roll < 0.15:
        return (S.SPOT_INSTANCE_PREEMPTED,) * (1 if roll < 0.12 else 2)
    if roll < 0.04:
        return (S.EXECUTER_TERMINATED,)
    if roll < 0.05:
        return (S.EXECUTER_TERMINATED, S.EXECUTER_TERMINATED)
    return ()


_ID_TAIL = range(24)


def _task_id(rng: random.Random) -> str:
    """A letter and 24 letters or digits: ``rng.choices(_ID_REST, k=24)``'s draws, inlined.

    Planning is done before any task is built, so its cost is all waited
    for; ``choices`` costs more than its draws here.
    """
    draw, count = rng.random, float(len(_ID_REST))
    return rng.choice(_ID_FIRST) + "".join([_ID_REST[int(draw() * count)] for _ in _ID_TAIL])


def _assign(
    rng: random.Random, slots: list[tuple[float, _Batch, int]], first_queue_seq: int
) -> list[PlannedTask]:
    outcomes = _outcomes(rng, len(slots))
    planned: list[PlannedTask] = []
    ids: set[str] = set()
    for number, ((when, batch, position), outcome) in enumerate(zip(slots, outcomes, strict=True)):
        task_id = _task_id(rng)
        while task_id in ids:
            task_id = _task_id(rng)
        ids.add(task_id)
        compute = min(batch.compute_median * rng.lognormvariate(0.0, 0.35), _MAX_COMPUTE)
        ttl = batch.ttl
        if outcome in (S.EXECUTER_TERMINATED_TTL_EXCEEDED, S.TTL_EXCEEDED) and ttl is None:
            ttl = rng.choice(TTL_CHOICES)
        if ttl is not None and outcome is not S.EXECUTER_TERMINATED_TTL_EXCEEDED:
            compute = min(compute, ttl * rng.uniform(0.3, 0.95))
        group = batch.group
        plan = TaskPlan(
            task_id=task_id,
            project=batch.project.name,
            simulator=SIMULATOR_BY_NAME[batch.simulator],
            group=group,
            command=batch.command,
            outcome=outcome,
            interruptions=_interruptions(rng, group) if outcome in _RUN_OUTCOMES else (),
            ttl_seconds=ttl,
            metadata=batch.metadata,
            queue_seconds=batch.queue_base + (position // group.slots) * batch.compute_median,
            compute_seconds=max(3.0, compute),
            queue_seq=first_queue_seq + number + 1,
        )
        planned.append(PlannedTask(int(when * US), plan))
    _ensure_resubmissions(rng, planned)
    return planned


def _ensure_resubmissions(rng: random.Random, planned: list[PlannedTask]) -> None:
    """Make sure both kinds of resubmission appear (small seeds may draw neither)."""
    if len(planned) < 20:
        return
    spot = next(g for g in GROUPS if g.spot)
    wanted = {
        S.EXECUTER_TERMINATED: None,
        S.SPOT_INSTANCE_PREEMPTED: spot,
    }
    for interruption, group in wanted.items():
        if any(interruption in item.plan.interruptions for item in planned):
            continue
        successes = [
            i
            for i, item in enumerate(planned)
            if item.plan.outcome is S.SUCCESS and not item.plan.interruptions
        ]
        if not successes:
            return
        index = rng.choice(successes)
        plan = planned[index].plan
        changed = dataclasses.replace(
            plan, interruptions=(interruption,), group=group or plan.group
        )
        planned[index] = PlannedTask(planned[index].create_us, changed)
