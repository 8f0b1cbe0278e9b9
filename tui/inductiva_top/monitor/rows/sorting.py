"""The sorts the task list offers: wire names, first directions, the server's order.

The server sorts (``GET /tasks?sort=field:asc|desc``). The client needs that
order in two places of its own: merging one server-sorted stream per status
code into one view (:mod:`~inductiva_top.monitor.rows.merge`) and finding a
task's row after the sort changed (:mod:`~inductiva_top.monitor.rows.locate`).
:func:`sort_value` is a task's value in that order.

``real_api`` says whether the field is one the real API has on its tasks (it
documents ``sort`` as ``field:order`` with ``create_time`` and ``status`` as
examples, and passes task fields through); the others are the embedded
server's. The README lists both.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

from inductiva_top.api.models import Task
from inductiva_top.monitor import fmt
from inductiva_top.monitor.statuses import sort_rank

__all__ = ["QUEUE", "SORT_FIELDS", "SortField", "SortValue", "sort_value"]

SortValue = str | int | float | None
"""A task's value in a sort; None sorts first in ascending order, as the server sorts NULL."""

QUEUE = "position_in_queue"
"""The queue sort: queued tasks by their place in their group's queue, then every other task."""

_QUEUED = frozenset({"submitted", "in-queue"})


@dataclass(frozen=True)
class SortField:
    """One sort the server offers."""

    name: str
    """The wire name (``sort=<name>:asc``)."""
    descending_first: bool
    """The direction a first request picks: times, durations and money largest first."""
    value: Callable[[Task, datetime], SortValue]
    """The task's value in the server's order, at a moment (durations tick)."""
    real_api: bool = True


def _time(name: str) -> Callable[[Task, datetime], SortValue]:
    def value(task: Task, now: datetime) -> SortValue:
        when = getattr(task, name)
        return None if when is None else float(when.timestamp())

    return value


def _text(name: str) -> Callable[[Task, datetime], SortValue]:
    def value(task: Task, now: datetime) -> SortValue:
        found = getattr(task, name)
        return found if isinstance(found, (str, int, float)) else None

    return value


def _cost(task: Task, now: datetime) -> SortValue:
    # Nothing billed yet counts as nothing (the table shows "-" for both).
    return task.estimated_computation_cost or 0.0


def _queue(task: Task, now: datetime) -> SortValue:
    # The client knows who waits, not the place (one request per task tells
    # that): enough to merge streams, since one status stream holds every
    # queued task in the server's order.
    return 0 if task.status in _QUEUED else 1


_FIELDS = (
    SortField("task_id", False, _text("task_id")),
    SortField("status", False, lambda task, now: sort_rank(task.status)),
    SortField("simulator", False, _text("simulator")),
    SortField("project", False, _text("project")),
    SortField("create_time", True, _time("create_time")),
    SortField("input_submit_time", True, _time("input_submit_time")),
    SortField("start_time", True, _time("start_time")),
    SortField("computation_start_time", True, _time("computation_start_time")),
    SortField("computation_end_time", True, _time("computation_end_time")),
    SortField("end_time", True, _time("end_time")),
    SortField("machine_group_name", False, _text("machine_group_name")),
    SortField("num_retries", True, _text("num_retries")),
    SortField("estimated_computation_cost", True, _cost),
    SortField("machine_type", False, lambda task, now: fmt.machine_label(task) or None, False),
    SortField("computation_seconds", True, fmt.run_time, False),
    SortField("total_seconds", True, fmt.total_time, False),
    SortField(QUEUE, False, _queue, False),
)

SORT_FIELDS: Mapping[str, SortField] = MappingProxyType({f.name: f for f in _FIELDS})
"""Every sort field the embedded server accepts, by wire name."""


def sort_value(field: str, task: Task, now: datetime) -> SortValue:
    """``task``'s value in the order of ``field`` (None for a field this client does not know)."""
    known = SORT_FIELDS.get(field)
    return None if known is None else known.value(task, now)
