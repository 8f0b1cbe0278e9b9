"""The project board (``P`` from the table): one row per project, busiest first.

A row: the project, a stacked bar of its tasks (succeeded, failed, killed,
running, waiting: each with its own glyph, named in the legend line, so it
reads without colour), done over total, running, waiting and failed counts
(running and waiting on wide terminals), success rate, cost so far, the
finished tasks' time and the ETA to finish (:mod:`~inductiva_top.monitor.batch.board`).

One ``GET /projects`` per refresh, at the dashboard's refresh interval, with
the dashboard's stale and offline handling (:class:`~inductiva_top.ui.polling.PolledScreen`).
Enter opens the table filtered to the project under the cursor (the screen
is dismissed with its name); ``S`` opens its sweep table; Esc or ``P`` goes
back to the table as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Label

from inductiva_top.monitor import fmt
from inductiva_top.monitor.batch.board import ProjectRow, row_eta_text
from inductiva_top.monitor.batch.feeds import BoardFeed
from inductiva_top.monitor.batch.source import BatchSource
from inductiva_top.monitor.foresight.estimates import Span
from inductiva_top.monitor.rows.window import TaskQuery
from inductiva_top.monitor.sanitize import sanitize_name
from inductiva_top.monitor.statuses import StatusKind
from inductiva_top.ui.context import ScreenContext
from inductiva_top.ui.polling import PolledScreen
from inductiva_top.ui.screens.failures import FailuresScreen
from inductiva_top.ui.screens.sweep import SweepScreen
from inductiva_top.ui.widgets.batchbar import bar_text, legend_text
from inductiva_top.ui.widgets.footer import KeysFooter
from inductiva_top.ui.widgets.header import StatusHeader, update_if_changed
from inductiva_top.ui.widgets.sheet import Sheet, SheetColumn

__all__ = ["BoardScreen", "board_columns"]

WIDE_AT = 100
"""From this width the board has running and waiting columns besides the bar."""

BAR_MIN, BAR_MAX = 12, 30


def _percent(rate: float | None) -> str:
    return fmt.MISSING if rate is None else f"{rate * 100:.0f}%"


def _time(seconds: float | None) -> str:
    return fmt.MISSING if seconds is None else fmt.compact_duration(seconds)


def _done(row: ProjectRow) -> str:
    return f"{fmt.count(row.counts.done)}/{fmt.count(row.total)}"


def board_columns(rows: list[ProjectRow], width: int) -> list[SheetColumn]:
    """The board's columns at ``width`` cells: the project name and the bar share what is left."""

    def widest(values: list[str], title: str, least: int, most: int) -> int:
        return max(least, min(most, max([len(title), *map(len, values)])))

    wide = width >= WIDE_AT
    fixed = [
        SheetColumn("done", "DONE", widest([_done(r) for r in rows], "DONE", 5, 13), "right"),
        *(
            [SheetColumn("running", "RUN", 4, "right"), SheetColumn("waiting", "WAIT", 5, "right")]
            if wide
            else []
        ),
        SheetColumn("failed", "FAIL", 4, "right"),
        SheetColumn("success", "OK%", 4, "right"),
        SheetColumn("cost", "COST", widest([fmt.cost(r.cost) for r in rows], "COST", 7, 10),
                    "right"),
        SheetColumn("time", "TIME", widest([_time(r.time_seconds) for r in rows], "TIME", 5, 8),
                    "right"),
        SheetColumn("eta", "ETA", widest([row_eta_text(r) for r in rows], "ETA", 7, 15)),
    ]  # fmt: skip
    left = width - 3 - sum(column.width + 1 for column in fixed) - 2  # gutter, gaps, scrollbar
    names = widest([sanitize_name(r.name) for r in rows], "PROJECT", 10, 28)
    name_width = max(10, min(names, left - BAR_MIN - 1))
    bar_width = max(BAR_MIN, min(BAR_MAX, left - name_width - 1))
    return [
        SheetColumn("project", "PROJECT", name_width),
        SheetColumn("progress", "PROGRESS", bar_width),
        *fixed,
    ]


