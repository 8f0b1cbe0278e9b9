"""One seeded task, recorded the way the server records a real one.

:class:`Recorder` applies the rules of :mod:`~inductiva_top.server.lifecycle`
(which timestamp a state sets, how history entries and operations close, how
a resubmission clears a run) to plain dicts, and :func:`build_task` walks
through the same steps as :mod:`~inductiva_top.server.runner` for each final
state. Plain dicts rather than the pydantic records because ``seed`` writes
100,000 of them in seconds; the stored JSON is byte for byte what the models
would dump (``tests/server/test_seed.py`` checks it by round trip).

Times are whole microseconds since the epoch until the row is made.
"""

from __future__ import annotations

import random
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from inductiva_top.server import statuses
from inductiva_top.server.processes import describe_exit
from inductiva_top.server.runtime import CRASH_REASON
from inductiva_top.server.seeddata import (
    BAD_INPUTS,
    EXECUTER_FAILURES,
    EXIT_CODES,
    SPAWN_FAILURES,
    MachineGroup,
    Simulator,
)
from inductiva_top.server.statuses import OperationName, TaskStatusCode

S = TaskStatusCode
Op = OperationName
US = 1_000_000
SHUTDOWN_REASON = "the server shut down while the task ran"
KILLED_IN_QUEUE = S.PENDING_KILL
"""Outcome marker: killed while it waited (``killed`` straight from the queue)."""

_ALIAS = {code: statuses.alias(code) for code in S}
_DESCRIPTION = {code: statuses.description(code) for code in S}
_OP_ALIAS = {name: statuses.operation_alias(name) for name in Op}
_VALUE: dict[TaskStatusCode | OperationName, str] = {
    member: member.value for enum in (TaskStatusCode, OperationName) for member in enum
}


_EPOCH = datetime(1970, 1, 1)


def iso(us: int) -> str:
    """An epoch time in microseconds as the server's JSON writes it (``...Z``)."""
    return (_EPOCH + timedelta(microseconds=us)).isoformat() + "Z"


def _iso_or_none(us: int | None) -> str | None:
    return iso(us) if us is not None else None


@dataclass(frozen=True)
class Machine:
    """The machine of one server run: what a run records as ``executer``."""

    uuid: str
    host: str
    group: MachineGroup


@dataclass(frozen=True)
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
                "status": _VALUE[code],
                "timestamp": now,
                "end_timestamp": None,
                "description": detail or _DESCRIPTION[code],
                "alias": _ALIAS[code],
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
        if statuses.is_terminal(code):
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
                "name": _VALUE[name],
                "alias": _OP_ALIAS[name],
                "start_timestamp": self.now,
                "end_timestamp": None,
                "status": "RUNNING",
                "attributes": attributes or {},
            }
        )

    def end(
        self, name: OperationName, ok: bool = True, attributes: dict[str, Any] | None = None
    ) -> float | None:
        for entry in reversed(self.history):
            for operation in reversed(entry["operations"]):
                if operation["name"] == _VALUE[name] and operation["end_timestamp"] is None:
                    operation["end_timestamp"] = self.now
                    operation["status"] = "OK" if ok else "FAILED"
                    operation["attributes"].update(attributes or {})
                    started: int = operation["start_timestamp"]
                    return (self.now - started) / US
        return None

    # -- the row --------------------------------------------------------------

    def documents(
        self, cost: float, resubmit_on_preemption: bool
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The task's wire document and its status history, JSON-ready."""
        plan, times = self.plan, self.times
        task_id = plan.task_id
        group = plan.group.name
        metrics = self.metrics
        # Entries and operations share most instants: format each instant once.
        known: dict[int | None, str | None] = {None: None}

        def text(us: int | None) -> str | None:
            found = known.get(us, "")
            if found == "":
                found = known[us] = iso(us)  # type: ignore[arg-type]
            return found

        for entry in self.history:
            entry["timestamp"] = text(entry["timestamp"])
            entry["end_timestamp"] = text(entry["end_timestamp"])
            for operation in entry["operations"]:
                operation["start_timestamp"] = text(operation["start_timestamp"])
                operation["end_timestamp"] = text(operation["end_timestamp"])
        # Key order is the order of the wire models' fields, as model_dump writes them.
        doc = {
            "task_id": task_id,
            "status": _VALUE[self.status],
            "status_alias": _ALIAS[self.status],
            "simulator": plan.simulator.name,
            "storage_path": task_id,
            "storage_input_path": f"{task_id}/input.zip",
            "storage_output_path": f"{task_id}/output.zip",
            "storage_region": "local",
            "container_image": None,
            "project": plan.project,
            "is_terminated": True,
            "create_time": text(times["create_time"]),
            "input_submit_time": text(times["input_submit_time"]),
            "start_time": text(times["start_time"]),
            "computation_start_time": text(times["computation_start_time"]),
            "computation_end_time": text(times["computation_end_time"]),
            "end_time": text(times["end_time"]),
            "estimated_computation_cost": cost,
            "metrics": {
                "total_seconds": metrics.get("total_seconds"),
                "container_image_download_seconds": None,
                "container_image_size_bytes": None,
                "queue_time_seconds": metrics.get("queue_time_seconds"),
                "computation_seconds": metrics.get("computation_seconds"),
                "input_upload_seconds": None,
                "input_download_seconds": metrics.get("input_download_seconds"),
                "input_decompression_seconds": metrics.get("input_decompression_seconds"),
                "output_upload_seconds": metrics.get("output_upload_seconds"),
                "input_zipped_size_bytes": metrics.get("input_zipped_size_bytes"),
                "input_size_bytes": metrics.get("input_size_bytes"),
                "output_total_files": metrics.get("output_total_files"),
                "output_size_bytes": metrics.get("output_size_bytes"),
                "output_zipped_size_bytes": metrics.get("output_zipped_size_bytes"),
                "output_compression_seconds": metrics.get("output_compression_seconds"),
            },
            "executer": self.executer,
            "machine_group_name": group,
            "machine_group_id": group,
            "error_detail": self.error_detail,
            "input_resources": None,
            "stream_zip": True,
            "num_retries": self.num_retries,
            "compress_with": None,
            "task_metadata": plan.metadata,
            "extra_params": {"command": list(plan.command), "env": None},
            "resubmit_on_preemption": resubmit_on_preemption,
            "duration_seconds": metrics.get("total_seconds"),
            "orchestration_fee": {"amount": 0.0, "charged": False, "currency": "USD"},
            "time_to_live_seconds": plan.ttl_seconds,
        }
        return doc, self.history


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
        rec.start(Op.EXEC_COMMAND, {"command": shlex.join(rec.plan.command)})
        rec.end(Op.EXEC_COMMAND, ok=False)
        detail = f"the command could not be started: {reason}"
        rec.error_detail = detail
        rec.enter(S.FAILED, self.id, detail)

    def compute(self, seconds: float) -> None:
        """computation-started with exec_command open, then ``seconds`` of running."""
        rec = self.rec
        rec.wait(self.rng.uniform(0.002, 0.02))
        rec.enter(S.COMPUTATION_STARTED, self.id)
        rec.start(Op.EXEC_COMMAND, {"command": shlex.join(rec.plan.command)})
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
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The document and status history of one finished task.

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
    return rec.documents(round(rec.cost_usd, 4), plan.group.spot)


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


def _input_size(rng: random.Random, plan: TaskPlan) -> int:
    return int(_lognormal(rng, plan.simulator.input_median_bytes, 0.8)) + 300
