"""The selected task's panes: state timeline, live tail, file tree.

Side by side on wide terminals, as tabs on narrow ones: the container
recomposes when the width crosses :data:`WIDE_AT`. The screen hands each pane
the cursor task (attributes down); panes never query each other.
"""

from __future__ import annotations

from datetime import tzinfo

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import TabbedContent, TabPane

from inductiva_top.api.models import Task, TaskWithStatusHistory
from inductiva_top.monitor.fmt import Formatter
from inductiva_top.ui.services import PaneServices
from inductiva_top.ui.widgets.files import FilesPanel
from inductiva_top.ui.widgets.tail import TailPanel
from inductiva_top.ui.widgets.timeline import TimelineView

__all__ = ["WIDE_AT", "FilesPane", "TailPane", "TaskPanes", "TimelinePane"]

WIDE_AT = 110
"""Terminal width from which the panes sit side by side."""


class TimelinePane(VerticalScroll):
    """The states the selected task went through, oldest first."""

    BORDER_TITLE = "Timeline"

    def __init__(self, formatter: Formatter, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.formatter = formatter

    def compose(self) -> ComposeResult:
        yield TimelineView(self.formatter, id="timeline-body")

    def show_task(self, task: TaskWithStatusHistory | Task | None) -> None:
        """Draw ``task``'s status history as bars on a time axis."""
        # Not composed yet (the layout is being rebuilt): the rebuild's redraw shows it.
        for view in self.query(TimelineView):
            view.show_task(task)


class TailPane(Vertical):
    """The selected task's output lines."""

    BORDER_TITLE = "Output"

    def __init__(self, services: PaneServices | None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.services = services

    def compose(self) -> ComposeResult:
        yield TailPanel(self.services, id="tail-body")

    def show_task(self, task: TaskWithStatusHistory | Task | None) -> None:
        """Follow ``task``'s output (live, or from its archive once finished)."""
        for panel in self.query(TailPanel):  # none while the layout is rebuilt
            panel.show_task(task)
            self.border_subtitle = panel.mode.label if task is not None else ""


class FilesPane(Vertical):
    """The selected task's files."""

    BORDER_TITLE = "Files"

    def __init__(self, services: PaneServices | None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.services = services

    def compose(self) -> ComposeResult:
        yield FilesPanel(self.services, id="files-body")

    def show_task(self, task: TaskWithStatusHistory | Task | None) -> None:
        """List ``task``'s files (its outputs, or its live work dir while it runs)."""
        for panel in self.query(FilesPanel):  # none while the layout is rebuilt
            panel.show_task(task)


class TaskPanes(Widget):
    """The three panes, laid out by the terminal's width."""

    DEFAULT_CSS = """
    TaskPanes { height: 1fr; }
    TaskPanes > Horizontal > * { width: 1fr; }
    """

    wide: reactive[bool] = reactive(True, recompose=True)

    def __init__(
        self,
        *,
        tz: tzinfo | None = None,
        services: PaneServices | None = None,
        formatter: Formatter | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self._shown: TaskWithStatusHistory | Task | None = None
        self._tz = tz
        self.services = services
        self.formatter = formatter or Formatter(tz=tz)

    def compose(self) -> ComposeResult:
        if self.wide:
            with Horizontal():
                yield TimelinePane(self.formatter, id="pane-timeline")
                yield TailPane(self.services, id="pane-tail")
                yield FilesPane(self.services, id="pane-files")
        else:
            with TabbedContent():
                with TabPane("Timeline", id="tab-timeline"):
                    yield TimelinePane(self.formatter, id="pane-timeline")
                with TabPane("Output", id="tab-tail"):
                    yield TailPane(self.services, id="pane-tail")
                with TabPane("Files", id="tab-files"):
                    yield FilesPane(self.services, id="pane-files")

    def on_resize(self) -> None:
        wide = self.app.size.width >= WIDE_AT
        if wide != self.wide:
            self.wide = wide

    async def watch_wide(self) -> None:
        self.call_after_refresh(self._redraw)

    def show_task(self, task: TaskWithStatusHistory | Task | None) -> None:
        """Hand the selected task to every pane (nothing to do if it has not changed)."""
        if task == self._shown:
            return
        self._shown = task
        self._redraw()

    def _redraw(self) -> None:
        for pane in self.query(TimelinePane):
            pane.show_task(self._shown)
        for tail in self.query(TailPane):
            tail.show_task(self._shown)
        for files in self.query(FilesPane):
            files.show_task(self._shown)
