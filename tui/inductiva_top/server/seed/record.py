"""A seeded task's record as plain values, kept by the runner's rules.

The runner records a task on the server's pydantic models, through
:mod:`~inductiva_top.server.tasks.lifecycle` (state changes) and
:mod:`~inductiva_top.server.tasks.steps` (the steps of a run). Recording
100,000 seeded tasks that way cost most of a seed's time: about fifteen
validated model constructions and fifty-five guarded attribute assignments
per task, then a dump of every model back to plain data. :class:`PlainRecord`
keeps the same facts as plain values (times as whole microseconds since the
epoch), applies the same rules, each method named as the step it mirrors,
and writes the same documents, key for key and byte for byte.

:class:`Recorder` is what the seeder (:mod:`.task`) records through. The test
suite records seeds through both this class and a recorder that calls the
lifecycle and steps functions on the models, and requires identical rows:
that test is what keeps these rules the runner's.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

from inductiva_top.server import statuses
from inductiva_top.server.schemas import TaskMetrics, TaskRequest
from inductiva_top.server.seed.plan import US, TaskPlan
from inductiva_top.server.statuses import OperationName, OperationStatus, TaskStatusCode
from inductiva_top.server.tasks import lifecycle, steps
from inductiva_top.server.tasks.steps import StopReason
from inductiva_top.server.tasks.store import HISTORY_FIELDS, row_from_documents

__all__ = ["PlainRecord", "Recorder", "iso_time"]

S = TaskStatusCode
Op = OperationName


class Recorder(Protocol):
    """The steps of a task's life the seeder records (times: microseconds since the epoch).

    Each method means what the :mod:`~inductiva_top.server.tasks.lifecycle`
    or :mod:`~inductiva_top.server.tasks.steps` function of the same name does.
    """

    @property
    def status(self) -> TaskStatusCode:
        """The current status."""

    @property
    def submitted(self) -> bool:
        """Whether the task's inputs were ever uploaded (it has an ``input_submit_time``)."""

    def enter(self, code: TaskStatusCode, at: int, machine_id: str | None = None) -> None: ...

    def resubmit(self, at: int, code: TaskStatusCode, machine_id: str) -> None: ...

    def kill(self, at: int, machine_id: str | None) -> None: ...

    def orphan(self, at: int) -> None: ...

    def fail(self, detail: str) -> None:
        """Set the task's ``error_detail``."""

    def picked(self, executer: dict[str, Any], at: int) -> None: ...

    def input_downloaded(self, at: int, *, size_bytes: int, seconds: float) -> None: ...

    def input_unpacked(self, at: int, *, files: int, size_bytes: int, seconds: float) -> None: ...

    def operation_failed(self, operation: Op, detail: str, at: int, machine_id: str) -> None: ...

    def command_started(self, command_line: str, at: int, machine_id: str) -> None: ...

    def command_not_started(
        self, command_line: str, reason: str, at: int, machine_id: str
    ) -> None: ...

    def command_ended(self, returncode: int | None, at: int, machine_id: str) -> None: ...

    def output_compressed(self, at: int) -> None: ...

    def output_stored(
        self,
        at: int,
        *,
        files: int,
        size_bytes: int,
        zipped_bytes: int,
        compress_seconds: float,
        upload_seconds: float,
    ) -> None: ...

    def executor_failed(self, detail: str, at: int, machine_id: str) -> None: ...

    def run_ended(
        self,
        at: int,
        machine_id: str,
        *,
        returncode: int | None,
        reason: StopReason | None,
        group: str,
    ) -> None: ...

    def run_lost(self, at: int, reason: str) -> None: ...

    def row(self, *, cost: float, queue_seq: int | None) -> dict[str, Any]:
        """The task's ``tasks`` row, with its ``estimated_computation_cost`` and queue place."""


_SECONDS: dict[int, str] = {}
"""``YYYY-MM-DDTHH:MM:SS`` of recent whole seconds (a task's times share a few)."""


def iso_time(at: int) -> str:
    """A time in microseconds as the models write a UTC datetime (no fraction when whole)."""
    whole, fraction = divmod(at, US)
    prefix = _SECONDS.get(whole)
    if prefix is None:
        if len(_SECONDS) > 4096:
            _SECONDS.clear()  # bounded: a seed's times move forward
        prefix = _SECONDS[whole] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))
    return f"{prefix}.{fraction:06d}Z" if fraction else f"{prefix}Z"


