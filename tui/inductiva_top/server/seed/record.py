"""A task's record being written event by event, by the lifecycle's rules, on plain data.

:class:`Recorder` applies the rules of :mod:`~inductiva_top.server.tasks.lifecycle`
(which timestamp a state sets, how history entries and operations open and
close, what a resubmission clears) to plain dicts instead of the pydantic
records, because ``seed`` writes 100,000 tasks in seconds. Times are whole
microseconds since the epoch; :mod:`~inductiva_top.server.seed.rowjson` turns a
finished record into a ``tasks`` row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from inductiva_top.server.seed.data import MachineGroup, Simulator
from inductiva_top.server.tasks import statuses
from inductiva_top.server.tasks.statuses import OperationName, TaskStatusCode

S = TaskStatusCode
US = 1_000_000

# Keyed by the codes' string values: an Enum member's hash is a Python-level
# call, which showed up in profiles of seeding 100,000 tasks.
ALIAS = {code.value: statuses.alias(code) for code in S}
DESCRIPTION = {code.value: statuses.description(code) for code in S}
OPERATION_ALIAS = {name.value: statuses.operation_alias(name) for name in OperationName}
TERMINAL = frozenset(code.value for code in statuses.TERMINAL)

_EPOCH = datetime(1970, 1, 1)
_DATES: dict[int, str] = {}
_CLOCK: list[str] = []
"""``HH:MM:SS`` of every second of a day, made on first use (formatting is a hot spot)."""


def iso(us: int) -> str:
    """An epoch time in microseconds as the server's JSON writes it (``...Z``)."""
    seconds, micros = divmod(us, US)
    day, second = divmod(seconds, 86_400)
    date = _DATES.get(day)
    if date is None:
        date = _DATES[day] = (_EPOCH + timedelta(days=day)).strftime("%Y-%m-%dT")
    if not _CLOCK:
        _CLOCK.extend(
            f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)
        )
    if micros:
        return f"{date}{_CLOCK[second]}.{micros:06d}Z"
    return f"{date}{_CLOCK[second]}Z"


@dataclass(frozen=True)
class Machine:
    """The machine of one server run: what a run records as ``executer``."""

    uuid: str
    host: str
    group: MachineGroup


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


MachineFor = Callable[[MachineGroup, int], Machine]
"""``machine(group, at_us)``: the machine a run of ``group`` starting at ``at_us`` is on."""


class Recorder:
    """A task's record being written, one event at a time (lifecycle rules on dicts)."""

    def __init__(self, plan: TaskPlan, create_us: int, scale: float) -> None:
        self.plan = plan
        self.now = create_us
        self.scale = scale
        self.history: list[dict[str, Any]] = []
        self.times: dict[str, int | None] = {
            "create_time": create_us,
            "input_submit_time": None,
            "start_time": None,
            "computation_start_time": None,
            "computation_end_time": None,
            "end_time": None,
        }
        self.metrics: dict[str, Any] = {}
        self.executer: dict[str, Any] | None = None
        self.error_detail: str | None = None
        self.num_retries = 0
        self.cost_usd = 0.0
        self.input_zipped = 0
        self.input_unpacked = 0
        self.input_files = 1
        self.status = S.PENDING_INPUT
        self.enter(S.PENDING_INPUT)

    # -- time -----------------------------------------------------------------

    def wait(self, seconds: float) -> int:
        """Let ``seconds`` (scaled to fit before now) pass; returns the microseconds."""
        step = max(1, int(seconds * self.scale * US))
        self.now += step
        return step

    def since(self, start_us: int | None) -> float | None:
        return (self.now - start_us) / US if start_us is not None else None

    # -- lifecycle.enter ------------------------------------------------------

    def enter(
        self, code: TaskStatusCode, machine_id: str | None = None, detail: str | None = None
    ) -> None:
        """Close the current history entry (and its open operations), open ``code``'s."""
        now = self.now
        value: str = code._value_
        if self.history:
            current = self.history[-1]
            current["end_timestamp"] = now
            for operation in current["operations"]:
                if operation["end_timestamp"] is None:
                    operation["end_timestamp"] = now
                    operation["status"] = "FAILED"
        self.history.append(
            {
                "machine_id": machine_id,
                "status": value,
                "timestamp": now,
                "end_timestamp": None,
                "description": detail or DESCRIPTION[value],
                "alias": ALIAS[value],
                "operations": [],
            }
        )
        self.status = code
        times = self.times
        if code is S.SUBMITTED and times["input_submit_time"] is None:
            times["input_submit_time"] = now
        elif code is S.STARTED:
            times["start_time"] = now
            self.metrics["queue_time_seconds"] = self.since(times["input_submit_time"])
        elif code is S.COMPUTATION_STARTED:
            times["computation_start_time"] = now
        elif code is S.COMPUTATION_ENDED:
            times["computation_end_time"] = now
            self.metrics["computation_seconds"] = self.since(times["computation_start_time"])
        if value in TERMINAL:
            times["end_time"] = now
            self.metrics["total_seconds"] = self.since(times["create_time"])

    def resubmit(self, code: TaskStatusCode, machine_id: str | None, reason: str | None) -> None:
        """``lifecycle.resubmit``: record the loss, clear the run, back to ``submitted``."""
        self.enter(code, machine_id, reason)
        self.num_retries += 1
        for name in ("start_time", "computation_start_time", "computation_end_time"):
            self.times[name] = None
        self.executer = None
        self.error_detail = None
        self.metrics = {
            key: self.metrics[key]
            for key in ("input_zipped_size_bytes", "input_size_bytes")
            if key in self.metrics
        }
        self.enter(S.SUBMITTED)

    # -- operations -----------------------------------------------------------

    def start(self, name: OperationName, attributes: dict[str, Any] | None = None) -> None:
        self.history[-1]["operations"].append(
            {
                "name": name._value_,
                "alias": OPERATION_ALIAS[name._value_],
                "start_timestamp": self.now,
                "end_timestamp": None,
                "status": "RUNNING",
                "attributes": attributes or {},
            }
        )

    def end(
        self, name: OperationName, ok: bool = True, attributes: dict[str, Any] | None = None
    ) -> float | None:
        wanted: str = name._value_
        for entry in reversed(self.history):
            for operation in reversed(entry["operations"]):
                if operation["name"] == wanted and operation["end_timestamp"] is None:
                    operation["end_timestamp"] = self.now
                    operation["status"] = "OK" if ok else "FAILED"
                    operation["attributes"].update(attributes or {})
                    started: int = operation["start_timestamp"]
                    return (self.now - started) / US
        return None
