"""The steps of one run of a task as they are recorded, and the texts they record.

Each function is one thing happening to a task on its machine (picked by an
executor, inputs downloaded, the command started or ended, outputs stored,
the run ended), applied to the task's record with the rules of
:mod:`.lifecycle`. The runner (:mod:`.runner`) calls them as things really
happen. The seeder records the same steps on simulated time, on plain values
for speed (:mod:`inductiva_top.server.seed.record`, which uses these texts);
a test holds its records to these functions' word for word. A change of the
rules here is a change there too.
"""

from __future__ import annotations

import enum
from datetime import datetime

from inductiva_top.server.schemas import Executer, TaskMetrics
from inductiva_top.server.statuses import OperationName, TaskStatusCode
from inductiva_top.server.tasks import lifecycle
from inductiva_top.server.tasks.lifecycle import TaskRecord
from inductiva_top.server.tasks.processes import describe_exit

S = TaskStatusCode
Op = OperationName

SHUTDOWN_REASON = "the server shut down while the task ran"
"""Why a task running at a clean shutdown is resubmitted."""
CRASH_REASON = "the server stopped unexpectedly while the task ran; the task is resubmitted"
"""Why a task held when the server died is resubmitted (at the next start)."""
NO_COMMAND = "the task has no command to run"


class StopReason(enum.Enum):
    """Why a run was asked to stop early."""

    KILL = "kill"
    TTL = "ttl"
    GROUP_TERMINATED = "group"
    CREDITS = "credits"
    SHUTDOWN = "shutdown"


def spawn_failure(reason: str) -> str:
    """The error of a command that could not be started (``reason``: the OS's words)."""
    return f"the command could not be started: {reason}"


def executor_failure(error: object) -> str:
    """The error of an executor that failed by itself (a full disk, say)."""
    return f"executor failure: {error}"


def unexpected_failure(error: BaseException) -> str:
    """The error of an executor that failed on a bug of its own."""
    return f"unexpected executor failure: {type(error).__name__}: {error}"


def command_failure(returncode: int) -> str:
    """The error of a command that exited with ``returncode`` (negative: a signal)."""
    return f"the command failed with {describe_exit(returncode)}"


def ttl_exceeded(ttl: float | None) -> str:
    """The error of a computation stopped at the end of its time to live."""
    return f"the computation exceeded its time to live of {ttl:g} s and was stopped"


def group_terminated(group: str) -> str:
    """The error of a task whose machine group was terminated while it ran."""
    return f"machine group {group!r} was terminated while the task ran"


CREDITS_EXHAUSTED = "credits exhausted: the account's credits reached its termination threshold"
"""The error of a task stopped because the credits ran out."""


def _metrics(record: TaskRecord) -> TaskMetrics:
    metrics = record.task.metrics
    assert metrics is not None  # every record gets its metrics when it is created
    return metrics


def picked(record: TaskRecord, executer: Executer, now: datetime) -> None:
    """An executor took the task: ``started`` on its machine; the input download begins."""
    lifecycle.set_executer(record, executer)
    lifecycle.enter(record, S.STARTED, now, machine_id=executer.uuid)
    lifecycle.start_operation(record, Op.DOWNLOAD_INPUT, now)


def input_downloaded(record: TaskRecord, now: datetime, *, size_bytes: int, seconds: float) -> None:
    """The input zip is on the machine; unpacking begins."""
    lifecycle.end_operation(record, Op.DOWNLOAD_INPUT, now, attributes={"size_bytes": size_bytes})
    metrics = _metrics(record)
    metrics.input_download_seconds = seconds
    metrics.input_zipped_size_bytes = size_bytes
    lifecycle.start_operation(record, Op.UNCOMPRESS_INPUT, now)


def input_unpacked(
    record: TaskRecord, now: datetime, *, files: int, size_bytes: int, seconds: float
) -> None:
    """The inputs are in the work dir."""
    lifecycle.end_operation(record, Op.UNCOMPRESS_INPUT, now, attributes={"files": files})
    metrics = _metrics(record)
    metrics.input_decompression_seconds = seconds
    metrics.input_size_bytes = size_bytes


def operation_failed(
    record: TaskRecord, operation: OperationName, detail: str, now: datetime, machine_id: str
) -> None:
    """``operation`` failed for a reason of the task's own (bad input, no command): ``failed``."""
    if record.task.is_terminated:
        return
    lifecycle.end_operation(record, operation, now, ok=False)
    record.task.error_detail = detail
    lifecycle.enter(record, S.FAILED, now, machine_id=machine_id, detail=detail)