def _optional_time(at: int | None) -> str | None:
    return None if at is None else iso_time(at)


def _seconds(start: int | None, end: int | None) -> float | None:
    """``lifecycle._seconds`` on microseconds (``timedelta.total_seconds`` divides the same way)."""
    if start is None or end is None:
        return None
    return round((end - start) / US, 6)


_METRICS: dict[str, Any] = TaskMetrics().model_dump()
"""Empty metrics, in the model's field order."""

_WORDS: dict[TaskStatusCode, tuple[str, str, str]] = {
    code: (code.value, statuses.alias(code), statuses.description(code)) for code in S
}
"""Each code's wire value, alias and description (enum lookups, once)."""

_OPERATION_WORDS: dict[Op, tuple[str, str]] = {
    name: (name.value, statuses.operation_alias(name)) for name in Op
}

_OK, _FAILED = OperationStatus.OK.value, OperationStatus.FAILED.value


def _template() -> dict[str, Any]:
    """A new task's document as the models dump it: every field the seeder leaves alone."""
    request = TaskRequest(simulator="-")
    record = lifecycle.new_task("-", request, "-", lifecycle.utcnow())
    return record.task.model_dump(mode="json", exclude=set(HISTORY_FIELDS))


_TEMPLATE = _template()


class _Operation:
    __slots__ = ("attributes", "end", "name", "ok", "start")

    def __init__(self, name: Op, start: int, attributes: dict[str, Any]) -> None:
        self.name = name
        self.start = start
        self.end: int | None = None
        self.ok: bool | None = None
        """None while it runs."""
        self.attributes = attributes

    def document(self) -> dict[str, Any]:
        name, alias = _OPERATION_WORDS[self.name]
        return {
            "name": name,
            "alias": alias,
            "start_timestamp": iso_time(self.start),
            "end_timestamp": _optional_time(self.end),
            "status": OperationStatus.RUNNING.value
            if self.ok is None
            else (_OK if self.ok else _FAILED),
            "attributes": self.attributes,
        }


class _Entry:
    __slots__ = ("at", "code", "description", "end", "machine_id", "operations")

    def __init__(self, code: TaskStatusCode, at: int, machine_id: str | None, description: str):
        self.code = code
        self.at = at
        self.end: int | None = None
        self.machine_id = machine_id
        self.description = description
        self.operations: list[_Operation] = []

    def document(self) -> dict[str, Any]:
        value, alias, _ = _WORDS[self.code]
        return {
            "machine_id": self.machine_id,
            "status": value,
            "timestamp": iso_time(self.at),
            "end_timestamp": _optional_time(self.end),
            "description": self.description,
            "alias": alias,
            "operations": [operation.document() for operation in self.operations],
        }


