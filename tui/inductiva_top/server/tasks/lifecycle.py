"""How a task record changes when something happens to it.

Pure functions over :class:`TaskRecord`: they take the current time as an
argument and never touch the database or a process, so the rules (which
timestamp a state sets, how history entries and operations open and close,
what the metrics are) live in one place and are unit-testable. The seeder
applies the same rules to plain values, for speed
(:mod:`inductiva_top.server.seed.record`); a test holds it to these functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from inductiva_top.server import statuses
from inductiva_top.server.schemas import (
    Executer,
    OrchestrationFee,
    TaskMetrics,
    TaskOperation,
    TaskRequest,
    TaskStatusInfo,
    TaskWithStatusHistory,
)
from inductiva_top.server.statuses import OperationName, OperationStatus, TaskStatusCode

S = TaskStatusCode

DEFAULT_PROJECT = "default"
"""The project of a task submitted without one (and of a task taken out of its project)."""


@dataclass
class TaskRecord:
    """A task as stored: its wire document plus the executor's bookkeeping."""

    task: TaskWithStatusHistory
    queue_seq: int | None = None
    """Order in its machine group's queue (FIFO); kept across resubmissions."""
    pgid: int | None = None
    """Process group of the running command, while there is one."""
    pg_create_time: float | None = None
    """``psutil`` create time of the group leader, to recognise it after a crash."""

    @property
    def task_id(self) -> str:
        return self.task.task_id

    @property
    def status(self) -> TaskStatusCode:
        return self.task.status


def utcnow() -> datetime:
    """The current time, aware UTC."""
    return datetime.now(timezone.utc)


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds(), 6)


def new_task(task_id: str, request: TaskRequest, group: str, now: datetime) -> TaskRecord:
    """The record of a task just submitted (``pending-input``)."""
    code = S.PENDING_INPUT
    task = TaskWithStatusHistory(
        task_id=task_id,
        status=code,
        status_alias=statuses.alias(code),
        simulator=request.simulator,
        storage_path=task_id,
        storage_input_path=f"{task_id}/input.zip",
        storage_output_path=f"{task_id}/output.zip",
        storage_region="local",
        container_image=request.container_image,
        project=request.project or DEFAULT_PROJECT,
        is_terminated=False,
        create_time=now,
        estimated_computation_cost=0.0,
        metrics=TaskMetrics(),
        machine_group_name=group,
        machine_group_id=group,
        input_resources=request.input_resources,
        stream_zip=request.stream_zip,
        num_retries=0,
        compress_with=request.compress_with,
        task_metadata=dict(request.task_metadata) if request.task_metadata else None,
        extra_params=request.extra_params,
        resubmit_on_preemption=request.resubmit_on_preemption,
        duration_seconds=None,
        time_to_live_seconds=request.time_to_live_seconds,
        orchestration_fee=OrchestrationFee(amount=0.0, charged=False),
        status_history=[
            TaskStatusInfo(
                status=code,
                timestamp=now,
                description=statuses.description(code),
                alias=statuses.alias(code),
            )
        ],
    )
    return TaskRecord(task=task)


def duration(task: TaskWithStatusHistory, now: datetime) -> float | None:
    """Wall time from creation to the end (or to now while the task lives)."""
    end = task.end_time if task.is_terminated else now
    return _seconds(task.create_time, end)


def enter(
    record: TaskRecord,
    code: TaskStatusCode,
    now: datetime,
    *,
    machine_id: str | None = None,
    detail: str | None = None,
) -> None:
    """Move a task to ``code``: close the current history entry, open a new one."""
    task = record.task
    current = task.status_history[-1] if task.status_history else None
    if current is not None and current.end_timestamp is None:
        current.end_timestamp = now
        for operation in current.operations:
            if operation.end_timestamp is None:
                operation.end_timestamp = now
                operation.status = OperationStatus.FAILED
    task.status_history.append(
        TaskStatusInfo(
            machine_id=machine_id,
            status=code,
            timestamp=now,
            description=detail or statuses.description(code),
            alias=statuses.alias(code),
        )
    )
    task.status = code
    task.status_alias = statuses.alias(code)
    task.is_terminated = statuses.is_terminal(code)
    metrics = task.metrics or TaskMetrics()
    task.metrics = metrics
    if code is S.SUBMITTED and task.input_submit_time is None:
        task.input_submit_time = now
    elif code is S.STARTED:
        task.start_time = now
        metrics.queue_time_seconds = _seconds(task.input_submit_time, now)
    elif code is S.COMPUTATION_STARTED:
        task.computation_start_time = now
    elif code is S.COMPUTATION_ENDED:
        task.computation_end_time = now
        metrics.computation_seconds = _seconds(task.computation_start_time, now)
    if task.is_terminated:
        task.end_time = now
        metrics.total_seconds = _seconds(task.create_time, now)
        task.duration_seconds = duration(task, now)
        record.pgid = None
        record.pg_create_time = None


