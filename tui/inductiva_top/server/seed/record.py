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

import pydantic_core

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


_DATES: dict[int, str] = {}
"""``YYYY-MM-DD`` of each day since the epoch met so far (a seed spans a few weeks)."""


def iso_time(at: int) -> str:
    """A time in microseconds as the models write a UTC datetime (no fraction when whole)."""
    seconds, fraction = divmod(at, US)
    day, seconds = divmod(seconds, 86_400)
    date = _DATES.get(day)
    if date is None:
        date = _DATES[day] = time.strftime("%Y-%m-%d", time.gmtime(day * 86_400))
    hour, seconds = divmod(seconds, 3600)
    minute, seconds = divmod(seconds, 60)
    if fraction:
        return "%sT%02d:%02d:%02d.%06dZ" % (date, hour, minute, seconds, fraction)  # noqa: UP031 (faster)
    return "%sT%02d:%02d:%02dZ" % (date, hour, minute, seconds)  # noqa: UP031


def _seconds(start: int | None, end: int) -> float | None:
    """``lifecycle._seconds`` on microseconds (``timedelta.total_seconds`` divides the same way)."""
    if start is None:
        return None
    return round((end - start) / US, 6)


_METRICS: dict[str, Any] = TaskMetrics().model_dump()
"""Empty metrics, in the model's field order."""

_WORDS: dict[TaskStatusCode, tuple[str, str, str]] = {
    code: (code.value, statuses.alias(code), statuses.description(code)) for code in S
}
"""Each code's wire value, alias and description (enum lookups, once)."""

_OPERATION_ALIASES: dict[str, str] = {name.value: statuses.operation_alias(name) for name in Op}

_RUNNING, _OK, _FAILED = (
    OperationStatus.RUNNING.value,
    OperationStatus.OK.value,
    OperationStatus.FAILED.value,
)

_DOWNLOAD_INPUT, _UNCOMPRESS_INPUT, _EXEC_COMMAND = (
    Op.DOWNLOAD_INPUT.value,
    Op.UNCOMPRESS_INPUT.value,
    Op.EXEC_COMMAND.value,
)
_COMPRESS_OUTPUT, _UPLOAD_OUTPUT = Op.COMPRESS_OUTPUT.value, Op.UPLOAD_OUTPUT.value


def _template() -> dict[str, Any]:
    """A new task's document as the models dump it: every field the seeder leaves alone."""
    request = TaskRequest(simulator="-")
    record = lifecycle.new_task("-", request, "-", lifecycle.utcnow())
    return record.task.model_dump(mode="json", exclude=set(HISTORY_FIELDS))


_TEMPLATE = _template()


def _json_text(document: Any) -> str:
    """Compact JSON by pydantic-core's encoder, three times the standard library's speed.

    Its text differs from :func:`~inductiva_top.server.tasks.store.json_text`'s
    only in how it spells small floats (``2.1e-5`` for ``2.1e-05``), which
    every reader parses to the same number. Seeded documents are ASCII
    with finite numbers, where the two encoders agree on everything else.
    """
    return pydantic_core.to_json(document).decode()