class PlainRecord:
    """One task's record while the seeder writes its history (see the module's docstring)."""

    def __init__(self, plan: TaskPlan, create: int) -> None:
        self.plan = plan
        self._status = S.PENDING_INPUT
        self.create = create
        self.input_submit: int | None = None
        self.start: int | None = None
        self.computation_start: int | None = None
        self.computation_end: int | None = None
        self.end: int | None = None
        self.metrics = dict(_METRICS)
        self.executer: dict[str, Any] | None = None
        self.error_detail: str | None = None
        self.num_retries = 0
        self.duration: float | None = None
        self.history = [_Entry(S.PENDING_INPUT, create, None, _WORDS[S.PENDING_INPUT][2])]

    @property
    def status(self) -> TaskStatusCode:
        return self._status

    @property
    def submitted(self) -> bool:
        return self.input_submit is not None

    @property
    def _terminated(self) -> bool:
        return self._status in statuses.TERMINAL

    # -- lifecycle ------------------------------------------------------------

    def enter(
        self,
        code: TaskStatusCode,
        at: int,
        machine_id: str | None = None,
        detail: str | None = None,
    ) -> None:
        current = self.history[-1]
        if current.end is None:
            current.end = at
            for operation in current.operations:
                if operation.end is None:
                    operation.end = at
                    operation.ok = False
        self.history.append(_Entry(code, at, machine_id, detail or _WORDS[code][2]))
        self._status = code
        metrics = self.metrics
        if code is S.SUBMITTED and self.input_submit is None:
            self.input_submit = at
        elif code is S.STARTED:
            self.start = at
            metrics["queue_time_seconds"] = _seconds(self.input_submit, at)
        elif code is S.COMPUTATION_STARTED:
            self.computation_start = at
        elif code is S.COMPUTATION_ENDED:
            self.computation_end = at
            metrics["computation_seconds"] = _seconds(self.computation_start, at)
        if code in statuses.TERMINAL:
            self.end = at
            metrics["total_seconds"] = self.duration = _seconds(self.create, at)

    def resubmit(
        self, at: int, code: TaskStatusCode, machine_id: str | None, reason: str | None = None
    ) -> None:
        self.enter(code, at, machine_id, reason)
        self.num_retries += 1
        self.start = self.computation_start = self.computation_end = None
        self.executer = None
        self.error_detail = None
        metrics = dict(_METRICS)
        for kept in ("input_zipped_size_bytes", "input_size_bytes"):
            metrics[kept] = self.metrics[kept]
        self.metrics = metrics
        self.enter(S.SUBMITTED, at)

    def kill(self, at: int, machine_id: str | None) -> None:
        if self._status in (S.PENDING_INPUT, S.SUBMITTED):
            self.enter(S.KILLED, at)
        elif self._status in (S.STARTED, S.COMPUTATION_STARTED):
            self.enter(S.PENDING_KILL, at, machine_id)

    def orphan(self, at: int) -> None:
        if self._status in (S.SUBMITTED, S.PENDING_INPUT):
            self.enter(S.ZOMBIE, at)

    def fail(self, detail: str) -> None:
        self.error_detail = detail

    def _start_operation(self, name: Op, at: int, attributes: dict[str, Any] | None = None) -> None:
        self.history[-1].operations.append(_Operation(name, at, attributes or {}))

    def _end_operation(
        self, name: Op, at: int, *, ok: bool = True, attributes: dict[str, Any] | None = None
    ) -> None:
        for entry in reversed(self.history):
            for operation in reversed(entry.operations):
                if operation.name is name and operation.end is None:
                    operation.end = at
                    operation.ok = ok
                    if attributes:
                        operation.attributes.update(attributes)
                    return

    def _fail_executer(self, detail: str, at: int, machine_id: str | None) -> None:
        if self.executer is not None:
            self.executer["error_detail"] = detail
        self.error_detail = detail
        self.enter(S.EXECUTER_FAILED, at, machine_id, detail)

    # -- steps ----------------------------------------------------------------

    def picked(self, executer: dict[str, Any], at: int) -> None:
        self.executer = dict(executer)
        self.enter(S.STARTED, at, executer["uuid"])
        self._start_operation(Op.DOWNLOAD_INPUT, at)

    def input_downloaded(self, at: int, *, size_bytes: int, seconds: float) -> None:
        self._end_operation(Op.DOWNLOAD_INPUT, at, attributes={"size_bytes": size_bytes})
        self.metrics["input_download_seconds"] = seconds
        self.metrics["input_zipped_size_bytes"] = size_bytes
        self._start_operation(Op.UNCOMPRESS_INPUT, at)

    def input_unpacked(self, at: int, *, files: int, size_bytes: int, seconds: float) -> None:
        self._end_operation(Op.UNCOMPRESS_INPUT, at, attributes={"files": files})
        self.metrics["input_decompression_seconds"] = seconds
        self.metrics["input_size_bytes"] = size_bytes

    def operation_failed(self, operation: Op, detail: str, at: int, machine_id: str) -> None:
        if self._terminated:
            return
        self._end_operation(operation, at, ok=False)
        self.error_detail = detail
        self.enter(S.FAILED, at, machine_id, detail)

    def command_started(self, command_line: str, at: int, machine_id: str) -> None:
        if self._status is S.STARTED:
            self.enter(S.COMPUTATION_STARTED, at, machine_id)
            self._start_operation(Op.EXEC_COMMAND, at, {"command": command_line})

    def command_not_started(self, command_line: str, reason: str, at: int, machine_id: str) -> None:
        if self._status is S.STARTED:
            self._start_operation(Op.EXEC_COMMAND, at, {"command": command_line})
            self._end_operation(Op.EXEC_COMMAND, at, ok=False)
        detail = steps.spawn_failure(reason)
        self.error_detail = detail
        self.enter(S.FAILED, at, machine_id, detail)

    def command_ended(self, returncode: int | None, at: int, machine_id: str) -> None:
        attributes = {"exit_code": returncode} if returncode is not None else None
        self._end_operation(Op.EXEC_COMMAND, at, ok=returncode == 0, attributes=attributes)
        if self._status is S.COMPUTATION_STARTED:
            self.enter(S.COMPUTATION_ENDED, at, machine_id)
        self._start_operation(Op.COMPRESS_OUTPUT, at)

    def output_compressed(self, at: int) -> None:
        self._end_operation(Op.COMPRESS_OUTPUT, at)
        self._start_operation(Op.UPLOAD_OUTPUT, at)

    def output_stored(
        self,
        at: int,
        *,
        files: int,
        size_bytes: int,
        zipped_bytes: int,
        compress_seconds: float,
        upload_seconds: float,
    ) -> None:
        self._end_operation(Op.UPLOAD_OUTPUT, at, attributes={"size_bytes": zipped_bytes})
        metrics = self.metrics
        metrics["output_compression_seconds"] = compress_seconds
        metrics["output_upload_seconds"] = upload_seconds
        metrics["output_size_bytes"] = size_bytes
        metrics["output_zipped_size_bytes"] = zipped_bytes
        metrics["output_total_files"] = files

    def executor_failed(self, detail: str, at: int, machine_id: str) -> None:
        if not self._terminated:
            self._fail_executer(detail, at, machine_id)

    def run_ended(
        self,
        at: int,
        machine_id: str,
        *,
        returncode: int | None,
        reason: StopReason | None,
        group: str,
    ) -> None:
        if self._terminated:
            return
        if self._status is S.PENDING_KILL or reason is StopReason.KILL:
            self.enter(S.KILLED, at, machine_id)
        elif reason is StopReason.TTL:
            self.error_detail = steps.ttl_exceeded(self.plan.ttl_seconds)
            self.enter(S.EXECUTER_TERMINATED_TTL_EXCEEDED, at, machine_id)
        elif reason is StopReason.GROUP_TERMINATED:
            self.error_detail = steps.group_terminated(group)
            self.enter(S.EXECUTER_TERMINATED_BY_USER, at, machine_id)
        elif reason is StopReason.CREDITS:
            self.error_detail = steps.CREDITS_EXHAUSTED
            self.enter(S.EXECUTER_TERMINATED_CREDITS_EXHAUSTED, at, machine_id)
        elif returncode == 0:
            self.enter(S.SUCCESS, at, machine_id)
        else:
            detail = steps.command_failure(returncode if returncode is not None else -1)
            self.error_detail = detail
            self.enter(S.FAILED, at, machine_id, detail)

    def run_lost(self, at: int, reason: str) -> None:
        if self._status is S.PENDING_KILL:
            self.enter(S.KILLED, at)
        elif not self._terminated:
            self.resubmit(at, S.EXECUTER_TERMINATED, None, reason)

    # -- the row --------------------------------------------------------------

    def row(self, *, cost: float, queue_seq: int | None) -> dict[str, Any]:
        plan, status = self.plan, self._status
        value, alias, _ = _WORDS[status]
        task_id, group = plan.task_id, plan.group.name
        doc = dict(_TEMPLATE)
        doc.update(
            task_id=task_id,
            status=value,
            status_alias=alias,
            simulator=plan.simulator.name,
            storage_path=task_id,
            storage_input_path=f"{task_id}/input.zip",
            storage_output_path=f"{task_id}/output.zip",
            project=plan.project,
            is_terminated=status in statuses.TERMINAL,
            create_time=iso_time(self.create),
            input_submit_time=_optional_time(self.input_submit),
            start_time=_optional_time(self.start),
            computation_start_time=_optional_time(self.computation_start),
            computation_end_time=_optional_time(self.computation_end),
            end_time=_optional_time(self.end),
            estimated_computation_cost=cost,
            metrics=self.metrics,
            executer=self.executer,
            machine_group_name=group,
            machine_group_id=group,
            error_detail=self.error_detail,
            num_retries=self.num_retries,
            task_metadata=plan.metadata,
            extra_params={"command": list(plan.command), "env": None},
            resubmit_on_preemption=plan.group.spot,
            duration_seconds=self.duration,
            time_to_live_seconds=plan.ttl_seconds,
        )
        history = [entry.document() for entry in self.history]
        return row_from_documents(doc, history, queue_seq=queue_seq)
