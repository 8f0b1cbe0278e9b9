"""The task table's columns: titles, widths, API sort fields and cell text.

Which columns show, and in what order, comes from config (``columns:``);
:func:`columns_from_config` turns those names into :class:`Column` specs and
reports unknown names. NAME and ``meta.KEY`` columns show metadata values,
named by :func:`~inductiva_top.monitor.names.task_name`. :func:`fit_widths`
shares the terminal's width among them. Every string from the API goes
through the sanitizer and becomes a :class:`~rich.text.Text`, never markup.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from rich.text import Text

from inductiva_top.api.models import Task
from inductiva_top.config import did_you_mean
from inductiva_top.config.settings import META_PREFIX
from inductiva_top.monitor import fmt
from inductiva_top.monitor.foresight.estimates import FinishEstimate, StartEstimate
from inductiva_top.monitor.foresight.wording import ends_cell, starts_cell
from inductiva_top.monitor.names import DEFAULT_NAME_KEYS, task_name
from inductiva_top.monitor.sanitize import sanitize_name
from inductiva_top.monitor.statuses import SHORT_LABEL_MAX, short_label, status_info

__all__ = [
    "COLUMNS",
    "DEFAULT_COLUMNS",
    "OPTIONAL",
    "SHORT_ID_MIN",
    "STALLED",
    "Column",
    "RowContext",
    "columns_from_config",
    "fit_widths",
    "metadata_column",
    "natural_width",
    "optional_columns",
    "render_cell",
    "short_id_length",
    "status_text",
    "unknown_columns_message",
]


@dataclass(frozen=True)
class RowContext:
    """What a row needs besides its task: the time, the shown status, its queue place,
    what is foreseen of it (:mod:`~inductiva_top.monitor.foresight`)."""

    now: datetime
    status: str
    status_alias: str | None
    tasks_ahead: int | None = None
    start: StartEstimate | None = None
    """When it should start, while it waits."""
    finish: FinishEstimate | None = None
    """When it should end, while it runs."""
    stalled: bool = False
    """It runs and its output has not changed for ``stall_after``."""


@dataclass(frozen=True)
class Column:
    """One table column: its title, its widths, the API field it sorts by, how it cuts."""

    key: str
    title: str
    width: int
    """The narrowest it gets (a squeezed id column gets its short unique prefix instead)."""
    sort_field: str | None = None
    align: Literal["left", "right"] = "left"
    most: int | None = None
    """The widest it grows to show its longest cell; None: always :attr:`width`."""
    cut: Literal["ellipsis", "words", "prefix"] = "ellipsis"
    """How a cell too long for the column is cut: ``…`` at the end, at a word, or a bare prefix."""
    meta_keys: tuple[str, ...] = ()
    """For a metadata column (NAME, ``meta.KEY``): the keys it shows, first present wins."""
    keep: bool = False
    """Never cut to make room (a cut name loses what tells runs apart): others shrink, or
    the last columns scroll sideways."""

    task_only: bool = False
    """Its cell depends on the task alone, not on the row's context (the clock, the
    shown status, estimates): the same task object always shows the same cell."""


COLUMNS: dict[str, Column] = {
    column.key: column
    for column in (
        Column("id", "ID", 2, "task_id", most=40, cut="prefix", task_only=True),
        # The API sorts by no metadata key: NAME and meta.KEY sort nothing.
        Column("name", "NAME", 6, most=24, meta_keys=DEFAULT_NAME_KEYS, keep=True, task_only=True),
        Column("status", "STATUS", 2 + SHORT_LABEL_MAX, "status", cut="words"),
        Column("simulator", "SIMULATOR", 9, "simulator", most=20, task_only=True),
        Column("project", "PROJECT", 12, "project", most=40, task_only=True),
        Column("submitted", "SUBMITTED", 9, "create_time", "right"),
        Column("started", "STARTED", 8, "start_time", "right"),
        Column("run", "RUN", 11, "computation_seconds", "right"),
        Column("total", "TOTAL", 11, "total_seconds", "right"),
        Column("cost", "COST", 7, "estimated_computation_cost", "right", most=12, task_only=True),
        Column("machine", "MACHINE", 9, "machine_type", most=28, task_only=True),
        Column("group", "GROUP", 7, "machine_group_name", most=24, task_only=True),
        Column("queue", "QUEUE", 5, "position_in_queue", "right"),
        # Fixed widths: an estimate's words change with the clock while its task does
        # not, and the table measures a task's cells once (at 200 columns STARTS read
        # "in 30-…" from a width measured when it said "unknown").
        Column("starts", "STARTS", len("in 10-15 min")),
        Column("ends", "ENDS", len("≈10-15 min 100%")),
    )
}
"""Every column there is, by config name.

