"""The meter: time passing for the fleet.

Every tick (a second by default) it:

- marks every live machine as seen (``last_seen_at``);
- terminates a group that has had no task for its ``max_idle_time`` (and
  nothing queued): its waiting tasks end ``zombie``, as when the real API's
  machine group terminates under them;
- with a budget, stops every rated group once the credits left reach the
  threshold: running tasks end ``executer-terminated-credits-exhausted``,
  waiting ones ``zombie``; groups that cost nothing keep running.

Every few ticks (and when it stops) it stores what each group has cost and
brings running tasks' ``estimated_computation_cost`` up to date, so a
listing shows costs that grow while tasks run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from inductiva_top.server.fleet import account
from inductiva_top.server.fleet.account import Budget
from inductiva_top.server.tasks.executor import Executor
from inductiva_top.server.tasks.groups import MachineGroupRow
from inductiva_top.server.tasks.steps import StopReason
from inductiva_top.server.tasks.store import DEFAULT_GROUP, TaskStore

log = logging.getLogger(__name__)

TICK_SECONDS = 1.0
SAVE_EVERY_TICKS = 5


class Meter:
    """Bills, idles out and (with a budget) cuts off the fleet, tick by tick."""

    def __init__(
        self,
        store: TaskStore,
        executor: Executor,
        budget: Budget | None,
        *,
        tick_seconds: float = TICK_SECONDS,
    ) -> None:
        self._store = store
        self._executor = executor
        self.budget = budget
        self._tick = tick_seconds
        self._task: asyncio.Task[None] | None = None
        self._ticks = 0
        self.exhausted = False
        """Whether the credits have reached the threshold (rated groups are then refused)."""

    def start(self) -> None:
        """Begin ticking (call inside the running loop)."""
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Stop ticking and store what the groups have cost up to now."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._save(time.time())

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._tick)
            try:
                self.tick(time.time())
            except Exception:
                log.exception("meter tick failed; trying again at the next one")

    def tick(self, now: float) -> None:
        """One step of the meter at ``now``."""
        executor = self._executor
        executor.sync_fleet()
        executor.fleet.seen(now)
        for row in executor.groups.all():
            if self._idle_out(row, now):
                log.info(
                    "machine group %s terminated after %.0f s idle", row.name, row.max_idle_time
                )
                executor.terminate_group(row.name)
        self._check_credits(now)
        self._ticks += 1
        if self._ticks % SAVE_EVERY_TICKS == 0:
            self._save(now)

    def _idle_out(self, row: MachineGroupRow, now: float) -> bool:
        if row.max_idle_time is None or row.name == DEFAULT_GROUP:
            return False
        group = self._executor.fleet.of(row)
        if group is None:
            return False
        since = group.idle_since()
        if since is None or self._store.queued_count(row.name):
            return False
        return now - since >= row.max_idle_time

    def credits_left(self, now: float) -> float | None:
        """Credits left by ``now``; None without a budget."""
        if self.budget is None:
            return None
        rows = self._executor.groups.all(terminated=True)
        return account.available(self.budget, rows, self._executor.fleet, now)

    def _check_credits(self, now: float) -> None:
        left = self.credits_left(now)
        if left is None or self.budget is None or left > self.budget.threshold:
            return
        if not self.exhausted:
            log.warning(
                "credits exhausted (%.4f USD left, threshold %.4f): stopping billed machine groups",
                left,
                self.budget.threshold,
            )
        self.exhausted = True
        for row in self._executor.groups.all():
            if row.cost_per_hour > 0:
                self._executor.terminate_group(row.name, StopReason.CREDITS)

    def _save(self, now: float) -> None:
        executor = self._executor
        costs = {
            row.name: account.group_cost(row, executor.fleet, now) for row in executor.groups.all()
        }
        executor.groups.save_costs(costs)
        for run in executor.runs():
            run.charge()
