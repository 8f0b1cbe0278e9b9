"""The seeder's :class:`~inductiva_top.server.seed.record.Recorder` on the server's models.

Each step calls the :mod:`~inductiva_top.server.tasks.lifecycle` or
:mod:`~inductiva_top.server.tasks.steps` function the runner calls, on a
:class:`~inductiva_top.server.tasks.lifecycle.TaskRecord`, and the row is
the task store's (:func:`~inductiva_top.server.tasks.store.row_of`). Seeding
through it is slow, and is what the fast
:class:`~inductiva_top.server.seed.record.PlainRecord` must equal.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from inductiva_top.server.schemas import Executer, TaskRequest
from inductiva_top.server.seed.plan import TaskPlan
from inductiva_top.server.statuses import OperationName, TaskStatusCode
from inductiva_top.server.tasks import lifecycle, steps
from inductiva_top.server.tasks.steps import StopReason
from inductiva_top.server.tasks.store import row_of

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _at(microseconds: int) -> datetime:
    return _EPOCH + timedelta(microseconds=microseconds)


class ModelRecord:
    """A seeded task recorded by the runner's own functions (see the module's docstring)."""

    def __init__(self, plan: TaskPlan, create: int) -> None:
        request = TaskRequest(
            simulator=plan.simulator.name,
            project=plan.project,
            time_to_live_seconds=plan.ttl_seconds,
            resubmit_on_preemption=plan.group.spot,
            extra_params={"command": list(plan.command), "env": None},
            task_metadata=plan.metadata,
        )
        self.record = lifecycle.new_task(plan.task_id, request, plan.group.name, _at(create))

    @property
    def status(self) -> TaskStatusCode:
        return self.record.status

    @property
    def submitted(self) -> bool:
        return self.record.task.input_submit_time is not None

    def enter(self, code: TaskStatusCode, at: int, machine_id: str | None = None) -> None:
        lifecycle.enter(self.record, code, _at(at), machine_id=machine_id)

    def resubmit(self, at: int, code: TaskStatusCode, machine_id: str) -> None:
        lifecycle.resubmit(self.record, _at(at), reason=None, code=code, machine_id=machine_id)

    def kill(self, at: int, machine_id: str | None) -> None:
        lifecycle.kill(self.record, _at(at), machine_id)

    def orphan(self, at: int) -> None:
        lifecycle.orphan(self.record, _at(at))

    def fail(self, detail: str) -> None:
        self.record.task.error_detail = detail

    def picked(self, executer: dict[str, Any], at: int) -> None:
        steps.picked(self.record, Executer.model_validate(executer), _at(at))

    def input_downloaded(self, at: int, *, size_bytes: int, seconds: float) -> None:
        steps.input_downloaded(self.record, _at(at), size_bytes=size_bytes, seconds=seconds)

    def input_unpacked(self, at: int, *, files: int, size_bytes: int, seconds: float) -> None:
        steps.input_unpacked(
            self.record, _at(at), files=files, size_bytes=size_bytes, seconds=seconds
        )

    def operation_failed(
        self, operation: OperationName, detail: str, at: int, machine_id: str
    ) -> None:
        steps.operation_failed(self.record, operation, detail, _at(at), machine_id)

    def command_started(self, command_line: str, at: int, machine_id: str) -> None:
        steps.command_started(self.record, command_line, _at(at), machine_id)

    def command_not_started(self, command_line: str, reason: str, at: int, machine_id: str) -> None:
        steps.command_not_started(self.record, command_line, reason, _at(at), machine_id)

    def command_ended(self, returncode: int | None, at: int, machine_id: str) -> None:
        steps.command_ended(self.record, returncode, _at(at), machine_id)

    def output_compressed(self, at: int) -> None:
        steps.output_compressed(self.record, _at(at))

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
        steps.output_stored(
            self.record,
            _at(at),
            files=files,
            size_bytes=size_bytes,
            zipped_bytes=zipped_bytes,
            compress_seconds=compress_seconds,
            upload_seconds=upload_seconds,
        )

    def executor_failed(self, detail: str, at: int, machine_id: str) -> None:
        steps.executor_failed(self.record, detail, _at(at), machine_id)

    def run_ended(
        self,
        at: int,
        machine_id: str,
        *,
        returncode: int | None,
        reason: StopReason | None,
        group: str,
    ) -> None:
        steps.run_ended(
            self.record, _at(at), machine_id, returncode=returncode, reason=reason, group=group
        )

    def run_lost(self, at: int, reason: str) -> None:
        steps.run_lost(self.record, _at(at), reason)

    def row(self, *, cost: float, queue_seq: int | None) -> dict[str, Any]:
        self.record.task.estimated_computation_cost = cost
        self.record.queue_seq = queue_seq
        return row_of(self.record)
