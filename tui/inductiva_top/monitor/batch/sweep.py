"""A project's runs as a sweep table: the parameters that vary, sortable and grouped.

Rows come from ``GET /projects/{name}/tasks_info?select=distinct`` (one row
per task; the keys whose value is the same for every run are left out, as
the official benchmark export does), or, where the API has no such route or
its rows say nothing of status, from the project's tasks and their
``task_metadata`` (:func:`from_tasks`), which the screen says.

A fixed column missing from ``distinct`` rows has one value for every run:
the status is then the one code of the project's overview, the cost the
project's cost shared out evenly.

Parameter values sort as numbers when they read as numbers (``9`` before
``10``), else as text; a run without the parameter sorts last either way.
Grouping by one parameter gives per-group counts, cost and a bar.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from inductiva_top.api.models import Project, ProjectTaskInfo, Task
from inductiva_top.monitor import fmt
from inductiva_top.monitor.batch.bars import KindCounts
from inductiva_top.monitor.statuses import StatusKind, status_info

__all__ = [
    "COMPUTE",
    "COST",
    "FIXED_COLUMNS",
    "QUEUE",
    "STATUS",
    "SweepData",
    "SweepGroup",
    "SweepRow",
    "column_title",
    "from_tasks",
    "from_tasks_info",
    "group_key_for",
    "group_rows",
    "groupable_keys",
    "sort_rows",
    "value_key",
]

STATUS, COMPUTE, QUEUE, COST = ":status", ":compute", ":queue", ":cost"
FIXED_COLUMNS: tuple[str, ...] = (STATUS, COMPUTE, QUEUE, COST)
"""Columns every sweep table has after the parameters, as :meth:`SweepRow.value` names them
(a colon first: no clash with a parameter of the same name)."""


def column_title(column: str) -> str:
    """How a column is named on screen: the parameter, or ``status``, ``compute``..."""
    return column[1:] if column in FIXED_COLUMNS else column


@dataclass(frozen=True)
class SweepRow:
    """One run of the sweep: its task, status, parameters and what it took."""

    task_id: str
    status: str | None
    parameters: Mapping[str, str | None]
    compute_seconds: float | None = None
    queue_seconds: float | None = None
    cost: float | None = None

    @property
    def kind(self) -> StatusKind:
        return status_info(self.status).kind if self.status is not None else StatusKind.OTHER

    def value(self, column: str) -> str | float | None:
        """The value in ``column``: a parameter key or one of :data:`FIXED_COLUMNS`."""
        if column == STATUS:
            return self.status
        if column == COMPUTE:
            return self.compute_seconds
        if column == QUEUE:
            return self.queue_seconds
        if column == COST:
            return self.cost
        return self.parameters.get(column)


@dataclass(frozen=True)
class SweepData:
    """A project's sweep table: its varying parameter keys and one row per run."""

    project: str
    keys: tuple[str, ...]
    rows: tuple[SweepRow, ...]
    derived: bool = False
    """True when the keys come from the tasks' metadata rather than ``tasks_info``."""

    @property
    def columns(self) -> tuple[str, ...]:
        """Parameters first, then the fixed columns."""
        return self.keys + FIXED_COLUMNS


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _only_code(project: Project | None) -> str | None:
    overview = {code: n for code, n in ((project and project.task_status_overview) or {}).items()}
    codes = [code for code, count in overview.items() if count]
    return codes[0] if len(codes) == 1 else None


def from_tasks_info(
    name: str, infos: Sequence[ProjectTaskInfo], project: Project | None = None
) -> SweepData | None:
    """The sweep table of ``distinct`` rows; ``None`` when they do not give each run's status.

    ``project`` (its overview and cost) fills the fixed columns ``distinct``
    left out for having one value.
    """
    if not infos:
        return SweepData(name, (), ())
    statuses = [info.status for info in infos]
    shared_status = None
    if all(status is None for status in statuses):
        shared_status = _only_code(project)
        if shared_status is None and len(infos) > 1:
            return None  # the API's rows carry no status, and its runs differ in status
    costs = [info.estimated_computation_cost for info in infos]
    shared_cost = None
    if all(cost is None for cost in costs) and project is not None:
        total = project.estimated_computation_cost
        shared_cost = total / len(infos) if total is not None else None
    keys: dict[str, None] = {}
    for info in infos:
        for key in info.parameters:
            keys.setdefault(key)
    rows = tuple(
        SweepRow(
            task_id=info.task_id or "",
            status=info.status or shared_status,
            parameters={key: _text(info.parameters.get(key)) for key in keys},
            compute_seconds=info.computation_time,
            queue_seconds=info.queue_time,
            cost=info.estimated_computation_cost if info.estimated_computation_cost is not None
            else shared_cost,
        )
        for info in infos
        if info.task_id
    )  # fmt: skip
    return SweepData(name, tuple(keys), rows)