def command_started(record: TaskRecord, command_line: str, now: datetime, machine_id: str) -> None:
    """The command's process exists: ``computation-started`` (unless a kill came first)."""
    if record.status is S.STARTED:
        lifecycle.enter(record, S.COMPUTATION_STARTED, now, machine_id=machine_id)
        lifecycle.start_operation(record, Op.EXEC_COMMAND, now, {"command": command_line})


def command_not_started(
    record: TaskRecord, command_line: str, reason: str, now: datetime, machine_id: str
) -> None:
    """The command could not be started (``reason``: the OS's words): ``failed``."""
    if record.status is S.STARTED:
        lifecycle.start_operation(record, Op.EXEC_COMMAND, now, {"command": command_line})
        lifecycle.end_operation(record, Op.EXEC_COMMAND, now, ok=False)
    detail = spawn_failure(reason)
    record.task.error_detail = detail
    lifecycle.enter(record, S.FAILED, now, machine_id=machine_id, detail=detail)


def command_ended(
    record: TaskRecord, returncode: int | None, now: datetime, machine_id: str
) -> None:
    """The command's process exited (None: it was never waited for); outputs are compressed."""
    record.pgid = None
    record.pg_create_time = None
    attributes = {"exit_code": returncode} if returncode is not None else {}
    lifecycle.end_operation(record, Op.EXEC_COMMAND, now, ok=returncode == 0, attributes=attributes)
    if record.status is S.COMPUTATION_STARTED:
        lifecycle.enter(record, S.COMPUTATION_ENDED, now, machine_id=machine_id)
    lifecycle.start_operation(record, Op.COMPRESS_OUTPUT, now)


def output_compressed(record: TaskRecord, now: datetime) -> None:
    """The outputs are zipped; storing ``output.zip`` begins."""
    lifecycle.end_operation(record, Op.COMPRESS_OUTPUT, now)
    lifecycle.start_operation(record, Op.UPLOAD_OUTPUT, now)


def output_stored(
    record: TaskRecord,
    now: datetime,
    *,
    files: int,
    size_bytes: int,
    zipped_bytes: int,
    compress_seconds: float,
    upload_seconds: float,
) -> None:
    """``output.zip`` is in place."""
    lifecycle.end_operation(record, Op.UPLOAD_OUTPUT, now, attributes={"size_bytes": zipped_bytes})
    metrics = _metrics(record)
    metrics.output_compression_seconds = compress_seconds
    metrics.output_upload_seconds = upload_seconds
    metrics.output_size_bytes = size_bytes
    metrics.output_zipped_size_bytes = zipped_bytes
    metrics.output_total_files = files


def run_ended(
    record: TaskRecord,
    now: datetime,
    machine_id: str,
    *,
    returncode: int | None,
    reason: StopReason | None,
    group: str,
) -> None:
    """The run is over and its outputs stored: the final state, from why it ended."""
    if record.task.is_terminated:
        return
    if record.status is S.PENDING_KILL or reason is StopReason.KILL:
        lifecycle.enter(record, S.KILLED, now, machine_id=machine_id)
    elif reason is StopReason.TTL:
        record.task.error_detail = ttl_exceeded(record.task.time_to_live_seconds)
        lifecycle.enter(record, S.EXECUTER_TERMINATED_TTL_EXCEEDED, now, machine_id=machine_id)
    elif reason is StopReason.GROUP_TERMINATED:
        record.task.error_detail = group_terminated(group)
        lifecycle.enter(record, S.EXECUTER_TERMINATED_BY_USER, now, machine_id=machine_id)
    elif reason is StopReason.CREDITS:
        record.task.error_detail = CREDITS_EXHAUSTED
        lifecycle.enter(record, S.EXECUTER_TERMINATED_CREDITS_EXHAUSTED, now, machine_id=machine_id)
    elif returncode == 0:
        lifecycle.enter(record, S.SUCCESS, now, machine_id=machine_id)
    else:
        detail = command_failure(returncode if returncode is not None else -1)
        record.task.error_detail = detail
        lifecycle.enter(record, S.FAILED, now, machine_id=machine_id, detail=detail)


def run_lost(record: TaskRecord, now: datetime, reason: str, machine_id: str | None = None) -> None:
    """The run ended with the server (shutdown or crash): resubmitted, or ``killed`` if asked."""
    if record.status is S.PENDING_KILL:
        lifecycle.enter(record, S.KILLED, now, machine_id=machine_id)
    elif not record.task.is_terminated:
        lifecycle.resubmit(record, now, reason=reason)


def executor_failed(record: TaskRecord, detail: str, now: datetime, machine_id: str) -> None:
    """The executor failed by itself: ``executer-failed`` (unless the task already ended)."""
    if not record.task.is_terminated:
        lifecycle.fail_executer(record, detail, now, machine_id)
