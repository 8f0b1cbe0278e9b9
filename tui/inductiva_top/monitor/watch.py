"""Watched tasks: which ones just reached a terminal state.

The user watches single tasks (``w``) or every task (``--notify`` /
``notify: true``). After each poll the dashboard hands :meth:`Watcher.observe`
the tasks it holds; the watcher answers with the ones that went from a
non-terminal state to a terminal one since it last saw them, once each. A
task first seen already finished is not news. Watched tasks the dashboard
does not hold (scrolled away, filtered out) are named by
:meth:`Watcher.to_fetch`, so they are still followed. Nothing here knows
about Textual.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from inductiva_top.api.models import Task
from inductiva_top.monitor.statuses import display_alias, is_terminal, status_info

__all__ = ["FETCH_LIMIT", "Arrival", "Watcher"]

FETCH_LIMIT = 10
"""Most watched tasks the dashboard does not hold that one poll fetches."""


@dataclass(frozen=True)
class Arrival:
    """A watched task that reached a terminal state."""

    task_id: str
    status: str
    label: str
    """The status as the user reads it (alias, sanitized)."""
    kind: str
    """``success``, ``failed``, ``killed`` or ``other``: how loudly to tell."""


@dataclass
class Watcher:
    """The watched ids and the last status seen of each task on watch."""

    watch_all: bool = False
    watched: set[str] = field(default_factory=set)
    _last: dict[str, bool] = field(default_factory=dict)
    """task id -> whether it was terminal when last seen."""

    def is_watched(self, task_id: str) -> bool:
        return self.watch_all or task_id in self.watched

    def toggle(self, task: Task) -> bool:
        """Watch ``task`` or stop watching it; returns whether it is watched now."""
        if task.task_id in self.watched:
            self.watched.discard(task.task_id)
            return self.watch_all
        self.watched.add(task.task_id)
        self._last[task.task_id] = is_terminal(task.status, task.is_terminated)
        return True

    def observe(self, tasks: Iterable[Task]) -> list[Arrival]:
        """The watched tasks among ``tasks`` that became terminal since last seen."""
        arrivals: list[Arrival] = []
        for task in tasks:
            terminal = is_terminal(task.status, task.is_terminated)
            before = self._last.get(task.task_id)
            if self.is_watched(task.task_id):
                self._last[task.task_id] = terminal
            if before is False and terminal and self.is_watched(task.task_id):
                arrivals.append(
                    Arrival(
                        task.task_id,
                        task.status,
                        display_alias(task.status, task.status_alias),
                        status_info(task.status).kind.value,
                    )
                )
        # A finished task watched one by one has nothing more to say.
        for arrival in arrivals:
            self.watched.discard(arrival.task_id)
        return arrivals

    def pending(self) -> set[str]:
        """Watched ids not yet seen terminal (worth fetching when off screen)."""
        return {task_id for task_id in self.watched if not self._last.get(task_id, False)}

    def to_fetch(self, held: Iterable[Task], limit: int = FETCH_LIMIT) -> list[str]:
        """Pending watched ids missing from ``held``: at most ``limit``, to fetch one by one."""
        known = {task.task_id for task in held}
        return sorted(self.pending() - known)[:limit]
