"""One run of one task, from ``started`` to its final state.

Every state is recorded right after the thing it names has happened: the
task is ``computation-started`` once its process exists, ``computation-ended``
once that process has exited, ``success`` once ``output.zip`` is in place.
A stop request (kill, time to live, group terminated, server shutdown) makes
the run stop the process group and record the matching outcome.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import shlex
import signal
import time
from collections.abc import Callable
from typing import TypeVar

from inductiva_top.server.files import archive
from inductiva_top.server.layout import DataDir
from inductiva_top.server.schemas import Executer
from inductiva_top.server.tasks import lifecycle, processes
from inductiva_top.server.tasks.lifecycle import TaskRecord
from inductiva_top.server.tasks.processes import MachineInfo
from inductiva_top.server.tasks.statuses import OperationName, TaskStatusCode
from inductiva_top.server.tasks.store import TaskStore

S = TaskStatusCode
Op = OperationName
T = TypeVar("T")
log = logging.getLogger(__name__)


class StopReason(enum.Enum):
    """Why a run was asked to stop early."""

    KILL = "kill"
    TTL = "ttl"
    GROUP_TERMINATED = "group"
    SHUTDOWN = "shutdown"


class _Abandon(Exception):
    """The task left the run's hands (killed before it started, or already final)."""