class BoardScreen(PolledScreen[str | None]):
    """Every project's progress; dismissed with a project's name (Enter) or None."""

    feed: BoardFeed

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open_table", "Table", id="board.open_table"),
        Binding("S", "sweep", "Sweep", id="board.sweep"),
        Binding("T", "failures", "Failures", id="board.failures"),
        Binding("escape,P,q", "close", "Back", id="board.close"),
        Binding("f5", "refresh", "Refresh", show=False, id="board.refresh"),
    ]

    HELP_SECTIONS: ClassVar[dict[str, tuple[str, ...]]] = {
        "Projects": (
            "sheet.cursor_down",
            "sheet.cursor_up",
            "sheet.first",
            "sheet.last",
            "board.open_table",
            "board.sweep",
            "board.failures",
            "board.close",
            "board.refresh",
        ),
    }

    def __init__(
        self,
        context: ScreenContext,
        source: BatchSource,
        *,
        current: str | None = None,
        running_left: Callable[[datetime], Mapping[str, Sequence[Span]]] | None = None,
    ) -> None:
        super().__init__(context)
        self.source = source
        """The context's source, known to list projects' runs."""
        self.feed = BoardFeed(source, context.formatter.now, running_left)
        self.current = current
        """The project the table is filtered to: the cursor starts on it."""

    def compose(self) -> ComposeResult:
        yield StatusHeader(self.context.api_label, id="header")
        yield Label("", id="board-legend")
        yield Sheet(id="board")
        yield KeysFooter()

    def on_mount(self) -> None:
        sheet = self.query_one(Sheet)
        sheet.focus()
        self.query_one("#board-legend", Label).update(legend_text(sheet.kind_style))
        self.show_data()

    def header_counts(self) -> Mapping[str, int]:
        return self.feed.counts

    def on_resize(self) -> None:
        self.show_data()

    def show_data(self) -> None:
        sheet = self.query_one(Sheet)
        rows = self.feed.rows
        columns = board_columns(rows, self.size.width or 80)
        empty = "loading projects…" if self.feed.projects is None else "no projects yet"
        if self.current is not None and sheet.cursor_key is None:
            sheet.cursor_key = self.current  # the cursor starts on the table's project
        sheet.show(
            columns,
            [row.name for row in rows],
            lambda index: self._cells(rows[index], columns),
            empty=empty,
        )
        legend = legend_text(sheet.kind_style)
        if self.feed.projects is not None:
            count = "the 100 newest projects" if self.feed.truncated else f"{len(rows)} projects"
            legend = Text.assemble(f"{count}, busiest first   ", legend)
        update_if_changed(self.query_one("#board-legend", Label), legend)

    def _cells(self, row: ProjectRow, columns: list[SheetColumn]) -> list[Text]:
        style = self.query_one(Sheet).kind_style
        failed = row.counts[StatusKind.FAILED]
        values: dict[str, Text] = {
            "project": Text(sanitize_name(row.name)),
            "done": Text(_done(row)),
            "running": Text(fmt.count(row.counts[StatusKind.RUNNING])),
            "waiting": Text(fmt.count(row.counts[StatusKind.WAITING])),
            "failed": Text(fmt.count(failed), style(StatusKind.FAILED) if failed else ""),
            "success": Text(_percent(row.success_rate)),
            "cost": Text(fmt.cost(row.cost)),
            "time": Text(_time(row.time_seconds)),
            "eta": Text(row_eta_text(row)),
        }
        cells = []
        for column in columns:
            if column.key == "progress":
                cells.append(bar_text(row.counts, column.width, style))
            else:
                cells.append(values[column.key])
        return cells

    # -- keys -----------------------------------------------------------------------

    @on(Sheet.Opened)
    def _opened(self, event: Sheet.Opened) -> None:
        self.dismiss(event.key)

    def action_open_table(self) -> None:
        """Enter: the table, filtered to the project under the cursor."""
        key = self.query_one(Sheet).cursor_key
        if key is not None:
            self.dismiss(key)

    def action_sweep(self) -> None:
        """``S``: the sweep table of the project under the cursor."""
        key = self.query_one(Sheet).cursor_key
        if key is None:
            return
        self.app.push_screen(SweepScreen(self.context, self.source, key))

    def action_failures(self) -> None:
        """``T``: the failed tasks of the project under the cursor, grouped by what went wrong."""
        key = self.query_one(Sheet).cursor_key
        if key is None:
            return
        self.app.push_screen(
            FailuresScreen(
                self.context, self.source, TaskQuery(project=key), scope=f"project {key}"
            )
        )

    def action_close(self) -> None:
        self.dismiss(None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if (
            action in {"open_table", "sweep", "failures"}
            and self.query_one(Sheet).cursor_key is None
        ):
            return None
        return True
