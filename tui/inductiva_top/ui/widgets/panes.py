"""The selected task's panes: state timeline, live tail, file tree.

Side by side on wide terminals, as tabs on narrow ones: the container
recomposes when the width crosses :data:`WIDE_AT`. The screen hands each pane
the cursor task (attributes down); panes never query each other.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static, TabbedContent, TabPane

from inductiva_top.api.models import Task, TaskWithStatusHistory
from inductiva_top.monitor.statuses import display_alias, status_info

__all__ = ["WIDE_AT", "FilesPane", "TailPane", "TaskPanes", "TimelinePane"]

WIDE_AT = 110
"""Terminal width from which the panes sit side by side."""


def _clock(moment: datetime | None, tz: tzinfo | None) -> str:
    return moment.astimezone(tz).strftime("%H:%M:%S") if moment else "--:--:--"


class TimelinePane(VerticalScroll):
    """The states the selected task went through, oldest first."""

    BORDER_TITLE = "Timeline"

    tz: tzinfo | None = None
    """Where times are shown (None: the machine's zone); set by :class:`TaskPanes`."""

    def compose(self) -> ComposeResult:
        yield Static(id="timeline-body")

    def show_task(self, task: TaskWithStatusHistory | Task | None) -> None:
        """Show ``task``'s status history (a plain list until the timeline lands)."""
        body = self.query_one("#timeline-body", Static)
        if task is None:
            body.update("")
            return
        history = getattr(task, "status_history", None)
        text = Text()
        if not history:
            info = status_info(task.status)
            text.append(f"{info.symbol} {display_alias(task.status, task.status_alias)}")
        for entry in history or []:
            info = status_info(entry.status)
            text.append(f"{_clock(entry.timestamp, self.tz)} {info.symbol} ")
            text.append(display_alias(entry.status, entry.alias))
            if entry.end_timestamp and entry.timestamp:
                seconds = (entry.end_timestamp - entry.timestamp).total_seconds()
                text.append(f"  {seconds:.1f}s", style="dim")
            text.append("\n")
        text.rstrip()
        body.update(text)


class TailPane(VerticalScroll):
    """The selected task's output lines."""

    BORDER_TITLE = "Output"

    def compose(self) -> ComposeResult:
        yield Static(id="tail-body")

    def show_task(self, task: TaskWithStatusHistory | Task | None) -> None:
        """Follow ``task``; the lines come from the tail source."""
        self.border_subtitle = "stdout.txt" if task is not None else ""


class FilesPane(VerticalScroll):
    """The selected task's files."""

    BORDER_TITLE = "Files"

    def compose(self) -> ComposeResult:
        yield Static(id="files-body")

    def show_task(self, task: TaskWithStatusHistory | Task | None) -> None:
        """List ``task``'s files; the listing comes from the file source."""
        self.border_subtitle = "outputs" if task is not None else ""


class TaskPanes(Widget):
    """The three panes, laid out by the terminal's width."""

    DEFAULT_CSS = """
    TaskPanes { height: 1fr; }
    TaskPanes > Horizontal > * { width: 1fr; }
    """

    wide: reactive[bool] = reactive(True, recompose=True)

    def __init__(self, *, tz: tzinfo | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown: TaskWithStatusHistory | Task | None = None
        self._tz = tz

    def compose(self) -> ComposeResult:
        if self.wide:
            with Horizontal():
                yield TimelinePane(id="pane-timeline")
                yield TailPane(id="pane-tail")
                yield FilesPane(id="pane-files")
        else:
            with TabbedContent():
                with TabPane("Timeline", id="tab-timeline"):
                    yield TimelinePane(id="pane-timeline")
                with TabPane("Output", id="tab-tail"):
                    yield TailPane(id="pane-tail")
                with TabPane("Files", id="tab-files"):
                    yield FilesPane(id="pane-files")

    def on_resize(self) -> None:
        wide = self.app.size.width >= WIDE_AT
        if wide != self.wide:
            self.wide = wide

    async def watch_wide(self) -> None:
        self.call_after_refresh(self._redraw)

    def show_task(self, task: TaskWithStatusHistory | Task | None) -> None:
        """Hand the selected task to every pane."""
        self._shown = task
        self._redraw()

    def _redraw(self) -> None:
        for pane in self.query(TimelinePane):
            pane.tz = self._tz
            pane.show_task(self._shown)
        for tail in self.query(TailPane):
            tail.show_task(self._shown)
        for files in self.query(FilesPane):
            files.show_task(self._shown)
