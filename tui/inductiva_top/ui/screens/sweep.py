"""The sweep table of one project: its runs by the parameters that vary.

Opened with ``S`` from the project board, or from the table when it is
filtered to one project. The parameters whose values differ between runs
(``tasks_info?select=distinct``, else the tasks' metadata, which the info
line then says) are the first columns, then status, compute time, queue
time and cost. Rows can be grouped by one parameter (``b`` cycles through
them; the sweep opens grouped by the first one whose values repeat), a line
per group with its bar and summary (``alpha=0.30  ███╳╳ 4/5 done, 1 failed,
$0.41``); Enter on a group lists its runs, Esc goes back to the groups.
``>``/``<`` sort by the next/previous column (numbers as numbers), ``r``
reverses, ``]``/``[`` move to the next/previous group or run that failed.

Under the table, the output of the run under the cursor (of a group: its
first failed run, else its first), stderr for a failed run and stdout
otherwise (``o`` cycles): from the board to a failed run's error is ``S``,
``]``, Enter. Enter on a run opens its detail screen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.binding import Binding, BindingType
from textual.widgets import Label

from inductiva_top.api.models import Task
from inductiva_top.monitor import fmt
from inductiva_top.monitor.batch.board import Deadlines, board_rows, row_eta_text
from inductiva_top.monitor.batch.feeds import SweepFeed
from inductiva_top.monitor.batch.source import BatchSource
from inductiva_top.monitor.batch.sweep import (
    COMPUTE,
    COST,
    QUEUE,
    STATUS,
    SweepData,
    SweepGroup,
    SweepRow,
    column_title,
    group_key_for,
    group_rows,
    groupable_keys,
    sort_rows,
)
from inductiva_top.monitor.names import task_name
from inductiva_top.monitor.output.tailsource import TailMode
from inductiva_top.monitor.rows.window import TaskQuery
from inductiva_top.monitor.sanitize import sanitize_name
from inductiva_top.monitor.state import count_statuses
from inductiva_top.monitor.statuses import StatusKind, display_alias, status_info
from inductiva_top.ui.context import ScreenContext
from inductiva_top.ui.screens.detail import TaskDetailScreen
from inductiva_top.ui.screens.failures import FailuresScreen
from inductiva_top.ui.screens.sheetoutput import SheetOutputScreen
from inductiva_top.ui.widgets.batchbar import bar_text
from inductiva_top.ui.widgets.header import update_if_changed
from inductiva_top.ui.widgets.sheet import Sheet, SheetColumn

__all__ = ["SweepScreen", "SweepView"]

GROUP_PREFIX = "group:"
"""Sheet keys of group lines (task ids never start so: they are alphanumeric)."""

WIDTHS = {STATUS: 14, COMPUTE: 8, QUEUE: 7, COST: 8}

Entry = SweepGroup | SweepRow


@dataclass(frozen=True)
class SweepView:
    """What the table shows of the sweep: grouped or not, drilled into a group, the sort."""

    group_key: str | None = None
    drilled: str | None = None
    """The label of the group whose runs are listed (None: every group, or ungrouped)."""
    sort: str | None = None
    descending: bool = False

    def entries(self, data: SweepData) -> list[Entry]:
        """The lines: groups, the runs of one group, or every run, in order."""
        rows: Sequence[SweepRow] = data.rows
        if self.sort is not None:
            rows = sort_rows(rows, self.sort, self.descending)
        if self.group_key is None or self.group_key not in data.keys:
            return list(rows)
        descending = self.descending if self.sort == self.group_key else False
        groups = group_rows(rows, self.group_key, descending=descending)
        for group in groups:
            if group.label == self.drilled:
                return list(group.rows)
        return list(groups)


def entry_key(entry: Entry) -> str:
    """The sheet key of a line."""
    return GROUP_PREFIX + entry.label if isinstance(entry, SweepGroup) else entry.task_id


def failed(entry: Entry) -> bool:
    """A group with a failed run, or a failed run."""
    if isinstance(entry, SweepGroup):
        return entry.failed > 0
    return entry.kind is StatusKind.FAILED


def example(entry: Entry) -> SweepRow | None:
    """The run whose output shows for a line: itself, or a group's first failed run."""
    if isinstance(entry, SweepRow):
        return entry
    return next((row for row in entry.rows if failed(row)), entry.rows[0] if entry.rows else None)