RUN is the time the simulator computed (``metrics.computation_seconds``),
TOTAL the time since submission (``metrics.total_seconds``): each ticks while
it grows and keeps its meaning once the task ended. MACHINE is the machine
type that ran the task, GROUP the machine group it was submitted to. NAME is
the task's name from its metadata (the ``name_keys`` setting says which keys).
A ``meta.KEY`` column (:func:`metadata_column`) is made for the key named. STARTS
and ENDS are estimates (:mod:`~inductiva_top.monitor.foresight.wording`):
when a waiting task should start, when a running one should end; they sort
by nothing the API knows.
"""

META_MOST = 24
"""The widest a ``meta.KEY`` column grows; longer values end in an ellipsis."""

RENAMED: dict[str, str] = {"duration": "run"}
"""Old config names of columns that changed meaning or name."""

DEFAULT_COLUMNS: tuple[str, ...] = (
    "id",
    "name",
    "status",
    "simulator",
    "project",
    "submitted",
    "run",
    "cost",
    "machine",
    "group",
    "queue",
    "starts",
    "ends",
)
"""At 120 columns these fit with the id shortened and the names cut; at 200 everything is
whole. What a narrow terminal cannot fit scrolls sideways (the id column stays put),
except the :data:`OPTIONAL` ones. NAME comes second so that at 80 columns a task is
known by its name and its short id. TOTAL and STARTED are a ``columns:`` setting away:
SUBMITTED and RUN tell most of that story."""

OPTIONAL: frozenset[str] = frozenset({"starts", "ends"})
"""Default columns shown only where every column fits without scrolling sideways (at 200
columns, not at 120: there they would push GROUP and QUEUE off the screen; the cursor
task's estimates are in its timeline pane, queue view and detail screen at any width).
Named in ``columns:``, they show as any other column."""

STALLED = "stalled"
"""After the status of a running task whose output has not changed for ``stall_after``."""

SHORT_ID_MIN = 6
"""The shortest id prefix a squeezed id column shows (longer when needed to stay unique)."""


def optional_columns(names: Sequence[str] | None) -> frozenset[str]:
    """The columns to show only when all fit: :data:`OPTIONAL` for the default set."""
    return frozenset() if names else OPTIONAL


def metadata_column(key: str) -> Column:
    """The ``meta.KEY`` column: the task's metadata value of ``key``, titled by it."""
    title = sanitize_name(key, META_MOST).upper()
    width = min(len(title), 8)
    return Column(META_PREFIX + key, title, width, most=META_MOST, meta_keys=(key,), task_only=True)


def columns_from_config(
    names: Sequence[str] | None, name_keys: Sequence[str] = DEFAULT_NAME_KEYS
) -> tuple[list[Column], list[str]]:
    """The columns named in config (default when None) and the names not known.

    ``meta.KEY`` makes a metadata column (config checked the key); NAME
    shows the first present of ``name_keys``.
    """
    known = COLUMNS | {"name": replace(COLUMNS["name"], meta_keys=tuple(name_keys))}
    chosen = [RENAMED.get(name, name) for name in (names or DEFAULT_COLUMNS)]
    columns: list[Column] = []
    unknown: list[str] = []
    for name in chosen:
        if name.startswith(META_PREFIX) and len(name) > len(META_PREFIX):
            columns.append(metadata_column(name[len(META_PREFIX) :]))
        elif name in known:
            columns.append(known[name])
        else:
            unknown.append(name)
    if not columns:
        columns = [known[name] for name in DEFAULT_COLUMNS]
    return columns, unknown


def short_id_length(task_ids: Iterable[str]) -> int:
    """The shortest prefix length (at least :data:`SHORT_ID_MIN`) that tells ``task_ids`` apart.

    As git's short hashes: unique among the ids at hand (the loaded rows).
    """
    ordered = sorted(set(task_ids))
    length = SHORT_ID_MIN
    for before, after in itertools.pairwise(ordered):
        common = next(
            (i for i, (a, b) in enumerate(zip(before, after, strict=False)) if a != b),
            min(len(before), len(after)),
        )
        length = max(length, common + 1)
    return length


def natural_width(column: Column, cells: Iterable[int]) -> int:
    """The width that shows every cell whole (``cells``: their widths), within the bounds."""
    if column.most is None:
        return column.width
    return max(column.width, len(column.title), min(column.most, max(cells, default=0)))


def fit_widths(
    columns: Sequence[Column], natural: Sequence[int], room: int, short_id: int
) -> list[int]:
    """Column widths for ``room`` cells (separators included), from each column's natural width.

    What fits stays natural (every cell whole). Else the id column shows its
    short unique prefix (``short_id``); then, if that makes every column fit,
    the columns that grow shrink towards their narrowest, each in proportion
    to what it has above it, but those that :attr:`~Column.keep` (the name).
    When even that would not fit, the most leading columns that can be
    shown whole are fitted to the room that way, and the rest keep their
    natural widths past the edge, to scroll sideways: at 80 columns a
    project cut to ``protein-fold…`` beside a whole SUBMITTED reads better
    than a whole project beside ``6h ag``.
    """
    widths = list(natural)
    if _over(widths, room) <= 0:
        return widths
    for i, column in enumerate(columns):
        if column.cut == "prefix":
            widths[i] = min(widths[i], max(short_id, len(column.title)))
    for shown in range(len(columns), 0, -1):
        head = _shrink(columns[:shown], widths[:shown], room)
        if head is not None:
            return head + widths[shown:]
    return widths


def _over(widths: Sequence[int], room: int) -> int:
    """How many cells ``widths`` (a separator after each) need beyond ``room``."""
    return sum(width + 1 for width in widths) - room


def _shrink(columns: Sequence[Column], widths: Sequence[int], room: int) -> list[int] | None:
    """``widths`` cut to fit ``room`` as :func:`fit_widths` says, or ``None`` if they cannot."""
    excess = _over(widths, room)
    if excess <= 0:
        return list(widths)
    spare = {
        i: widths[i] - column.width
        for i, column in enumerate(columns)
        if column.most and column.cut != "prefix" and not column.keep and widths[i] > column.width
    }
    total = sum(spare.values())
    if excess > total:
        return None
    cuts = {i: excess * extra // total for i, extra in spare.items()}
    left = excess - sum(cuts.values())
    for i in sorted(spare, key=lambda i: spare[i] - cuts[i], reverse=True)[:left]:
        cuts[i] += 1
    return [width - cuts.get(i, 0) for i, width in enumerate(widths)]


def status_text(code: str, alias: str | None) -> Text:
    """A status as symbol plus short label: readable without colour (the table adds colour)."""
    return Text(f"{status_info(code).symbol} {short_label(code, alias)}")


def _name(value: str | None) -> Text:
    return Text(sanitize_name(value) if value else "-")


def _cell_id(task: Task, context: RowContext) -> Text:
    return _name(task.task_id)


def _cell_simulator(task: Task, context: RowContext) -> Text:
    return _name(task.simulator)


def _cell_status(task: Task, context: RowContext) -> Text:
    text = status_text(context.status, context.status_alias)
    if context.stalled:
        text.append(" " + STALLED, style="bold")
    return text


def _cell_project(task: Task, context: RowContext) -> Text:
    return _name(task.project)


def _cell_submitted(task: Task, context: RowContext) -> Text:
    return Text(fmt.ago(task.create_time, context.now))


def _cell_started(task: Task, context: RowContext) -> Text:
    return Text(fmt.ago(task.start_time, context.now))


def _cell_run(task: Task, context: RowContext) -> Text:
    return Text(fmt.duration(fmt.run_time(task, context.now)))


def _cell_total(task: Task, context: RowContext) -> Text:
    return Text(fmt.duration(fmt.total_time(task, context.now)))


def _cell_machine(task: Task, context: RowContext) -> Text:
    return Text(fmt.machine_label(task) or fmt.MISSING)


def _cell_group(task: Task, context: RowContext) -> Text:
    return _name(task.machine_group_name)


def _cell_queue(task: Task, context: RowContext) -> Text:
    return Text("-" if context.tasks_ahead is None else str(context.tasks_ahead))


def _cell_cost(task: Task, context: RowContext) -> Text:
    amount = task.estimated_computation_cost
    if not amount:
        # Nothing billed (yet, or ever on a local machine): "$0.0000" would read as a price.
        return Text("-")
    return Text(fmt.cost(amount))


def _cell_starts(task: Task, context: RowContext) -> Text:
    return Text(starts_cell(context.start, context.now))


def _cell_ends(task: Task, context: RowContext) -> Text:
    return Text(ends_cell(context.finish, context.now))


_CELLS: dict[str, Callable[[Task, RowContext], Text]] = {
    "id": _cell_id,
    "simulator": _cell_simulator,
    "status": _cell_status,
    "project": _cell_project,
    "submitted": _cell_submitted,
    "started": _cell_started,
    "run": _cell_run,
    "total": _cell_total,
    "machine": _cell_machine,
    "group": _cell_group,
    "queue": _cell_queue,
    "cost": _cell_cost,
    "starts": _cell_starts,
    "ends": _cell_ends,
}


def unknown_columns_message(unknown: Sequence[str]) -> str:
    """What is wrong with the ``unknown`` column names, and what names there are."""
    faults = [f"{sanitize_name(name, 40)!r}{did_you_mean(name, list(COLUMNS))}" for name in unknown]
    return (
        f"columns: unknown {', '.join(faults)}; the columns are {', '.join(COLUMNS)}, "
        f"or {META_PREFIX}KEY for a metadata key (e.g. {META_PREFIX}alpha)"
    )


def render_cell(column: Column, task: Task, context: RowContext) -> Text:
    """The text of ``column`` for ``task``."""
    if column.meta_keys:
        return Text(task_name(task, column.meta_keys) or "-")
    return _CELLS[column.key](task, context)