def from_tasks(name: str, tasks: Iterable[Task]) -> SweepData:
    """The sweep table derived from tasks: the metadata keys whose values vary."""
    tasks = list(tasks)
    keys: dict[str, None] = {}
    for task in tasks:
        for key in task.task_metadata or {}:
            keys.setdefault(key)
    varying = tuple(
        key
        for key in keys
        if len({(task.task_metadata or {}).get(key) for task in tasks}) > 1 or len(tasks) == 1
    )
    rows = tuple(
        SweepRow(
            task_id=task.task_id,
            status=task.status,
            parameters={key: (task.task_metadata or {}).get(key) for key in varying},
            compute_seconds=task.metrics.computation_seconds if task.metrics else None,
            queue_seconds=task.metrics.queue_time_seconds if task.metrics else None,
            cost=task.estimated_computation_cost,
        )
        for task in tasks
    )
    return SweepData(name, varying, rows, derived=True)


def value_key(value: str | float | None) -> tuple[int, float, str]:
    """How a cell's value sorts: numbers as numbers, then text; missing sorts last."""
    if value is None:
        return (2, 0.0, "")
    if isinstance(value, (int, float)):
        return (0, float(value), "")
    try:
        number = float(value)
    except ValueError:
        return (1, 0.0, value.casefold())
    if math.isnan(number):
        return (1, 0.0, value.casefold())
    return (0, number, "")


def sort_rows(rows: Iterable[SweepRow], column: str, descending: bool = False) -> list[SweepRow]:
    """``rows`` sorted by ``column``; runs without a value last in either direction."""
    present = [row for row in rows if row.value(column) is not None]
    missing = [row for row in rows if row.value(column) is None]
    # Ties keep the order they came in (the API's: oldest first).
    present.sort(key=lambda row: value_key(row.value(column)), reverse=descending)
    return present + missing


@dataclass(frozen=True)
class SweepGroup:
    """The runs that share one value of a parameter."""

    key: str
    value: str | None
    rows: tuple[SweepRow, ...]
    counts: KindCounts = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "counts", KindCounts.of_codes(row.status for row in self.rows))

    @property
    def label(self) -> str:
        """``alpha=0.30`` (``alpha unset`` for the runs without it)."""
        return f"{self.key}={self.value}" if self.value is not None else f"{self.key} unset"

    @property
    def cost(self) -> float | None:
        costs = [row.cost for row in self.rows if row.cost is not None]
        return sum(costs) if costs else None

    @property
    def failed(self) -> int:
        return self.counts[StatusKind.FAILED]

    def summary(self) -> str:
        """``4/5 done, 1 failed, $0.41``."""
        parts = [f"{fmt.count(self.counts.done)}/{fmt.count(len(self.rows))} done"]
        for kind, word in ((StatusKind.FAILED, "failed"), (StatusKind.KILLED, "killed")):
            if self.counts[kind]:
                parts.append(f"{fmt.count(self.counts[kind])} {word}")
        if self.counts[StatusKind.RUNNING]:
            parts.append(f"{fmt.count(self.counts[StatusKind.RUNNING])} running")
        if self.cost is not None:
            parts.append(fmt.cost(self.cost))
        return ", ".join(parts)


def group_rows(rows: Sequence[SweepRow], key: str, *, descending: bool = False) -> list[SweepGroup]:
    """``rows`` grouped by their value of ``key``, groups in value order (rows keep theirs)."""
    groups: dict[str | None, list[SweepRow]] = {}
    for row in rows:
        groups.setdefault(row.parameters.get(key), []).append(row)
    values: list[str | None] = sorted(
        (value for value in groups if value is not None), key=value_key, reverse=descending
    )
    if None in groups:
        values.append(None)
    return [SweepGroup(key, value, tuple(groups[value])) for value in values]


def groupable_keys(data: SweepData) -> list[str]:
    """The parameters worth grouping by: those whose values repeat between runs.

    A key unique to every run (a name, a seed) makes groups of one, which
    say nothing a row does not.
    """
    return [
        key
        for key in data.keys
        if 1 < len({row.parameters.get(key) for row in data.rows}) < len(data.rows)
    ]


def group_key_for(data: SweepData) -> str | None:
    """The parameter a sweep opens grouped by: the first of :func:`groupable_keys`."""
    keys = groupable_keys(data)
    return keys[0] if keys else None
