"""A task table (and header) in a bare app with the dashboard's stylesheet, over rows in memory."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

from rich.segment import Segment
from rich.style import Style
from textual.app import App, ComposeResult
from textual.color import Color

from inductiva_top.api.models import Task, TaskPage
from inductiva_top.monitor.rows.window import RowWindow
from inductiva_top.ui.columns import COLUMNS, DEFAULT_COLUMNS, Column, RowContext, render_cell
from inductiva_top.ui.resources import stylesheet
from inductiva_top.ui.widgets.header import StatusHeader
from inductiva_top.ui.widgets.task_table import TableData, TaskTable

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


class TableApp(App[None]):
    """A header over a task table, styled as the dashboard is."""

    CSS_PATH = stylesheet("app.tcss")

    def __init__(
        self, columns: Sequence[Column] | None = None, *, optional: frozenset[str] = frozenset()
    ) -> None:
        super().__init__()
        self.columns = list(columns or (COLUMNS[key] for key in DEFAULT_COLUMNS))
        self.optional = optional

    def compose(self) -> ComposeResult:
        yield StatusHeader("memory", id="header")
        yield TaskTable(self.columns, render_cell, optional=self.optional)

    @property
    def table(self) -> TaskTable:
        return self.query_one(TaskTable)

    def show(self, tasks: Sequence[Task], window: RowWindow | None = None) -> RowWindow:
        """Hand the table ``tasks`` as one page of the view (the same window keeps the view)."""
        window = window or RowWindow(page_size=500)
        window.store(window.query, 1, TaskPage(total_size=len(tasks), tasks=list(tasks)))
        self.table.show(TableData(window, lambda task: RowContext(NOW, task.status, None)))
        return window


def task(n: int, status: str = "success", **fields: object) -> Task:
    """Task ``n``, created ``n`` minutes before :data:`NOW`."""
    return Task.model_validate(
        {
            "task_id": f"task{n:04d}aaaaaaaaaaaaaaaaaaaa"[:25],
            "status": status,
            "project": "p",
            "create_time": (NOW - timedelta(minutes=n)).isoformat(),
            **fields,
        }
    )


def on_screen(app: App[None], segments: list[Segment]) -> list[tuple[str, Color, Color]]:
    """Visible text with its colours as the terminal gets them (after the app's filters)."""
    for line_filter in app._filters:  # ANSI themes to true colour; NO_COLOR's monochrome
        segments = line_filter.apply(segments, Color(0, 0, 0))
    shown = []
    for segment in segments:
        style = segment.style or Style()
        if segment.text.strip() and style.color and style.bgcolor:
            colours = Color.from_rich_color(style.color), Color.from_rich_color(style.bgcolor)
            shown.append((segment.text, *colours))
    return shown
