"""The executor: picks queued tasks FIFO per machine group and runs them.

It lives in the server's event loop. A scheduling pass starts, for each
machine group, as many queued tasks as the group has free machines; it runs
whenever something may have freed or filled a slot (a submission, a task
ending, a group change). Each started task takes a machine of its group
(:mod:`.machines`) and gets a :class:`~.runner.Run` that carries it through
its lifecycle.

All methods are called from the event loop's thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time

from inductiva_top.server.knobs import METRICS_INTERVAL
from inductiva_top.server.layout import DataDir
from inductiva_top.server.statuses import TaskStatusCode
from inductiva_top.server.tasks import lifecycle
from inductiva_top.server.tasks.groups import MachineGroups
from inductiva_top.server.tasks.machines import Fleet
from inductiva_top.server.tasks.processes import MachineInfo
from inductiva_top.server.tasks.runner import Run
from inductiva_top.server.tasks.steps import StopReason
from inductiva_top.server.tasks.store import TaskNotFound, TaskStore

S = TaskStatusCode
log = logging.getLogger(__name__)


class Executor:
    """Schedules and runs tasks; the only place that starts or stops processes."""

    def __init__(
        self,
        store: TaskStore,
        data: DataDir,
        machine: MachineInfo,
        *,
        kill_grace_seconds: float = 5.0,
        metrics_interval: float = METRICS_INTERVAL,
    ) -> None:
        self._store = store
        self._data = data
        self._machine = machine
        self._grace = kill_grace_seconds
        self._metrics_interval = metrics_interval
        self.groups = MachineGroups(store)
        """The stored machine groups."""
        self.fleet = Fleet()
        """Their machines."""
        self._runs: dict[str, Run] = {}
        self._wake = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def machine(self) -> MachineInfo:
        return self._machine

    def start(self) -> None:
        """Begin scheduling (call once, inside the running loop)."""
        self._loop_task = asyncio.get_running_loop().create_task(self._schedule_forever())
        self.wake()

    def wake(self) -> None:
        """Ask for a scheduling pass soon."""
        self._wake.set()

    def is_running(self, task_id: str) -> bool:
        """True while an executor run holds the task."""
        return task_id in self._runs

    def pid_of(self, task_id: str) -> int | None:
        """Pid of a task's running command (its process group leader), or None."""
        run = self._runs.get(task_id)
        return run.pid if run is not None else None

    def running_in(self, group: str) -> int:
        """How many tasks of ``group`` hold a slot now."""
        return sum(1 for run in self._runs.values() if run.group == group)

    def runs(self) -> list[Run]:
        """The runs in progress."""
        return list(self._runs.values())

    def sync_fleet(self) -> None:
        """Boot, resize or restart machines to match the stored groups."""
        self.fleet.sync(self.groups.all(), time.time())

    async def _schedule_forever(self) -> None:
        while not self._stopping:
            await self._wake.wait()
            self._wake.clear()
            try:
                self._schedule_once()
            except Exception:
                log.exception("scheduling pass failed; retrying on the next event")

    def _schedule_once(self) -> None:
        now = time.time()
        groups = {group.name: group for group in self.groups.all()}
        self.fleet.sync(groups.values(), now)
        for name in self._store.groups_with_queue():
            group = groups.get(name)
            if group is None:
                continue
            free = group.slots - self.running_in(name)
            if free <= 0:
                continue
            for task_id in self._store.queue_head(name, free + len(self._runs)):
                if free <= 0:
                    break
                if task_id in self._runs:
                    continue
                run = Run(
                    task_id,
                    name,
                    group.machine_type,
                    store=self._store,
                    data=self._data,
                    machine=self._machine,
                    machine_id=self.fleet.take(name, task_id, now).uuid,
                    grace_seconds=self._grace,
                    cost_per_hour=functools.partial(self.fleet.rate, name),
                    metrics_interval=self._metrics_interval,
                )
                self._runs[task_id] = run
                run.task = asyncio.get_running_loop().create_task(self._carry(run))
                free -= 1

    async def _carry(self, run: Run) -> None:
        try:
            await run.execute()
        finally:
            self._runs.pop(run.task_id, None)
            group = self.groups.started(run.group)
            slots = group.slots if group is not None else None
            self.fleet.release(run.group, run.task_id, time.time(), slots)
            self.wake()

    # -- requests ----------------------------------------------------------

    def kill(self, task_id: str) -> lifecycle.TaskRecord:
        """Kill a task: at once if it waits, through ``pending-kill`` if it runs.

        A task in any other state is left alone (the kill is a no-op).
        Raises :class:`TaskNotFound`.
        """
        now = lifecycle.utcnow()
        machine_id = self._machine.uuid

        def change(record: lifecycle.TaskRecord) -> lifecycle.TaskRecord:
            lifecycle.kill(record, now, machine_id)
            return record

        record = self._store.update(task_id, change)
        if record.status is S.PENDING_KILL:
            run = self._runs.get(task_id)
            if run is not None:
                run.stop(StopReason.KILL)
        self.wake()
        return record

    def terminate_group(
        self, name: str, reason: StopReason = StopReason.GROUP_TERMINATED
    ) -> tuple[int, int]:
        """Terminate a machine group: waiting tasks become ``zombie``, running ones stop.

        ``reason`` says why, for the running tasks' final state (the user, or
        credits exhausted). The group's row stays, ``terminated``, with what
        it cost. Returns ``(zombies, stopped)``.
        """
        now = lifecycle.utcnow()
        zombies = 0
        for task_id in self._store.waiting_in_group(name):
            with contextlib.suppress(TaskNotFound):
                zombies += int(
                    self._store.update(task_id, lambda record: lifecycle.orphan(record, now))
                )
        stopped = 0
        for run in list(self._runs.values()):
            if run.group == name:
                run.stop(reason)
                stopped += 1
        row = self.groups.get(name)
        if row is not None:
            cost = self.fleet.terminate(name, now.timestamp())
            self.groups.terminate(name, now.timestamp(), row.cost if cost is None else cost)
        return zombies, stopped

    async def shutdown(self) -> None:
        """Stop scheduling, stop every running task and record it; returns when all are down."""
        self._stopping = True
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
        runs = list(self._runs.values())
        for run in runs:
            run.stop(StopReason.SHUTDOWN)
        tasks = [run.task for run in runs if run.task is not None]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
            log.warning(
                "shut down with %d task(s) in progress; interrupted computations are resubmitted "
                "and run again at the next start",
                len(tasks),
            )