class SweepScreen(SheetOutputScreen):
    """One project's runs by parameter, grouped, sorted, with the cursor run's output."""

    feed: SweepFeed

    PREFIX = "sweep"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open", id="sweep.open"),
        Binding("right_square_bracket", "seek_failed(1)", "Next failed", id="sweep.next_failed"),
        Binding("b", "group", "Group by", id="sweep.group"),
        Binding("greater_than_sign", "sort_step(1)", "Sort", id="sweep.sort_next"),
        Binding("escape,q", "back", "Back", id="sweep.back"),
        Binding(
            "left_square_bracket",
            "seek_failed(-1)",
            "Previous failed",
            show=False,
            id="sweep.prev_failed",
        ),
        Binding("less_than_sign", "sort_step(-1)", "Sort back", show=False, id="sweep.sort_prev"),
        Binding("r", "sort_reverse", "Reverse", show=False, id="sweep.sort_reverse"),
        Binding("o", "tail_mode", "Output", show=False, id="sweep.tail_mode"),
        Binding("S", "close", "Table", show=False, id="sweep.close"),
        Binding("T", "failures", "Failures", id="sweep.failures"),
        Binding("f5", "refresh", "Refresh", show=False, id="sweep.refresh"),
    ]

    HELP_SECTIONS: ClassVar[dict[str, tuple[str, ...]]] = {
        "Sweep": (
            "sheet.cursor_down",
            "sheet.cursor_up",
            "sweep.next_failed",
            "sweep.prev_failed",
            "sweep.open",
            "sweep.back",
            "sweep.group",
            "sweep.sort_next",
            "sweep.sort_prev",
            "sweep.sort_reverse",
            "sweep.tail_mode",
            "sweep.failures",
            "sweep.close",
            "sweep.refresh",
        ),
    }

    def __init__(self, context: ScreenContext, source: BatchSource, project: str) -> None:
        super().__init__(context, source)
        self.project = project
        self.feed = SweepFeed(source, project)
        self.view = SweepView()
        self._grouped_once = False
        self._entries: list[Entry] = []
        self._label_width = 0
        self._deadlines = Deadlines()

    def header_counts(self) -> Mapping[str, int]:
        return count_statuses([self.feed.project]) if self.feed.project else {}

    # -- drawing -----------------------------------------------------------------------

    def show_data(self) -> None:
        data = self.feed.data
        if data is not None and not self._grouped_once:
            self._grouped_once = True
            self.view = SweepView(group_key=group_key_for(data))
        self._entries = self.view.entries(data) if data is not None else []
        labels = [len(sanitize_name(e.label)) for e in self._entries if isinstance(e, SweepGroup)]
        self._label_width = max(labels, default=0)
        sheet = self.query_one(Sheet)
        columns = self._columns(data)
        entries = self._entries
        sheet.show(
            columns,
            [entry_key(entry) for entry in entries],
            lambda index: self._line(entries[index], columns),
            empty="loading the runs…" if data is None else "this project has no runs",
            sort=(self.view.sort, self.view.descending),
        )
        self._summary()

    def _columns(self, data: SweepData | None) -> list[SheetColumn]:
        if data is None:
            return []
        columns = []
        for key in data.keys:
            values = [len(sanitize_name(row.parameters.get(key) or "")) for row in data.rows]
            width = max(4, min(24, max([len(key), *values])))
            columns.append(SheetColumn(key, sanitize_name(key).upper()[:width], width))
        columns.append(SheetColumn(STATUS, "STATUS", WIDTHS[STATUS]))
        for key in (COMPUTE, QUEUE, COST):
            columns.append(SheetColumn(key, column_title(key).upper(), WIDTHS[key], "right"))
        return columns

    def _line(self, entry: Entry, columns: list[SheetColumn]) -> Text | list[Text]:
        sheet = self.query_one(Sheet)
        if isinstance(entry, SweepGroup):
            line = Text(f"▸ {sanitize_name(entry.label):<{self._label_width}}  ")
            line.append_text(bar_text(entry.counts, 12, sheet.kind_style))
            line.append(f"  {entry.summary()}")
            return line
        cells = []
        for column in columns:
            if column.key == STATUS:
                code = entry.status
                if code is None:
                    cells.append(Text(fmt.MISSING))
                else:
                    info = status_info(code)
                    cells.append(
                        Text(f"{info.symbol} {display_alias(code)}", sheet.kind_style(info.kind))
                    )
            elif column.key == COMPUTE:
                cells.append(Text(fmt.duration(entry.compute_seconds)))
            elif column.key == QUEUE:
                cells.append(Text(fmt.duration(entry.queue_seconds)))
            elif column.key == COST:
                cells.append(Text(fmt.cost(entry.cost)))
            else:
                cells.append(Text(sanitize_name(entry.parameters.get(column.key) or fmt.MISSING)))
        return cells

    def _summary(self) -> None:
        project = self.feed.project
        summary = Text(sanitize_name(self.project), style="bold")
        if project is not None:
            row = board_rows([project], self.context.formatter.now(), deadlines=self._deadlines)[0]
            summary.append("  ")
            summary.append_text(bar_text(row.counts, 16, self.query_one(Sheet).kind_style))
            summary.append(f"  {fmt.count(row.counts.done)}/{fmt.count(row.total)} done")
            if row.counts[StatusKind.FAILED]:
                summary.append(f", {fmt.count(row.counts[StatusKind.FAILED])} failed")
            if row.success_rate is not None:
                summary.append(f" · {row.success_rate * 100:.0f}% ok")
            summary.append(f" · {fmt.cost(row.cost)} · ETA {row_eta_text(row)}")
        update_if_changed(self.query_one("#sweep-summary", Label), summary)
        data = self.feed.data
        info = Text()
        if data is not None:
            view = self.view
            info.append(f"{fmt.count(len(data.rows))} runs")
            if view.drilled is not None:
                info = Text(f"{sanitize_name(view.drilled)}: {fmt.count(len(self._entries))} of ")
                info.append(f"{fmt.count(len(data.rows))} runs (Esc: all groups)")
            elif view.group_key is not None:
                info.append(f" · grouped by {sanitize_name(view.group_key)} (b)")
            if view.sort is not None:
                arrow = "▼" if view.descending else "▲"
                info.append(f" · sorted by {sanitize_name(column_title(view.sort))} {arrow}")
            if not data.keys:
                info.append(" · no parameter varies between runs")
            if self.feed.note:
                info.append(f" · {self.feed.note}")
        update_if_changed(self.query_one("#sweep-info", Label), info)

    # -- the cursor's output -------------------------------------------------------------

    def _entry(self, key: str | None) -> Entry | None:
        return next((e for e in self._entries if entry_key(e) == key), None)

    @on(Sheet.CursorMoved)
    def _cursor_moved(self, event: Sheet.CursorMoved) -> None:
        entry = self._entry(event.key)
        run = example(entry) if entry is not None else None
        if run is None:
            return
        parameters = {k: v for k, v in run.parameters.items() if v is not None}
        name = task_name(parameters, self.context.name_keys) or sanitize_name(run.task_id)
        if isinstance(entry, SweepGroup):
            which = "its first failed run" if failed(run) else "its first run"
            name = f"{name} ({which})"
        self.show_output(run.task_id, name)

    def output_mode(self, task: Task) -> TailMode:
        """A failed run's stderr, another's stdout."""
        failed_run = status_info(task.status).kind is StatusKind.FAILED
        return TailMode.STDERR if failed_run else TailMode.STDOUT

    # -- keys ---------------------------------------------------------------------------

    def _set_view(self, view: SweepView, cursor: str | None = None) -> None:
        self.view = view
        self.show_data()
        if cursor is not None:
            self.query_one(Sheet).move_to_key(cursor)

    def action_open(self) -> None:
        """Enter: a group lists its runs; a run opens its detail screen."""
        sheet = self.query_one(Sheet)
        entry = self._entry(sheet.cursor_key)
        if isinstance(entry, SweepGroup):
            first = example(entry)
            self._set_view(
                SweepView(entry.key, entry.label, self.view.sort, self.view.descending),
                first.task_id if first is not None else None,
            )
        elif isinstance(entry, SweepRow):
            self.app.push_screen(TaskDetailScreen(self.context, entry.task_id))

    def action_back(self) -> None:
        """Esc: from a group's runs back to the groups; else back to where the sweep opened."""
        view = self.view
        if view.drilled is not None:
            self._set_view(
                SweepView(view.group_key, None, view.sort, view.descending),
                GROUP_PREFIX + view.drilled,
            )
        else:
            self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)

    def action_failures(self) -> None:
        """``T``: the project's failed runs, grouped by what went wrong."""
        self.app.push_screen(
            FailuresScreen(
                self.context,
                self.source,
                TaskQuery(project=self.project),
                scope=f"project {self.project}",
            )
        )

    def action_group(self) -> None:
        """``b``: group by the next parameter, then none."""
        data = self.feed.data
        if data is None:
            return
        choices: list[str | None] = [*groupable_keys(data), None]
        current = self.view.group_key
        index = choices.index(current) if current in choices else -1
        following = choices[(index + 1) % len(choices)]
        self._set_view(SweepView(following, None, self.view.sort, self.view.descending))

    def action_sort_step(self, step: int) -> None:
        data = self.feed.data
        if data is None:
            return
        columns = list(data.columns)
        current = self.view.sort
        index = columns.index(current) if current in columns else (-1 if step > 0 else 0)
        column = columns[(index + step) % len(columns)]
        self._sort_by(column)

    def _sort_by(self, column: str) -> None:
        view = self.view
        descending = not view.descending if view.sort == column else False
        self._set_view(
            SweepView(view.group_key, view.drilled, column, descending),
            self.query_one(Sheet).cursor_key,
        )

    @on(Sheet.SortRequested)
    def _sort_requested(self, event: Sheet.SortRequested) -> None:
        self._sort_by(event.column)

    def action_sort_reverse(self) -> None:
        view = self.view
        if view.sort is not None:
            self._sort_by(view.sort)

    def action_seek_failed(self, step: int) -> None:
        """``]``/``[``: the cursor to the next/previous failed group or run."""
        sheet = self.query_one(Sheet)
        entries = self._entries
        if step > 0:
            indexes = range(sheet.cursor + 1, len(entries))
        else:
            indexes = range(sheet.cursor - 1, -1, -1)
        for index in indexes:
            if failed(entries[index]):
                sheet.move_to(index)
                return
        where = "below" if step > 0 else "above"
        self.notify(f"Nothing failed {where}.", timeout=3, markup=False)

    def action_refresh(self) -> None:
        self.feed.reload_rows()
        super().action_refresh()
