"""The task table's columns: titles, widths, API sort fields and cell text.

Which columns show, and in what order, comes from config (``columns:``);
:func:`columns_from_config` turns those names into :class:`Column` specs and
reports unknown names. Every string from the API goes through the sanitizer
and becomes a :class:`~rich.text.Text`, never markup.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from rich.text import Text

from inductiva_top.api.models import Task
from inductiva_top.monitor import fmt
from inductiva_top.monitor.sanitize import sanitize_name
from inductiva_top.monitor.statuses import display_alias, status_info

__all__ = [
    "COLUMNS",
    "DEFAULT_COLUMNS",
    "Column",
    "RowContext",
    "columns_from_config",
    "render_cell",
    "status_text",
]


@dataclass(frozen=True)
class RowContext:
    """What a row needs besides its task: the time, the shown status, its queue place."""

    now: datetime
    status: str
    status_alias: str | None
    tasks_ahead: int | None = None


@dataclass(frozen=True)
class Column:
    """One table column."""

    key: str
    title: str
    width: int
    sort_field: str | None = None
    align: Literal["left", "right"] = "left"


COLUMNS: dict[str, Column] = {
    column.key: column
    for column in (
        Column("id", "ID", 25, "task_id"),
        Column("simulator", "SIMULATOR", 10, "simulator"),
        Column("status", "STATUS", 17, "status"),
        Column("project", "PROJECT", 11, "project"),
        Column("submitted", "SUBMITTED", 9, "create_time", "right"),
        Column("started", "STARTED", 10, "start_time", "right"),
        Column("duration", "DURATION", 11, None, "right"),
        Column("machine", "MACHINE", 18, "machine_group_name"),
        Column("queue", "QUEUE", 5, None, "right"),
        Column("cost", "COST", 8, None, "right"),
    )
}
"""Every column there is, by config name."""

DEFAULT_COLUMNS: tuple[str, ...] = (
    "id",
    "status",
    "simulator",
    "project",
    "submitted",
    "duration",
    "cost",
    "machine",
    "queue",
    "started",
)
"""At 120 columns everything up to MACHINE fits whole; QUEUE (a number only for
waiting tasks, whose place the queue view shows too) and STARTED follow."""


def columns_from_config(names: Sequence[str] | None) -> tuple[list[Column], list[str]]:
    """The columns named in config (default when None) and the names not known."""
    chosen = DEFAULT_COLUMNS if not names else tuple(names)
    columns = [COLUMNS[name] for name in chosen if name in COLUMNS]
    unknown = [name for name in chosen if name not in COLUMNS]
    if not columns:
        columns = [COLUMNS[name] for name in DEFAULT_COLUMNS]
    return columns, unknown


def status_text(code: str, alias: str | None) -> Text:
    """A status as symbol plus alias: readable without colour (the table adds colour by kind)."""
    info = status_info(code)
    return Text(f"{info.symbol} {display_alias(code, alias)}")


def _name(value: str | None) -> Text:
    return Text(sanitize_name(value) if value else "-")


def _cell_id(task: Task, context: RowContext) -> Text:
    return _name(task.task_id)


def _cell_simulator(task: Task, context: RowContext) -> Text:
    return _name(task.simulator)


def _cell_status(task: Task, context: RowContext) -> Text:
    return status_text(context.status, context.status_alias)


def _cell_project(task: Task, context: RowContext) -> Text:
    return _name(task.project)


def _cell_submitted(task: Task, context: RowContext) -> Text:
    return Text(fmt.ago(task.create_time, context.now))


def _cell_started(task: Task, context: RowContext) -> Text:
    return Text(fmt.ago(task.start_time, context.now))


def _cell_duration(task: Task, context: RowContext) -> Text:
    return Text(fmt.duration(fmt.task_duration(task, context.now)))


def _cell_machine(task: Task, context: RowContext) -> Text:
    if task.executer is None:
        return _name(task.machine_group_name)
    label = fmt.machine_label(task)
    host = task.executer.host_type
    if host and label.startswith(f"{host} {host}"):
        label = label[len(host) + 1 :]  # "local local-std" says "local" twice
    return Text(label)


def _cell_queue(task: Task, context: RowContext) -> Text:
    return Text("-" if context.tasks_ahead is None else str(context.tasks_ahead))


def _cell_cost(task: Task, context: RowContext) -> Text:
    amount = task.estimated_computation_cost
    if not amount:
        # Nothing billed (yet, or ever on a local machine): "$0.0000" would read as a price.
        return Text("-")
    return Text(fmt.cost(amount))


_CELLS: dict[str, Callable[[Task, RowContext], Text]] = {
    "id": _cell_id,
    "simulator": _cell_simulator,
    "status": _cell_status,
    "project": _cell_project,
    "submitted": _cell_submitted,
    "started": _cell_started,
    "duration": _cell_duration,
    "machine": _cell_machine,
    "queue": _cell_queue,
    "cost": _cell_cost,
}


def render_cell(column: Column, task: Task, context: RowContext) -> Text:
    """The text of ``column`` for ``task``."""
    return _CELLS[column.key](task, context)
