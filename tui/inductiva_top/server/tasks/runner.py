"""One run of one task, from ``started`` to its final state.

Every state is recorded right after the thing it names has happened: the
task is ``computation-started`` once its process exists, ``computation-ended``
once that process has exited, ``success`` once ``output.zip`` is in place.
A stop request (kill, time to live, group terminated, credits exhausted,
server shutdown) makes the run stop the process group and record the
matching outcome.

The run holds one machine of its group from ``started`` to its final state
and charges the task for it: ``estimated_computation_cost`` grows by the
group's rate per machine-hour (as it is at each charge) for the time the task
holds the machine, on top of what an earlier run cost; it is brought up to
date with every change the run records, and by :meth:`Run.charge`, which the
meter calls while the task runs.
While the command runs, its monitoring files are written
(:mod:`.sysmetrics`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shlex
import signal
import time
from collections.abc import Callable
from typing import TypeVar

from inductiva_top.server.files import archive
from inductiva_top.server.knobs import METRICS_INTERVAL
from inductiva_top.server.layout import DataDir
from inductiva_top.server.schemas import Executer
from inductiva_top.server.statuses import ON_MACHINE, OperationName, TaskStatusCode
from inductiva_top.server.tasks import lifecycle, processes, steps
from inductiva_top.server.tasks.lifecycle import TaskRecord
from inductiva_top.server.tasks.machines import SECONDS_PER_HOUR
from inductiva_top.server.tasks.processes import MachineInfo
from inductiva_top.server.tasks.steps import StopReason
from inductiva_top.server.tasks.store import TaskStore
from inductiva_top.server.tasks.sysmetrics import TaskMonitor

S = TaskStatusCode
Op = OperationName
T = TypeVar("T")
log = logging.getLogger(__name__)


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
        machine_id: str,
        grace_seconds: float,
        cost_per_hour: Callable[[], float] = lambda: 0.0,
        metrics_interval: float = METRICS_INTERVAL,
    ) -> None:
        self.task_id = task_id
        self.group = group
        self.machine_id = machine_id
        """The id of the group's machine (slot) the task runs on."""
        self.task: asyncio.Task[None] | None = None
        self._machine_type = machine_type
        self._store = store
        self._data = data
        self._machine = machine
        self._grace = grace_seconds
        self._rate = cost_per_hour
        """The group's rate now, USD per machine-hour."""
        self._metrics_interval = metrics_interval
        self._cost: float | None = None
        """The task's cost as last charged (None until the run picks it)."""
        self._charged_at = 0.0
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
        def charged(record: TaskRecord) -> T:
            # Only while the task holds the machine, up to the change that
            # makes it leave (a final state, or back to the queue).
            held = record.status in ON_MACHINE
            result = change(record)
            if self._cost is not None and (held or record.status in ON_MACHINE):
                now = time.time()
                seconds = max(now - self._charged_at, 0.0)
                self._cost += self._rate() * seconds / SECONDS_PER_HOUR
                self._charged_at = now
                record.task.estimated_computation_cost = round(self._cost, 6)
            return result

        return self._store.update(self.task_id, charged)

    def charge(self) -> None:
        """Bring the task's ``estimated_computation_cost`` up to now (at a rate above 0)."""
        if self._cost is not None and self._rate():
            self._update(lambda record: None)

    def _executer(self) -> Executer:
        return Executer(
            uuid=self.machine_id,
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
        machine_id = self.machine_id
        self._update(lambda record: steps.executor_failed(record, detail, now, machine_id))

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
            self._fail_executer(steps.executor_failure(error))
        except Exception as error:
            log.exception("task %s: unexpected executor failure", self.task_id)
            self._fail_executer(steps.unexpected_failure(error))

    def _begin(self) -> tuple[list[str], dict[str, str], float | None]:
        now = lifecycle.utcnow()
        executer = self._executer()

        def change(record: TaskRecord) -> TaskRecord:
            if record.status is not S.SUBMITTED:
                raise _Abandon
            steps.picked(record, executer, now)
            self._cost = record.task.estimated_computation_cost or 0.0
            self._charged_at = now.timestamp()
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

        self._update(
            lambda record: steps.input_downloaded(
                record, now, size_bytes=size, seconds=download_seconds
            )
        )
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

        self._update(
            lambda record: steps.input_unpacked(
                record, now, files=unpacked.files, size_bytes=unpacked.bytes, seconds=seconds
            )
        )

    def _end_with_failure(self, operation: OperationName, detail: str) -> None:
        now = lifecycle.utcnow()
        machine_id = self.machine_id
        self._update(
            lambda record: steps.operation_failed(record, operation, detail, now, machine_id)
        )

    async def _compute(
        self, command: list[str], env: dict[str, str], ttl: float | None
    ) -> int | None:
        """Run the command; returns its exit status, or None when it never started."""
        if self._stop.is_set():
            return None
        work_dir = self._data.work_dir(self.task_id)
        if not command:
            self._end_with_failure(Op.EXEC_COMMAND, steps.NO_COMMAND)
            raise _Abandon
        try:
            started = await processes.spawn(
                command, work_dir, processes.command_env(self.task_id, env)
            )
        except OSError as error:
            self._record_spawn_failure(command, error.strerror or str(error))
            raise _Abandon from error
        self.pid = started.pgid
        now = lifecycle.utcnow()

        def computing(record: TaskRecord) -> None:
            record.pgid = started.pgid
            record.pg_create_time = started.create_time
            steps.command_started(record, shlex.join(command), now, self.machine_id)

        monitor = TaskMonitor(
            work_dir, started.pgid, started.create_time, command, self._metrics_interval
        )
        watching = asyncio.ensure_future(monitor.run())
        try:
            self._update(computing)
            return await self._wait(started, ttl)
        finally:
            # The monitoring files belong to the outputs: the last row is
            # written before they are packed.
            monitor.stop()
            with contextlib.suppress(Exception):
                await watching
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

    def _record_spawn_failure(self, command: list[str], reason: str) -> None:
        now = lifecycle.utcnow()
        line, machine_id = shlex.join(command), self.machine_id
        self._update(
            lambda record: steps.command_not_started(record, line, reason, now, machine_id)
        )

    async def _finish(self, returncode: int | None) -> None:
        now = lifecycle.utcnow()
        machine_id = self.machine_id
        if self.reason is StopReason.SHUTDOWN:
            self._update(
                lambda record: steps.run_lost(record, now, steps.SHUTDOWN_REASON, machine_id)
            )
            return
        self._update(lambda record: steps.command_ended(record, returncode, now, machine_id))
        await self._store_outputs()
        self._final_state(returncode)

    async def _store_outputs(self) -> None:
        work_dir = self._data.work_dir(self.task_id)
        output_zip = self._data.output_zip(self.task_id)
        started = time.monotonic()
        partial, packed = await asyncio.to_thread(archive.pack_output, work_dir, output_zip)
        compress_seconds = round(time.monotonic() - started, 6)
        now = lifecycle.utcnow()

        self._update(lambda record: steps.output_compressed(record, now))
        started = time.monotonic()
        try:
            await asyncio.to_thread(archive.publish, partial, output_zip)
        finally:
            partial.unlink(missing_ok=True)
        upload_seconds = round(time.monotonic() - started, 6)
        now = lifecycle.utcnow()

        self._update(
            lambda record: steps.output_stored(
                record,
                now,
                files=packed.files,
                size_bytes=packed.bytes,
                zipped_bytes=packed.zipped_bytes,
                compress_seconds=compress_seconds,
                upload_seconds=upload_seconds,
            )
        )

    def _final_state(self, returncode: int | None) -> None:
        now = lifecycle.utcnow()
        machine_id, reason, group = self.machine_id, self.reason, self.group
        self._update(
            lambda record: steps.run_ended(
                record, now, machine_id, returncode=returncode, reason=reason, group=group
            )
        )