class Run:
    """Carries one task through one execution."""

    def __init__(
        self,
        task_id: str,
        group: str,
        machine_type: str,
        *,
        store: TaskStore,
        data: DataDir,
        machine: MachineInfo,
        grace_seconds: float,
    ) -> None:
        self.task_id = task_id
        self.group = group
        self.task: asyncio.Task[None] | None = None
        self._machine_type = machine_type
        self._store = store
        self._data = data
        self._machine = machine
        self._grace = grace_seconds
        self._stop = asyncio.Event()
        self.reason: StopReason | None = None
        self.pid: int | None = None
        """Pid of the command (leader of its process group) while it runs."""

    def stop(self, reason: StopReason) -> None:
        """Ask the run to stop; the first reason given wins."""
        if self.reason is None:
            self.reason = reason
        self._stop.set()

    # -- helpers -------------------------------------------------------------

    def _update(self, change: Callable[[TaskRecord], T]) -> T:
        return self._store.update(self.task_id, change)

    def _executer(self) -> Executer:
        return Executer(
            uuid=self._machine.uuid,
            cpu_count_logical=self._machine.cpu_count_logical,
            cpu_count_physical=self._machine.cpu_count_physical,
            memory=self._machine.memory,
            n_mpi_hosts=1,
            vm_type=self._machine_type,
            vm_name=self._machine.hostname,
            host_type="local",
        )

    def _fail_executer(self, detail: str) -> None:
        now = lifecycle.utcnow()

        def change(record: TaskRecord) -> None:
            if not record.task.is_terminated:
                lifecycle.fail_executer(record, detail, now, self._machine.uuid)

        self._update(change)

    # -- the run -------------------------------------------------------------

    async def execute(self) -> None:
        """Run the task to its end; never raises (failures are recorded on the task)."""
        try:
            command, env, ttl = self._begin()
            await self._prepare_inputs()
            returncode = await self._compute(command, env, ttl)
            await self._finish(returncode)
        except _Abandon:
            return
        except OSError as error:
            log.warning("task %s: executor failure: %s", self.task_id, error)
            self._fail_executer(f"executor failure: {error}")
        except Exception as error:
            log.exception("task %s: unexpected executor failure", self.task_id)
            self._fail_executer(f"unexpected executor failure: {type(error).__name__}: {error}")

    def _begin(self) -> tuple[list[str], dict[str, str], float | None]:
        now = lifecycle.utcnow()
        executer = self._executer()

        def change(record: TaskRecord) -> TaskRecord:
            if record.status is not S.SUBMITTED:
                raise _Abandon
            lifecycle.set_executer(record, executer)
            lifecycle.enter(record, S.STARTED, now, machine_id=executer.uuid)
            lifecycle.start_operation(record, Op.DOWNLOAD_INPUT, now)
            return record

        record = self._update(change)
        params = record.task.extra_params or {}
        command = [str(part) for part in params.get("command") or []]
        env = {str(k): str(v) for k, v in (params.get("env") or {}).items()}
        return command, env, record.task.time_to_live_seconds

    async def _prepare_inputs(self) -> None:
        input_zip = self._data.input_zip(self.task_id)
        work_dir = self._data.work_dir(self.task_id)
        started = time.monotonic()
        size = input_zip.stat().st_size if input_zip.is_file() else 0
        download_seconds = round(time.monotonic() - started, 6)
        now = lifecycle.utcnow()

        def downloaded(record: TaskRecord) -> None:
            lifecycle.end_operation(record, Op.DOWNLOAD_INPUT, now, attributes={"size_bytes": size})
            assert record.task.metrics is not None
            record.task.metrics.input_download_seconds = download_seconds
            record.task.metrics.input_zipped_size_bytes = size
            lifecycle.start_operation(record, Op.UNCOMPRESS_INPUT, now)

        self._update(downloaded)
        started = time.monotonic()
        await asyncio.to_thread(archive.reset_dir, work_dir)
        try:
            unpacked = (
                await asyncio.to_thread(archive.unpack_input, input_zip, work_dir)
                if size
                else archive.Unpacked(files=0, bytes=0)
            )
        except archive.BadInput as error:
            self._end_with_failure(Op.UNCOMPRESS_INPUT, str(error))
            raise _Abandon from error
        seconds = round(time.monotonic() - started, 6)
        now = lifecycle.utcnow()

        def uncompressed(record: TaskRecord) -> None:
            lifecycle.end_operation(
                record, Op.UNCOMPRESS_INPUT, now, attributes={"files": unpacked.files}
            )
            assert record.task.metrics is not None
            record.task.metrics.input_decompression_seconds = seconds
            record.task.metrics.input_size_bytes = unpacked.bytes

        self._update(uncompressed)

    def _end_with_failure(self, operation: OperationName, detail: str) -> None:
        now = lifecycle.utcnow()

        def change(record: TaskRecord) -> None:
            if record.task.is_terminated:
                return
            lifecycle.end_operation(record, operation, now, ok=False)
            record.task.error_detail = detail
            lifecycle.enter(record, S.FAILED, now, machine_id=self._machine.uuid, detail=detail)

        self._update(change)

    async def _compute(
        self, command: list[str], env: dict[str, str], ttl: float | None
    ) -> int | None:
        """Run the command; returns its exit status, or None when it never started."""
        if self._stop.is_set():
            return None
        work_dir = self._data.work_dir(self.task_id)
        if not command:
            self._end_with_failure(Op.EXEC_COMMAND, "the task has no command to run")
            raise _Abandon
        try:
            started = await processes.spawn(
                command, work_dir, processes.command_env(self.task_id, env)
            )
        except OSError as error:
            detail = f"the command could not be started: {error.strerror or error}"
            self._record_spawn_failure(command, detail)
            raise _Abandon from error
        self.pid = started.pgid
        now = lifecycle.utcnow()

        def computing(record: TaskRecord) -> None:
            record.pgid = started.pgid
            record.pg_create_time = started.create_time
            if record.status is S.STARTED:
                lifecycle.enter(record, S.COMPUTATION_STARTED, now, machine_id=self._machine.uuid)
                lifecycle.start_operation(
                    record, Op.EXEC_COMMAND, now, {"command": shlex.join(command)}
                )

        try:
            self._update(computing)
            return await self._wait(started, ttl)
        finally:
            # Whatever happened (even a failure of our own), nothing of the
            # task may outlive its run.
            if started.process.returncode is None:
                processes.signal_group(started.pgid, signal.SIGKILL)
                await started.process.wait()
            processes.reap_group(started.pgid)
            self.pid = None

    async def _wait(self, started: processes.Started, ttl: float | None) -> int:
        """Wait for the command's exit, a stop request, or the end of its time to live."""
        waiter = asyncio.ensure_future(started.process.wait())
        stopper = asyncio.ensure_future(self._stop.wait())
        done, _ = await asyncio.wait({waiter, stopper}, timeout=ttl, return_when="FIRST_COMPLETED")
        stopper.cancel()
        if waiter not in done:
            if not done:
                self.stop(StopReason.TTL)
            await processes.stop_group(started, self._grace)
        return await waiter

    def _record_spawn_failure(self, command: list[str], detail: str) -> None:
        now = lifecycle.utcnow()

        def change(record: TaskRecord) -> None:
            if record.status is S.STARTED:
                lifecycle.start_operation(
                    record, Op.EXEC_COMMAND, now, {"command": shlex.join(command)}
                )
                lifecycle.end_operation(record, Op.EXEC_COMMAND, now, ok=False)
            record.task.error_detail = detail
            lifecycle.enter(record, S.FAILED, now, machine_id=self._machine.uuid, detail=detail)

        self._update(change)

    async def _finish(self, returncode: int | None) -> None:
        if self.reason is StopReason.SHUTDOWN:
            self._resubmit("the server shut down while the task ran")
            return
        now = lifecycle.utcnow()

        def ended(record: TaskRecord) -> None:
            record.pgid = None
            record.pg_create_time = None
            attributes = {"exit_code": returncode} if returncode is not None else {}
            lifecycle.end_operation(
                record, Op.EXEC_COMMAND, now, ok=returncode == 0, attributes=attributes
            )
            if record.status is S.COMPUTATION_STARTED:
                lifecycle.enter(record, S.COMPUTATION_ENDED, now, machine_id=self._machine.uuid)
            lifecycle.start_operation(record, Op.COMPRESS_OUTPUT, now)

        self._update(ended)
        await self._store_outputs()
        self._final_state(returncode)

    async def _store_outputs(self) -> None:
        work_dir = self._data.work_dir(self.task_id)
        output_zip = self._data.output_zip(self.task_id)
        started = time.monotonic()
        partial, packed = await asyncio.to_thread(archive.pack_output, work_dir, output_zip)
        compress_seconds = round(time.monotonic() - started, 6)
        now = lifecycle.utcnow()

        def compressed(record: TaskRecord) -> None:
            lifecycle.end_operation(record, Op.COMPRESS_OUTPUT, now)
            lifecycle.start_operation(record, Op.UPLOAD_OUTPUT, now)

        self._update(compressed)
        started = time.monotonic()
        try:
            await asyncio.to_thread(archive.publish, partial, output_zip)
        finally:
            partial.unlink(missing_ok=True)
        upload_seconds = round(time.monotonic() - started, 6)
        now = lifecycle.utcnow()

        def uploaded(record: TaskRecord) -> None:
            lifecycle.end_operation(
                record, Op.UPLOAD_OUTPUT, now, attributes={"size_bytes": packed.zipped_bytes}
            )
            metrics = record.task.metrics
            assert metrics is not None
            metrics.output_compression_seconds = compress_seconds
            metrics.output_upload_seconds = upload_seconds
            metrics.output_size_bytes = packed.bytes
            metrics.output_zipped_size_bytes = packed.zipped_bytes
            metrics.output_total_files = packed.files

        self._update(uploaded)

    def _final_state(self, returncode: int | None) -> None:
        now = lifecycle.utcnow()
        machine_id = self._machine.uuid
        reason = self.reason

        def change(record: TaskRecord) -> None:
            if record.task.is_terminated:
                return
            if record.status is S.PENDING_KILL or reason is StopReason.KILL:
                lifecycle.enter(record, S.KILLED, now, machine_id=machine_id)
            elif reason is StopReason.TTL:
                ttl = record.task.time_to_live_seconds
                detail = f"the computation exceeded its time to live of {ttl:g} s and was stopped"
                record.task.error_detail = detail
                lifecycle.enter(
                    record, S.EXECUTER_TERMINATED_TTL_EXCEEDED, now, machine_id=machine_id
                )
            elif reason is StopReason.GROUP_TERMINATED:
                detail = f"machine group {self.group!r} was terminated while the task ran"
                record.task.error_detail = detail
                lifecycle.enter(record, S.EXECUTER_TERMINATED_BY_USER, now, machine_id=machine_id)
            elif returncode == 0:
                lifecycle.enter(record, S.SUCCESS, now, machine_id=machine_id)
            else:
                what = processes.describe_exit(returncode if returncode is not None else -1)
                detail = f"the command failed with {what}"
                record.task.error_detail = detail
                lifecycle.enter(record, S.FAILED, now, machine_id=machine_id, detail=detail)

        self._update(change)

    def _resubmit(self, reason: str) -> None:
        now = lifecycle.utcnow()

        def change(record: TaskRecord) -> None:
            if record.status is S.PENDING_KILL:
                lifecycle.enter(record, S.KILLED, now, machine_id=self._machine.uuid)
            elif not record.task.is_terminated:
                lifecycle.resubmit(record, now, reason=reason)

        self._update(change)