class PlainRecord:
    """One task's record while the seeder writes its history (see the module's docstring).

    The record is its documents: the task's (``doc``) and its status history's
    entries, each changed in place as the models would be. Each step formats
    its time once; the times the rules compute with are kept as microseconds.
    """

    def __init__(self, plan: TaskPlan, create: int) -> None:
        self.plan = plan
        self._status = S.PENDING_INPUT
        self._create = create
        self._input_submit: int | None = None
        self._computation_start: int | None = None
        self.metrics = dict(_METRICS)
        task_id, group, created = plan.task_id, plan.group.name, iso_time(create)
        doc = self.doc = dict(_TEMPLATE)
        value, alias, description = _WORDS[S.PENDING_INPUT]
        doc.update(
            task_id=task_id,
            status=value,
            status_alias=alias,
            simulator=plan.simulator.name,
            storage_path=task_id,
            storage_input_path=f"{task_id}/input.zip",
            storage_output_path=f"{task_id}/output.zip",
            project=plan.project,
            is_terminated=False,
            create_time=created,
            metrics=self.metrics,
            machine_group_name=group,
            machine_group_id=group,
            task_metadata=plan.metadata,
            extra_params={"command": list(plan.command), "env": None},
            resubmit_on_preemption=plan.group.spot,
            time_to_live_seconds=plan.ttl_seconds,
        )
        self.history: list[dict[str, Any]] = [_entry(value, created, None, description, alias)]

    @property
    def status(self) -> TaskStatusCode:
        return self._status

    @property
    def submitted(self) -> bool:
        return self._input_submit is not None

    @property
    def _terminated(self) -> bool:
        return self._status in statuses.TERMINAL

    # -- lifecycle ------------------------------------------------------------

    def enter(self, code: TaskStatusCode, at: int, machine_id: str | None = None) -> None:
        self._enter(code, at, iso_time(at), machine_id)

    def _enter(
        self,
        code: TaskStatusCode,
        at: int,
        text: str,
        machine_id: str | None = None,
        detail: str | None = None,
    ) -> None:
        current = self.history[-1]
        if current["end_timestamp"] is None:
            current["end_timestamp"] = text
            for operation in current["operations"]:
                if operation["end_timestamp"] is None:
                    operation["end_timestamp"] = text
                    operation["status"] = _FAILED
        value, alias, description = _WORDS[code]
        self.history.append(_entry(value, text, machine_id, detail or description, alias))
        self._status = code
        doc, metrics = self.doc, self.metrics
        doc["status"] = value
        doc["status_alias"] = alias
        if code is S.SUBMITTED and self._input_submit is None:
            self._input_submit = at
            doc["input_submit_time"] = text
        elif code is S.STARTED:
            doc["start_time"] = text
            metrics["queue_time_seconds"] = _seconds(self._input_submit, at)
        elif code is S.COMPUTATION_STARTED:
            self._computation_start = at
            doc["computation_start_time"] = text
        elif code is S.COMPUTATION_ENDED:
            doc["computation_end_time"] = text
            metrics["computation_seconds"] = _seconds(self._computation_start, at)
        if code in statuses.TERMINAL:
            doc["is_terminated"] = True
            doc["end_time"] = text
            metrics["total_seconds"] = doc["duration_seconds"] = _seconds(self._create, at)

    def resubmit(
        self, at: int, code: TaskStatusCode, machine_id: str | None, reason: str | None = None
    ) -> None:
        text = iso_time(at)
        self._enter(code, at, text, machine_id, reason)
        doc = self.doc
        doc["num_retries"] += 1
        doc["start_time"] = doc["computation_start_time"] = doc["computation_end_time"] = None
        self._computation_start = None
        doc["executer"] = None
        doc["error_detail"] = None
        metrics = dict(_METRICS)
        for kept in ("input_zipped_size_bytes", "input_size_bytes"):
            metrics[kept] = self.metrics[kept]
        self.metrics = doc["metrics"] = metrics
        self._enter(S.SUBMITTED, at, text)

    def kill(self, at: int, machine_id: str | None) -> None:
        if self._status in (S.PENDING_INPUT, S.SUBMITTED):
            self._enter(S.KILLED, at, iso_time(at))
        elif self._status in (S.STARTED, S.COMPUTATION_STARTED):
            self._enter(S.PENDING_KILL, at, iso_time(at), machine_id)

    def orphan(self, at: int) -> None:
        if self._status in (S.SUBMITTED, S.PENDING_INPUT):
            self._enter(S.ZOMBIE, at, iso_time(at))

    def fail(self, detail: str) -> None:
        self.doc["error_detail"] = detail

    def _start_operation(
        self, name: str, text: str, attributes: dict[str, Any] | None = None
    ) -> None:
        self.history[-1]["operations"].append(
            {
                "name": name,
                "alias": _OPERATION_ALIASES[name],
                "start_timestamp": text,
                "end_timestamp": None,
                "status": _RUNNING,
                "attributes": attributes or {},
            }
        )

    def _end_operation(
        self, name: str, text: str, *, ok: bool = True, attributes: dict[str, Any] | None = None
    ) -> None:
        for entry in reversed(self.history):
            for operation in reversed(entry["operations"]):
                if operation["name"] == name and operation["end_timestamp"] is None:
                    operation["end_timestamp"] = text
                    operation["status"] = _OK if ok else _FAILED
                    if attributes:
                        operation["attributes"].update(attributes)
                    return

    def _fail_executer(self, detail: str, at: int, text: str, machine_id: str | None) -> None:
        executer = self.doc["executer"]
        if executer is not None:
            executer["error_detail"] = detail
        self.doc["error_detail"] = detail
        self._enter(S.EXECUTER_FAILED, at, text, machine_id, detail)

    # -- steps ----------------------------------------------------------------

    def picked(self, executer: dict[str, Any], at: int) -> None:
        text = iso_time(at)
        self.doc["executer"] = dict(executer)
        self._enter(S.STARTED, at, text, executer["uuid"])
        self._start_operation(_DOWNLOAD_INPUT, text)

    def input_downloaded(self, at: int, *, size_bytes: int, seconds: float) -> None:
        text = iso_time(at)
        self._end_operation(_DOWNLOAD_INPUT, text, attributes={"size_bytes": size_bytes})
        self.metrics["input_download_seconds"] = seconds
        self.metrics["input_zipped_size_bytes"] = size_bytes
        self._start_operation(_UNCOMPRESS_INPUT, text)

    def input_unpacked(self, at: int, *, files: int, size_bytes: int, seconds: float) -> None:
        self._end_operation(_UNCOMPRESS_INPUT, iso_time(at), attributes={"files": files})
        self.metrics["input_decompression_seconds"] = seconds
        self.metrics["input_size_bytes"] = size_bytes

    def operation_failed(self, operation: Op, detail: str, at: int, machine_id: str) -> None:
        if self._terminated:
            return
        text = iso_time(at)
        self._end_operation(operation.value, text, ok=False)
        self.doc["error_detail"] = detail
        self._enter(S.FAILED, at, text, machine_id, detail)

    def command_started(self, command_line: str, at: int, machine_id: str) -> None:
        if self._status is S.STARTED:
            text = iso_time(at)
            self._enter(S.COMPUTATION_STARTED, at, text, machine_id)
            self._start_operation(_EXEC_COMMAND, text, {"command": command_line})

    def command_not_started(self, command_line: str, reason: str, at: int, machine_id: str) -> None:
        text = iso_time(at)
        if self._status is S.STARTED:
            self._start_operation(_EXEC_COMMAND, text, {"command": command_line})
            self._end_operation(_EXEC_COMMAND, text, ok=False)
        detail = steps.spawn_failure(reason)
        self.doc["error_detail"] = detail
        self._enter(S.FAILED, at, text, machine_id, detail)

    def command_ended(self, returncode: int | None, at: int, machine_id: str) -> None:
        text = iso_time(at)
        attributes = {"exit_code": returncode} if returncode is not None else None
        self._end_operation(_EXEC_COMMAND, text, ok=returncode == 0, attributes=attributes)
        if self._status is S.COMPUTATION_STARTED:
            self._enter(S.COMPUTATION_ENDED, at, text, machine_id)
        self._start_operation(_COMPRESS_OUTPUT, text)

    def output_compressed(self, at: int) -> None:
        text = iso_time(at)
        self._end_operation(_COMPRESS_OUTPUT, text)
        self._start_operation(_UPLOAD_OUTPUT, text)

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
        self._end_operation(_UPLOAD_OUTPUT, iso_time(at), attributes={"size_bytes": zipped_bytes})
        metrics = self.metrics
        metrics["output_compression_seconds"] = compress_seconds
        metrics["output_upload_seconds"] = upload_seconds
        metrics["output_size_bytes"] = size_bytes
        metrics["output_zipped_size_bytes"] = zipped_bytes
        metrics["output_total_files"] = files

    def executor_failed(self, detail: str, at: int, machine_id: str) -> None:
        if not self._terminated:
            self._fail_executer(detail, at, iso_time(at), machine_id)

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
        text, doc = iso_time(at), self.doc
        if self._status is S.PENDING_KILL or reason is StopReason.KILL:
            self._enter(S.KILLED, at, text, machine_id)
        elif reason is StopReason.TTL:
            doc["error_detail"] = steps.ttl_exceeded(self.plan.ttl_seconds)
            self._enter(S.EXECUTER_TERMINATED_TTL_EXCEEDED, at, text, machine_id)
        elif reason is StopReason.GROUP_TERMINATED:
            doc["error_detail"] = steps.group_terminated(group)
            self._enter(S.EXECUTER_TERMINATED_BY_USER, at, text, machine_id)
        elif reason is StopReason.CREDITS:
            doc["error_detail"] = steps.CREDITS_EXHAUSTED
            self._enter(S.EXECUTER_TERMINATED_CREDITS_EXHAUSTED, at, text, machine_id)
        elif returncode == 0:
            self._enter(S.SUCCESS, at, text, machine_id)
        else:
            detail = steps.command_failure(returncode if returncode is not None else -1)
            doc["error_detail"] = detail
            self._enter(S.FAILED, at, text, machine_id, detail)

    def run_lost(self, at: int, reason: str) -> None:
        if self._status is S.PENDING_KILL:
            self._enter(S.KILLED, at, iso_time(at))
        elif not self._terminated:
            self.resubmit(at, S.EXECUTER_TERMINATED, None, reason)

    # -- the row --------------------------------------------------------------

    def row(self, *, cost: float, queue_seq: int | None) -> dict[str, Any]:
        self.doc["estimated_computation_cost"] = cost
        return row_from_documents(self.doc, self.history, queue_seq=queue_seq, text=_json_text)


def _entry(
    status: str, text: str, machine_id: str | None, description: str, alias: str
) -> dict[str, Any]:
    """A status-history entry as ``TaskStatusInfo`` dumps it."""
    return {
        "machine_id": machine_id,
        "status": status,
        "timestamp": text,
        "end_timestamp": None,
        "description": description,
        "alias": alias,
        "operations": [],
    }
