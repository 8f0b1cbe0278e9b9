"""Watch rules: which tasks to tell the user about without pressing ``w`` on each.

A rule from the config (``watch: [{project: sweep-a, on: [failed, finished]}]``)
selects tasks by project and/or simulator (neither: every task) and names
the events that matter. An event is a status filter group (``waiting``,
``running``, ``finished``, ``failed``, as the status filter groups them) or
a status code (``success``, ``killed``...; ``failed`` is the group). A rule
fires when a task it selects enters one of an event's statuses from a
status outside that event, seen change by change (``started`` to ``failed``
fires ``failed`` even when ``running`` is watched too); a task first seen
already there is not news. Without ``on``, a rule fires on ``finished`` and
``failed``.

This module is imported by the config, so it stays light: no API models at
run time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

from inductiva_top.monitor.statuses import FILTER_GROUPS, KNOWN_STATUSES

if TYPE_CHECKING:
    from inductiva_top.api.models import Task

__all__ = ["DEFAULT_EVENTS", "RULE_KEYS", "WATCH_EVENTS", "WatchRule"]

RULE_KEYS = ("project", "simulator", "on")
"""The keys a rule may have."""

DEFAULT_EVENTS = ("finished", "failed")

WATCH_EVENTS: Mapping[str, frozenset[str]] = MappingProxyType(
    {code: frozenset({code}) for code in KNOWN_STATUSES}
    | {group: frozenset(codes) for group, codes in FILTER_GROUPS.items()}
)
"""Event name -> the status codes it means: every known code, then the groups (which win)."""


@dataclass(frozen=True)
class WatchRule:
    """Tell about the tasks of ``project`` and/or ``simulator`` when they enter ``on``."""

    project: str | None = None
    simulator: str | None = None
    on: tuple[str, ...] = DEFAULT_EVENTS

    def __post_init__(self) -> None:
        if not self.on:
            raise ValueError("a rule needs at least one event")
        unknown = [event for event in self.on if event not in WATCH_EVENTS]
        if unknown:
            raise ValueError(f"unknown event {unknown[0]!r}")

    @property
    def codes(self) -> frozenset[str]:
        """The status codes the rule's events mean."""
        return frozenset().union(*(WATCH_EVENTS[event] for event in self.on))

    def selects(self, task: Task) -> bool:
        """Whether ``task`` is one the rule watches."""
        return (self.project is None or task.project == self.project) and (
            self.simulator is None or task.simulator == self.simulator
        )

    def event(self, task: Task, before: str | None) -> str | None:
        """The rule's event ``task`` just entered, last seen in ``before`` (``None``: never)."""
        if before is None or not self.selects(task):
            return None
        return next(
            (
                event
                for event in self.on
                if task.status in WATCH_EVENTS[event] and before not in WATCH_EVENTS[event]
            ),
            None,
        )

    def fires(self, task: Task, before: str | None) -> bool:
        """Whether ``task``, last seen in status ``before`` (``None``: never), is news now."""
        return self.event(task, before) is not None

    def describe(self) -> str:
        """The rule in a few words: ``project sweep-a: failed, finished``."""
        parts = [f"project {self.project}"] if self.project is not None else []
        if self.simulator is not None:
            parts.append(f"simulator {self.simulator}")
        return f"{', '.join(parts) or 'every task'}: {', '.join(self.on)}"
