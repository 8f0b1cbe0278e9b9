"""One seeded task, run by run, recorded as the runner records a real one.

:func:`build_task` draws what happens to a task (how long each step takes,
how it ends) and records each event, on simulated time, through a
:class:`~inductiva_top.server.seed.record.Recorder`: by default a
:class:`~inductiva_top.server.seed.record.PlainRecord`, which applies the
rules of :mod:`~inductiva_top.server.tasks.lifecycle` and
:mod:`~inductiva_top.server.tasks.steps` to plain values and writes the row
the task store writes for such a record
(:func:`~inductiva_top.server.tasks.store.row_of`).
"""

from __future__ import annotations

import random
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from inductiva_top.server.schemas import Executer
from inductiva_top.server.seed.data import (
    BAD_INPUTS,
    EXECUTER_FAILURES,
    EXIT_CODES,
    SPAWN_FAILURES,
    MachineGroup,
)
from inductiva_top.server.seed.outputs import SeededOutput, output_archive
from inductiva_top.server.seed.plan import US, TaskPlan
from inductiva_top.server.seed.record import PlainRecord, Recorder
from inductiva_top.server.statuses import OperationName, TaskStatusCode
from inductiva_top.server.tasks import steps
from inductiva_top.server.tasks.steps import StopReason

S = TaskStatusCode
Op = OperationName
KILLED_IN_QUEUE = S.PENDING_KILL
"""Outcome marker: killed while it waited (``killed`` straight from the queue)."""
CREDITS_EXHAUSTED = "the executor stopped because credits ran out"
"""Error of ``executer-terminated-credits-exhausted`` (this server never runs out itself)."""

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Machine:
    """The machine of one server run: what a run records as ``executer``."""

    uuid: str
    host: str
    group: MachineGroup
    executer: dict[str, Any] = field(init=False, repr=False, compare=False)
    """The ``executer`` document (validated once, here; each run records a copy)."""

    def __post_init__(self) -> None:
        group = self.group
        executer = Executer(
            uuid=self.uuid,
            cpu_count_logical=group.cpus,
            cpu_count_physical=max(1, group.cpus // 2),
            memory=group.memory_gib << 30,
            n_mpi_hosts=group.n_mpi_hosts,
            vm_type=group.label,
            vm_name=self.host,
            host_type="local",
        )
        object.__setattr__(self, "executer", executer.model_dump(mode="json"))  # frozen: set once


MachineFor = Callable[[MachineGroup, int], Machine]
"""``machine(group, at_us)``: the machine a run of ``group`` starting at ``at_us`` is on."""

NewRecord = Callable[[TaskPlan, int], Recorder]
"""``new(plan, create_us)``: the record of a task just created (``pending-input``)."""


def _lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return median * rng.lognormvariate(0.0, sigma)


class _Task:
    """A task being recorded: its record, its simulated clock (``now``), what it cost."""

    def __init__(
        self, plan: TaskPlan, create_us: int, scale: float, archives: bool, new: NewRecord
    ) -> None:
        self.plan = plan
        self.now = create_us
        self.scale = scale
        self.archives = archives
        self.output: SeededOutput | None = None
        """The ``output.zip`` its last stored outputs are (with ``archives``)."""
        self.cost_usd = 0.0
        self.input_zipped = 0
        self.input_unpacked = 0
        self.input_files = 1
        self.record = new(plan, create_us)
        self.command_line = _command_line(plan.command)

    def wait(self, seconds: float) -> None:
        """Let ``seconds`` pass (scaled, so that the task ends before "now")."""
        self.now += max(1, int(seconds * self.scale * US))

    def since(self, start_us: int) -> float:
        """Seconds from ``start_us`` to now."""
        return (self.now - start_us) / US


class _Run:
    """One run of a task on a machine, step by step as the runner records it."""

    def __init__(self, task: _Task, rng: random.Random, machine: Machine) -> None:
        self.task = task
        self.record = task.record
        self.rng = rng
        self.machine = machine
        self.id = machine.uuid
        self.compute_start_us: int | None = None
        self.command_start_us = 0
        self.returncode: int | None = None
        self.compress_start_us = 0

    def prepare(self, *, bad_input: str | None = None, disk_failure: str | None = None) -> bool:
        """started, download_input, uncompress_input; False when the task ended there."""
        task, rng = self.task, self.rng
        self.record.picked(self.machine.executer, task.now)
        zipped, unpacked, files = task.input_zipped, task.input_unpacked, task.input_files
        started = task.now
        task.wait(rng.uniform(0.00002, 0.0003))
        self.record.input_downloaded(task.now, size_bytes=zipped, seconds=task.since(started))
        started = task.now
        task.wait(0.001 + unpacked / rng.uniform(150e6, 400e6))
        if bad_input is not None:
            self.record.operation_failed(Op.UNCOMPRESS_INPUT, bad_input, task.now, self.id)
            return False
        if disk_failure is not None:
            self.fail_executer(disk_failure)
            return False
        self.record.input_unpacked(
            task.now, files=files, size_bytes=unpacked, seconds=task.since(started)
        )
        return True

    def spawn_failure(self, reason: str) -> None:
        """The command could not start: ``failed`` straight from ``started``."""
        task = self.task
        task.wait(self.rng.uniform(0.002, 0.02))
        self.record.command_not_started(task.command_line, reason, task.now, self.id)

    def compute(self, seconds: float) -> None:
        """computation-started with exec_command open, then ``seconds`` of running."""
        task = self.task
        task.wait(self.rng.uniform(0.002, 0.02))
        self.record.command_started(task.command_line, task.now, self.id)
        self.compute_start_us = self.command_start_us = task.now
        task.wait(seconds)

    def bill(self) -> None:
        """Add the machine time since the command started to the task's cost."""
        if self.compute_start_us is not None:
            group = self.machine.group
            hours = self.task.since(self.compute_start_us) / 3600
            self.task.cost_usd += hours * group.price_per_hour * group.n_mpi_hosts
            self.compute_start_us = None

    def exited(self, returncode: int | None) -> None:
        """The command ended: exec_command closed, computation-ended, compress_output open."""
        self.bill()
        self.record.command_ended(returncode, self.task.now, self.id)
        self.returncode = returncode
        self.compress_start_us = self.task.now

    def store_outputs(self, fraction: float) -> None:
        """compress_output and upload_output, with the output metrics."""
        task, rng, sim = self.task, self.rng, self.task.plan.simulator
        size = int(_lognormal(rng, sim.output_median_bytes, 0.9) * fraction) + 2_000
        files = max(2, int(_lognormal(rng, sim.output_files_median, 0.7) * max(fraction, 0.05)))
        zipped = int(size * rng.uniform(0.2, 0.85))
        if task.archives:
            # The figures of a real archive (the draws above still happen, so
            # the task's times are the same with archives or without).
            task.output = self.archive(fraction)
            packed = task.output.packed
            files, size, zipped = packed.files, packed.bytes, packed.zipped_bytes
        task.wait(0.002 + size / rng.uniform(60e6, 160e6))
        compress = task.since(self.compress_start_us)
        self.record.output_compressed(task.now)
        started = task.now
        task.wait(rng.uniform(0.0002, 0.004))
        self.record.output_stored(
            task.now,
            files=files,
            size_bytes=size,
            zipped_bytes=zipped,
            compress_seconds=compress,
            upload_seconds=task.since(started),
        )
        task.wait(rng.uniform(0.001, 0.01))

    def archive(self, fraction: float) -> SeededOutput:
        """The ``output.zip`` of this run, which did ``fraction`` of its work."""
        task, code = self.task, self.returncode
        if code is None or code <= 0:
            error = None  # a clean exit, or stopped by a signal (a kill, a time limit)
        else:
            error = f"{task.plan.simulator.name}: fatal error, stopping (exit code {code})"
        return output_archive(
            task.plan.task_id,
            task.plan.simulator.name,
            task.command_line,
            started=_EPOCH + timedelta(microseconds=self.command_start_us),
            ended=_EPOCH + timedelta(microseconds=self.compress_start_us),
            fraction=fraction,
            error=error,
        )

    def fail_executer(self, failure: str) -> None:
        """An internal failure of the executor, such as a full disk."""
        detail = steps.executor_failure(failure)
        self.record.executor_failed(detail, self.task.now, self.id)

    def stopped(self, signal_exit: int) -> None:
        """The run was stopped (TTL, group terminated, credits): the command got SIGTERM."""
        self.task.wait(self.rng.uniform(0.01, 1.5))
        self.exited(signal_exit)
        self.store_outputs(self.rng.uniform(0.1, 0.9))

    def ended(self, returncode: int | None, reason: StopReason | None = None) -> None:
        """The final state, as the runner decides it."""
        self.record.run_ended(
            self.task.now,
            self.id,
            returncode=returncode,
            reason=reason,
            group=self.machine.group.name,
        )


def build_task(
    rng: random.Random,
    plan: TaskPlan,
    create_us: int,
    budget_us: int,
    machine: MachineFor,
    *,
    archives: bool = False,
    new: NewRecord = PlainRecord,
) -> tuple[dict[str, Any], bytes | None]:
    """The ``tasks`` row of one finished task, and its ``output.zip`` when it has one.

    The task ends within ``budget_us`` of its creation.

    ``machine(group, at_us)`` gives the :class:`Machine` a run starting then
    would be recorded on. Without ``archives`` no archive is built and the
    output metrics are drawn (a benchmark's tasks claim outputs they lack).
    ``new`` makes the record the task's history is written to.
    """
    task = _record(rng, plan, create_us, 1.0, machine, archives, new)
    elapsed = task.now - create_us
    if elapsed > budget_us:
        # Too close to now: the task is drawn again from its own generator
        # (still deterministic), with every duration shrunk to fit.
        own = random.Random(plan.task_id)
        task = _record(own, plan, create_us, 1.0, machine, False, new)
        elapsed = task.now - create_us
        own = random.Random(plan.task_id)
        task = _record(own, plan, create_us, budget_us / elapsed * 0.9, machine, archives, new)
    record = task.record
    # A task keeps the queue place it was given when its inputs were uploaded.
    queue_seq = plan.queue_seq if record.submitted else None
    row = record.row(cost=round(task.cost_usd, 4), queue_seq=queue_seq)
    return row, task.output.archive if task.output is not None else None


def _record(
    rng: random.Random,
    plan: TaskPlan,
    create_us: int,
    scale: float,
    machine: MachineFor,
    archives: bool,
    new: NewRecord,
) -> _Task:
    task = _Task(plan, create_us, scale, archives, new)
    record = task.record
    outcome = plan.outcome
    task.input_zipped = _input_size(rng, plan)
    task.input_unpacked = int(task.input_zipped * rng.uniform(1.3, 3.5))
    task.input_files = max(1, int(rng.lognormvariate(2.5, 1.0)))
    if outcome in (S.ZOMBIE, KILLED_IN_QUEUE) and rng.random() < 0.15:
        # Ended before its inputs were uploaded.
        task.wait(rng.uniform(5, 600))
        _end_waiting(task, outcome)
        return task
    task.wait(rng.uniform(0.3, 3.0) + task.input_zipped / rng.uniform(20e6, 120e6))
    record.enter(S.SUBMITTED, task.now)
    if outcome in (S.ZOMBIE, KILLED_IN_QUEUE, S.TTL_EXCEEDED):
        wait = plan.queue_seconds * rng.uniform(1.0, 4.0) + rng.uniform(30, 3600)
        if outcome is S.TTL_EXCEEDED:
            wait = max(wait, (plan.ttl_seconds or 3600.0) * rng.uniform(1.0, 1.05))
        task.wait(wait)
        _end_waiting(task, outcome)
        return task
    for interruption in plan.interruptions:
        task.wait(plan.queue_seconds * rng.uniform(0.5, 1.5))
        run = _Run(task, rng, machine(plan.group, task.now))
        run.prepare()
        run.compute(plan.compute_seconds * rng.uniform(0.05, 0.9))
        run.bill()
        if interruption is S.SPOT_INSTANCE_PREEMPTED:
            record.resubmit(task.now, interruption, run.id)
        else:
            # The server died (or stopped) with the task running; the next start resubmits it.
            task.wait(rng.uniform(5, 1800))
            reason = steps.CRASH_REASON if rng.random() < 0.6 else steps.SHUTDOWN_REASON
            record.run_lost(task.now, reason)
    task.wait(plan.queue_seconds * rng.uniform(0.5, 1.5))
    _final_run(task, rng, plan, machine(plan.group, task.now))
    return task


def _end_waiting(task: _Task, outcome: TaskStatusCode) -> None:
    """A task that never ran ends: killed, its group terminated, or out of time to live."""
    if outcome is KILLED_IN_QUEUE:
        task.record.kill(task.now, None)
    elif outcome is S.ZOMBIE:
        task.record.orphan(task.now)
    else:
        task.record.enter(outcome, task.now)


def _final_run(task: _Task, rng: random.Random, plan: TaskPlan, machine: Machine) -> None:
    run = _Run(task, rng, machine)
    outcome = plan.outcome
    roll = rng.random()
    if outcome is S.FAILED and roll < 0.08:
        run.prepare(bad_input=rng.choice(BAD_INPUTS))
        return
    if outcome is S.EXECUTER_FAILED and roll < 0.35:
        run.prepare(disk_failure=rng.choice(EXECUTER_FAILURES))
        return
    run.prepare()
    if outcome is S.FAILED and roll < 0.16:
        run.spawn_failure(rng.choice(SPAWN_FAILURES))
        return
    compute = plan.compute_seconds
    if outcome is S.SUCCESS:
        run.compute(compute)
        run.exited(0)
        run.store_outputs(1.0)
        run.ended(0)
    elif outcome is S.FAILED:
        fraction = rng.uniform(0.001, 0.7)
        run.compute(compute * fraction)
        returncode = rng.choice(EXIT_CODES)
        run.exited(returncode)
        run.store_outputs(fraction)
        run.ended(returncode)
    elif outcome is S.KILLED:
        run.compute(compute * rng.uniform(0.02, 0.9))
        task.record.kill(task.now, run.id)
        run.bill()
        task.wait(rng.uniform(0.02, 1.2))
        # The runner finds exec_command already closed by pending-kill and
        # stays in pending-kill while it stores what the command left.
        run.exited(None)
        run.store_outputs(rng.uniform(0.1, 0.9))
        run.ended(None, StopReason.KILL)
    elif outcome is S.EXECUTER_TERMINATED_TTL_EXCEEDED:
        run.compute(plan.ttl_seconds or 3600.0)
        run.stopped(-15)
        run.ended(-15, StopReason.TTL)
    elif outcome is S.EXECUTER_TERMINATED_BY_USER:
        run.compute(compute * rng.uniform(0.05, 0.95))
        run.stopped(-15)
        run.ended(-15, StopReason.GROUP_TERMINATED)
    elif outcome is S.EXECUTER_TERMINATED_CREDITS_EXHAUSTED:
        run.compute(compute * rng.uniform(0.05, 0.95))
        run.stopped(-15)
        task.record.fail(CREDITS_EXHAUSTED)
        task.record.enter(outcome, task.now, run.id)
    else:  # executer-failed while storing the outputs
        run.compute(compute * rng.uniform(0.3, 1.0))
        run.exited(0)
        task.wait(rng.uniform(1.0, 60.0))
        run.fail_executer(rng.choice(EXECUTER_FAILURES))


_COMMAND_LINES: dict[tuple[str, ...], str] = {}


def _command_line(command: tuple[str, ...]) -> str:
    """``shlex.join`` of a command, as the runner records it (few distinct commands: cached)."""
    line = _COMMAND_LINES.get(command)
    if line is None:
        line = _COMMAND_LINES[command] = shlex.join(command)
    return line


def _input_size(rng: random.Random, plan: TaskPlan) -> int:
    return int(_lognormal(rng, plan.simulator.input_median_bytes, 0.8)) + 300
