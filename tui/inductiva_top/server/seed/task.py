"""One seeded task, run by run, as :mod:`~inductiva_top.server.tasks.runner` records a real one.

:func:`build_task` walks through the same steps as the runner for each final
state (the same operations, attributes, details and metrics, in the same
order), on a :class:`~inductiva_top.server.seed.record.Recorder`.
"""

from __future__ import annotations

import random
import shlex
from typing import Any

from inductiva_top.server.runtime import CRASH_REASON
from inductiva_top.server.seed.data import BAD_INPUTS, EXECUTER_FAILURES, EXIT_CODES, SPAWN_FAILURES
from inductiva_top.server.seed.record import US, Machine, MachineFor, Recorder, TaskPlan
from inductiva_top.server.seed.rowjson import task_row
from inductiva_top.server.tasks.processes import describe_exit
from inductiva_top.server.tasks.statuses import OperationName, TaskStatusCode

S = TaskStatusCode
Op = OperationName
SHUTDOWN_REASON = "the server shut down while the task ran"
KILLED_IN_QUEUE = S.PENDING_KILL
"""Outcome marker: killed while it waited (``killed`` straight from the queue)."""


def _lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return median * rng.lognormvariate(0.0, sigma)


class _Run:
    """One run of a task on a machine, step by step as the runner records it."""

    def __init__(self, rec: Recorder, rng: random.Random, machine: Machine) -> None:
        self.rec = rec
        self.rng = rng
        self.machine = machine
        self.id = machine.uuid
        self.compute_start_us: int | None = None

    def prepare(self, *, bad_input: str | None = None, disk_failure: str | None = None) -> bool:
        """started, download_input, uncompress_input; False when the task ended there."""
        rec, rng, group = self.rec, self.rng, self.machine.group
        memory = group.memory_gib << 30
        rec.executer = {
            "uuid": self.id,
            "cpu_count_logical": group.cpus,
            "cpu_count_physical": max(1, group.cpus // 2),
            "memory": memory,
            "n_mpi_hosts": group.n_mpi_hosts,
            "vm_type": group.label,
            "vm_name": self.machine.host,
            "host_type": "local",
            "error_detail": None,
        }
        rec.enter(S.STARTED, self.id)
        rec.start(Op.DOWNLOAD_INPUT)
        zipped = rec.input_zipped
        rec.wait(rng.uniform(0.00002, 0.0003))
        download = rec.end(Op.DOWNLOAD_INPUT, attributes={"size_bytes": zipped})
        rec.metrics["input_download_seconds"] = download
        rec.metrics["input_zipped_size_bytes"] = zipped
        rec.start(Op.UNCOMPRESS_INPUT)
        unpacked = rec.input_unpacked
        rec.wait(0.001 + unpacked / rng.uniform(150e6, 400e6))
        if bad_input is not None:
            rec.end(Op.UNCOMPRESS_INPUT, ok=False)
            rec.error_detail = bad_input
            rec.enter(S.FAILED, self.id, bad_input)
            return False
        if disk_failure is not None:
            self.fail_executer(disk_failure)
            return False
        seconds = rec.end(Op.UNCOMPRESS_INPUT, attributes={"files": rec.input_files})
        rec.metrics["input_decompression_seconds"] = seconds
        rec.metrics["input_size_bytes"] = unpacked
        return True

    def spawn_failure(self, reason: str) -> None:
        """The command could not start: ``failed`` straight from ``started``."""
        rec = self.rec
        rec.wait(self.rng.uniform(0.002, 0.02))
        rec.start(Op.EXEC_COMMAND, {"command": _command_line(rec.plan.command)})
        rec.end(Op.EXEC_COMMAND, ok=False)
        detail = f"the command could not be started: {reason}"
        rec.error_detail = detail
        rec.enter(S.FAILED, self.id, detail)

    def compute(self, seconds: float) -> None:
        """computation-started with exec_command open, then ``seconds`` of running."""
        rec = self.rec
        rec.wait(self.rng.uniform(0.002, 0.02))
        rec.enter(S.COMPUTATION_STARTED, self.id)
        rec.start(Op.EXEC_COMMAND, {"command": _command_line(rec.plan.command)})
        self.compute_start_us = rec.now
        rec.wait(seconds)

    def bill(self) -> None:
        """Add the machine time since the command started to the task's cost."""
        if self.compute_start_us is not None:
            group = self.machine.group
            hours = (self.rec.now - self.compute_start_us) / US / 3600
            self.rec.cost_usd += hours * group.price_per_hour * group.n_mpi_hosts
            self.compute_start_us = None

    def exited(self, returncode: int | None) -> None:
        """The command ended: exec_command closed, computation-ended, compress_output open."""
        rec = self.rec
        self.bill()
        attributes = {"exit_code": returncode} if returncode is not None else {}
        rec.end(Op.EXEC_COMMAND, ok=returncode == 0, attributes=attributes)
        if rec.status is S.COMPUTATION_STARTED:
            rec.enter(S.COMPUTATION_ENDED, self.id)
        rec.start(Op.COMPRESS_OUTPUT)

    def store_outputs(self, fraction: float) -> None:
        """compress_output and upload_output, with the output metrics."""
        rec, rng, sim = self.rec, self.rng, self.rec.plan.simulator
        size = int(_lognormal(rng, sim.output_median_bytes, 0.9) * fraction) + 2_000
        files = max(2, int(_lognormal(rng, sim.output_files_median, 0.7) * max(fraction, 0.05)))
        zipped = int(size * rng.uniform(0.2, 0.85))
        rec.wait(0.002 + size / rng.uniform(60e6, 160e6))
        compress = rec.end(Op.COMPRESS_OUTPUT)
        rec.start(Op.UPLOAD_OUTPUT)
        rec.wait(rng.uniform(0.0002, 0.004))
        upload = rec.end(Op.UPLOAD_OUTPUT, attributes={"size_bytes": zipped})
        rec.metrics.update(
            output_compression_seconds=compress,
            output_upload_seconds=upload,
            output_size_bytes=size,
            output_zipped_size_bytes=zipped,
            output_total_files=files,
        )
        rec.wait(rng.uniform(0.001, 0.01))

    def fail_executer(self, failure: str) -> None:
        """``lifecycle.fail_executer``: an internal failure such as a full disk."""
        rec = self.rec
        detail = f"executor failure: {failure}"
        if rec.executer is not None:
            rec.executer["error_detail"] = detail
        rec.error_detail = detail
        rec.enter(S.EXECUTER_FAILED, self.id, detail)

    def stopped(self, signal_exit: int) -> None:
        """The run was stopped (TTL, group terminated, credits): the command got SIGTERM."""
        self.rec.wait(self.rng.uniform(0.01, 1.5))
        self.exited(signal_exit)
        self.store_outputs(self.rng.uniform(0.1, 0.9))


def build_task(
    rng: random.Random, plan: TaskPlan, create_us: int, budget_us: int, machine: MachineFor
) -> dict[str, Any]:
    """The ``tasks`` row of one finished task.

    The task ends within ``budget_us`` of its creation.

    ``machine(group, at_us)`` gives the :class:`Machine` a run starting then
    would be recorded on.
    """
    rec = _record(rng, plan, create_us, 1.0, machine)
    elapsed = rec.now - create_us
    if elapsed > budget_us:
        # Too close to now: the task is drawn again from its own generator
        # (still deterministic), with every duration shrunk to fit.
        own = random.Random(plan.task_id)
        rec = _record(own, plan, create_us, 1.0, machine)
        elapsed = rec.now - create_us
        own = random.Random(plan.task_id)
        rec = _record(own, plan, create_us, budget_us / elapsed * 0.9, machine)
    return task_row(rec, round(rec.cost_usd, 4), plan.group.spot)


def _record(
    rng: random.Random, plan: TaskPlan, create_us: int, scale: float, machine: MachineFor
) -> Recorder:
    rec = Recorder(plan, create_us, scale)
    outcome = plan.outcome
    rec.input_zipped = _input_size(rng, plan)
    rec.input_unpacked = int(rec.input_zipped * rng.uniform(1.3, 3.5))
    rec.input_files = max(1, int(rng.lognormvariate(2.5, 1.0)))
    if outcome in (S.ZOMBIE, KILLED_IN_QUEUE) and rng.random() < 0.15:
        # Ended before its inputs were uploaded.
        rec.wait(rng.uniform(5, 600))
        rec.enter(S.KILLED if outcome is KILLED_IN_QUEUE else S.ZOMBIE)
        return rec
    rec.wait(rng.uniform(0.3, 3.0) + rec.input_zipped / rng.uniform(20e6, 120e6))
    rec.enter(S.SUBMITTED)
    if outcome in (S.ZOMBIE, KILLED_IN_QUEUE, S.TTL_EXCEEDED):
        wait = plan.queue_seconds * rng.uniform(1.0, 4.0) + rng.uniform(30, 3600)
        if outcome is S.TTL_EXCEEDED:
            wait = max(wait, (plan.ttl_seconds or 3600.0) * rng.uniform(1.0, 1.05))
        rec.wait(wait)
        rec.enter(S.KILLED if outcome is KILLED_IN_QUEUE else outcome)
        return rec
    for interruption in plan.interruptions:
        rec.wait(plan.queue_seconds * rng.uniform(0.5, 1.5))
        run = _Run(rec, rng, machine(plan.group, rec.now))
        run.prepare()
        run.compute(plan.compute_seconds * rng.uniform(0.05, 0.9))
        if interruption is S.SPOT_INSTANCE_PREEMPTED:
            run.bill()
            rec.resubmit(interruption, run.id, None)
        else:
            # The server died (or stopped) with the task running; the next start resubmits it.
            run.bill()
            rec.wait(rng.uniform(5, 1800))
            reason = CRASH_REASON if rng.random() < 0.6 else SHUTDOWN_REASON
            rec.resubmit(S.EXECUTER_TERMINATED, None, reason)
    rec.wait(plan.queue_seconds * rng.uniform(0.5, 1.5))
    _final_run(rec, rng, plan, machine(plan.group, rec.now))
    return rec


def _final_run(rec: Recorder, rng: random.Random, plan: TaskPlan, machine: Machine) -> None:
    run = _Run(rec, rng, machine)
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
        rec.enter(S.SUCCESS, run.id)
    elif outcome is S.FAILED:
        fraction = rng.uniform(0.001, 0.7)
        run.compute(compute * fraction)
        returncode = rng.choice(EXIT_CODES)
        run.exited(returncode)
        run.store_outputs(fraction)
        detail = f"the command failed with {describe_exit(returncode)}"
        rec.error_detail = detail
        rec.enter(S.FAILED, run.id, detail)
    elif outcome is S.KILLED:
        run.compute(compute * rng.uniform(0.02, 0.9))
        rec.enter(S.PENDING_KILL, run.id)
        run.bill()
        rec.wait(rng.uniform(0.02, 1.2))
        # The runner finds exec_command already closed by pending-kill and
        # stays in pending-kill while it stores what the command left.
        run.exited(None)
        run.store_outputs(rng.uniform(0.1, 0.9))
        rec.enter(S.KILLED, run.id)
    elif outcome is S.EXECUTER_TERMINATED_TTL_EXCEEDED:
        ttl = plan.ttl_seconds or 3600.0
        run.compute(ttl)
        run.stopped(-15)
        rec.error_detail = f"the computation exceeded its time to live of {ttl:g} s and was stopped"
        rec.enter(outcome, run.id)
    elif outcome is S.EXECUTER_TERMINATED_BY_USER:
        run.compute(compute * rng.uniform(0.05, 0.95))
        run.stopped(-15)
        rec.error_detail = f"machine group {plan.group.name!r} was terminated while the task ran"
        rec.enter(outcome, run.id)
    elif outcome is S.EXECUTER_TERMINATED_CREDITS_EXHAUSTED:
        run.compute(compute * rng.uniform(0.05, 0.95))
        run.stopped(-15)
        rec.error_detail = "the executor stopped because credits ran out"
        rec.enter(outcome, run.id)
    else:  # executer-failed while storing the outputs
        run.compute(compute * rng.uniform(0.3, 1.0))
        run.exited(0)
        rec.wait(rng.uniform(1.0, 60.0))
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
