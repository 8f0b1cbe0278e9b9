"""Watched tasks: which ones just reached a terminal state.

The user watches single tasks (``w``) or every task (``--notify`` /
``notify: true``). After each poll the dashboard hands :meth:`Watcher.observe`
the tasks it holds; the watcher answers with the ones that went from a
non-terminal state to a terminal one since it last saw them, once each. A
task first seen already finished is not news. Watched tasks the dashboard
does not hold (scrolled away, filtered out) are named by
:meth:`Watcher.to_fetch`, so they are still followed.

Watch rules from the config (:class:`~inductiva_top.monitor.foresight.rules.WatchRule`,
``watch: [{project: sweep-a, on: [failed, finished]}]``) add the tasks they
select, and their own events: a task a rule selects is news when it enters
one of the rule's events (not only a terminal state), every time it does,
and stays watched by the rule afterwards. A task both watched and selected
by a rule is told once per change. Nothing here knows about Textual.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from inductiva_top.api.models import Task
from inductiva_top.monitor.foresight.rules import WatchRule
from inductiva_top.monitor.names import DEFAULT_NAME_KEYS, labelled, task_name
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
    """The status kind (``success``, ``failed``, ``killed``, ``running``...): how loud."""
    rule: WatchRule | None = None
    """The watch rule that fired, or ``None`` for a task watched by ``w`` or ``--notify``."""
    name: str | None = None
    """The task's name (:func:`~inductiva_top.monitor.names.task_name`), if it has one."""

    @property
    def sentence(self) -> str:
        """What happened, for a toast or a notification: ``plate-a0.3 (abc) succeeded``,
        ``abc failed: Machine Failed``."""
        who = labelled(self.task_id, self.name)
        plain = _PLAIN.get((self.kind, self.label.lower()))
        if plain is not None:
            return f"{who} {plain}"
        return f"{who} {_VERBS.get(self.kind, 'is now')}: {self.label}"


_PLAIN = {
    ("success", "success"): "succeeded",
    ("failed", "failed"): "failed",
    ("killed", "killed"): "was killed",
    ("killed", "killing"): "is being killed",
    ("running", "running"): "is running",
}
"""Kind and label that one verb says in full ("abc failed: Failed" says it twice)."""

_VERBS = {
    "success": "succeeded",
    "failed": "failed",
    "killed": "was stopped",
    "running": "is running",
    "waiting": "is waiting",
}
"""The verb for the other labels of a kind (a rule's events too), followed by the label."""


@dataclass(frozen=True)
class _Seen:
    status: str
    terminal: bool


@dataclass
class Watcher:
    """The watched ids, the watch rules and the last status seen of each task on watch."""

    watch_all: bool = False
    watched: set[str] = field(default_factory=set)
    rules: tuple[WatchRule, ...] = ()
    name_keys: tuple[str, ...] = DEFAULT_NAME_KEYS
    """The metadata keys that name a task in what is told."""
    _last: dict[str, _Seen] = field(default_factory=dict)
    """task id -> its status (and whether terminal) when last seen."""

    def is_watched(self, task_id: str) -> bool:
        return self.watch_all or task_id in self.watched

    def toggle(self, task: Task) -> bool:
        """Watch ``task`` or stop watching it; returns whether it is watched now."""
        if task.task_id in self.watched:
            self.watched.discard(task.task_id)
            return self.watch_all
        self.watched.add(task.task_id)
        self._last[task.task_id] = _Seen(task.status, is_terminal(task.status, task.is_terminated))
        return True

    def _rule_for(self, task: Task, before: _Seen | None) -> WatchRule | None:
        previous = before.status if before is not None else None
        return next((rule for rule in self.rules if rule.fires(task, previous)), None)

    def observe(self, tasks: Iterable[Task]) -> list[Arrival]:
        """The watched tasks among ``tasks`` that ended, or met a rule, since last seen."""
        arrivals: list[Arrival] = []
        ended: list[str] = []
        for task in tasks:
            terminal = is_terminal(task.status, task.is_terminated)
            before = self._last.get(task.task_id)
            watched = self.is_watched(task.task_id)
            if watched or any(rule.selects(task) for rule in self.rules):
                self._last[task.task_id] = _Seen(task.status, terminal)
            if before is None or before == _Seen(task.status, terminal):
                continue
            rule = self._rule_for(task, before)
            if rule is not None or (watched and not before.terminal and terminal):
                arrivals.append(
                    Arrival(
                        task.task_id,
                        task.status,
                        display_alias(task.status, task.status_alias),
                        status_info(task.status).kind.value,
                        rule,
                        task_name(task, self.name_keys),
                    )
                )
                if terminal:
                    ended.append(task.task_id)
        # A finished task watched one by one has nothing more to say.
        self.watched.difference_update(ended)
        return arrivals

    def pending(self) -> set[str]:
        """Watched ids not yet seen terminal (worth fetching when off screen)."""
        return {
            task_id
            for task_id in self.watched
            if (seen := self._last.get(task_id)) is None or not seen.terminal
        }

    def rule_projects(self) -> set[str]:
        """The projects the watch rules name: worth polling for their active tasks."""
        return {rule.project for rule in self.rules if rule.project is not None}

    def to_fetch(self, held: Iterable[Task], limit: int = FETCH_LIMIT) -> list[str]:
        """Pending watched ids missing from ``held``: at most ``limit``, to fetch one by one."""
        known = {task.task_id for task in held}
        return sorted(self.pending() - known)[:limit]