def resubmit(
    record: TaskRecord,
    now: datetime,
    *,
    reason: str | None,
    code: TaskStatusCode = S.EXECUTER_TERMINATED,
    machine_id: str | None = None,
) -> None:
    """After an executor loss: record ``code`` (the loss), back to ``submitted``.

    ``code`` is ``executer-terminated`` for this server's own losses, or
    ``spot-instance-preempted``. The task keeps its place in the queue (its
    original ``queue_seq``) and every per-run timestamp and metric is cleared
    for the next run.
    """
    enter(record, code, now, machine_id=machine_id, detail=reason)
    task = record.task
    task.num_retries += 1
    task.start_time = None
    task.computation_start_time = None
    task.computation_end_time = None
    task.executer = None
    task.error_detail = None
    input_sizes = task.metrics or TaskMetrics()
    task.metrics = TaskMetrics(
        input_zipped_size_bytes=input_sizes.input_zipped_size_bytes,
        input_size_bytes=input_sizes.input_size_bytes,
    )
    record.pgid = None
    record.pg_create_time = None
    enter(record, S.SUBMITTED, now)


def kill(record: TaskRecord, now: datetime, machine_id: str | None) -> None:
    """A kill request: ``killed`` at once if the task waits, ``pending-kill`` if it runs.

    ``machine_id`` is the machine that holds a running task. A task in any
    other state is left alone (the kill is a no-op).
    """
    if record.status in (S.PENDING_INPUT, S.SUBMITTED):
        enter(record, S.KILLED, now)
    elif record.status in (S.STARTED, S.COMPUTATION_STARTED):
        enter(record, S.PENDING_KILL, now, machine_id=machine_id)


def orphan(record: TaskRecord, now: datetime) -> bool:
    """Its machine group was terminated: a task that never started becomes ``zombie``.

    Returns whether it did.
    """
    if record.status in (S.SUBMITTED, S.PENDING_INPUT):
        enter(record, S.ZOMBIE, now)
        return True
    return False


def start_operation(
    record: TaskRecord, name: OperationName, now: datetime, attributes: dict[str, Any] | None = None
) -> None:
    """Open an operation in the current history entry."""
    record.task.status_history[-1].operations.append(
        TaskOperation(
            name=name,
            alias=statuses.operation_alias(name),
            start_timestamp=now,
            status=OperationStatus.RUNNING,
            attributes=dict(attributes or {}),
        )
    )


def end_operation(
    record: TaskRecord,
    name: OperationName,
    now: datetime,
    *,
    ok: bool = True,
    attributes: dict[str, Any] | None = None,
) -> float | None:
    """Close the open operation ``name``; returns how long it took in seconds."""
    for entry in reversed(record.task.status_history):
        for operation in reversed(entry.operations):
            if operation.name is name and operation.end_timestamp is None:
                operation.end_timestamp = now
                operation.status = OperationStatus.OK if ok else OperationStatus.FAILED
                operation.attributes.update(attributes or {})
                return _seconds(operation.start_timestamp, now)
    return None


def set_executer(record: TaskRecord, executer: Executer) -> None:
    """Record the machine that picked the task."""
    record.task.executer = executer.model_copy()


def fail_executer(record: TaskRecord, detail: str, now: datetime, machine_id: str | None) -> None:
    """An internal failure of the executor (e.g. a full disk): ``executer-failed``."""
    if record.task.executer is not None:
        record.task.executer.error_detail = detail
    record.task.error_detail = detail
    enter(record, S.EXECUTER_FAILED, now, machine_id=machine_id, detail=detail)
