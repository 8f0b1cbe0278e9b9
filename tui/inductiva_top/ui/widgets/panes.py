"""The selected task's panes: state timeline, live tail, file tree.

Side by side on wide terminals (the output twice as wide as the others: a
solver's lines are long), one at a time under a tab strip on narrow ones.
The layout switches with a CSS class (``-narrow``) when the width crosses
:data:`WIDE_AT`, never by rebuilding the panes: what they hold (a followed
stream, a search, marks, the output mode) survives a resize, and zooming
one to the whole screen (:meth:`TaskPanes.zoom`, Textual's maximize) too.

Attributes down: the screen calls :meth:`TaskPanes.show_task`, and each pane's
``selected`` is bound to :attr:`TaskPanes.selected` (``data_bind``); panes
never query each other.
"""

from __future__ import annotations

from datetime import tzinfo

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Tab, Tabs

from inductiva_top.api.models import Task, TaskWithStatusHistory
from inductiva_top.monitor.fmt import Formatter
from inductiva_top.monitor.foresight.tracker import Foresight
from inductiva_top.ui.services import PaneServices
from inductiva_top.ui.widgets.files import FilesPanel, FileTree
from inductiva_top.ui.widgets.tail import TailPanel
from inductiva_top.ui.widgets.tailview import TailView
from inductiva_top.ui.widgets.timeline import TimelineView
from inductiva_top.ui.widgets.usage import UsageLine

__all__ = ["WIDE_AT", "FilesPane", "TailPane", "TaskPanes", "TimelinePane"]

WIDE_AT = 110
"""Terminal width from which the panes sit side by side."""


class TimelinePane(VerticalScroll):
    """The states the selected task went through, oldest first."""

    BORDER_TITLE = "Timeline"
    ALLOW_MAXIMIZE = True


class TailPane(Vertical):
    """The selected task's output lines; its subtitle names the files shown."""

    BORDER_TITLE = "Output"
    ALLOW_MAXIMIZE = True

    @on(TailPanel.ModeShown)
    def _mode_shown(self, event: TailPanel.ModeShown) -> None:
        if event.label != self.border_subtitle:  # setting it redraws the whole border
            self.border_subtitle = event.label


class FilesPane(Vertical):
    """The selected task's files."""

    BORDER_TITLE = "Files"
    ALLOW_MAXIMIZE = True


class TaskPanes(Widget):
    """The three panes, laid out by the terminal's width.

    Narrow, the tab strip picks the pane on show (its keys as Textual's
    ``Tabs``: left and right while it has focus).
    """

    DEFAULT_CSS = """
    TaskPanes { height: 1fr; }
    TaskPanes > Tabs { display: none; }
    TaskPanes > #panes-row { height: 1fr; }
    TaskPanes > #panes-row > * { width: 1fr; }
    TaskPanes > #panes-row > TailPane { width: 2fr; }
    TaskPanes > #panes-row > .-maximized { width: 1fr; }
    TaskPanes.-narrow > Tabs { display: block; }
    TaskPanes.-narrow > #panes-row > * { display: none; }
    TaskPanes.-narrow > #panes-row > .-current { display: block; }
    """

    wide: reactive[bool] = reactive(True)
    selected: reactive[TaskWithStatusHistory | Task | None] = reactive(None, repaint=False)
    """The cursor task, bound into every pane. Set without a repaint:
    that would redraw the whole pane, borders and all, at every poll."""

    def __init__(
        self,
        *,
        tz: tzinfo | None = None,
        services: PaneServices | None = None,
        formatter: Formatter | None = None,
        foresight: Foresight | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.services = services
        self.foresight = foresight
        """What is foreseen of the tasks (the timeline's finish estimate, resources)."""
        self.formatter = formatter or Formatter(tz=tz)
        """Formats the timeline's times (``tz`` only sets the default one's zone)."""

    def compose(self) -> ComposeResult:
        yield Tabs(
            Tab("Timeline", id="tab-timeline"),
            Tab("Output", id="tab-tail"),
            Tab("Files", id="tab-files"),
        )
        with Horizontal(id="panes-row"):
            with TimelinePane(id="pane-timeline", classes="-current"):
                services = self.services
                yield UsageLine(
                    services.live if services is not None else None,
                    self.foresight,
                    self.formatter,
                    policy=services.policy if services is not None else None,
                    id="timeline-usage",
                ).data_bind(TaskPanes.selected)
                yield TimelineView(
                    self.formatter, foresight=self.foresight, id="timeline-body"
                ).data_bind(TaskPanes.selected)
            with TailPane(id="pane-tail"):
                yield TailPanel(self.services, id="tail-body").data_bind(TaskPanes.selected)
            with FilesPane(id="pane-files"):
                yield FilesPanel(self.services, id="files-body").data_bind(TaskPanes.selected)

    def on_resize(self) -> None:
        self.wide = self.app.size.width >= WIDE_AT

    def watch_wide(self, wide: bool) -> None:
        self.set_class(not wide, "-narrow")

    @on(Tabs.TabActivated)
    def _tab_activated(self, event: Tabs.TabActivated) -> None:
        event.stop()
        current = (event.tab.id or "").replace("tab-", "pane-", 1)
        for pane in self.query_one("#panes-row").children:
            pane.set_class(pane.id == current, "-current")

    def pane_of(self, focused: Widget | None) -> Widget:
        """The pane to zoom: the one holding focus, else the one on show, else the output."""
        panes = list(self.query_one("#panes-row").children)
        if focused is not None:
            for pane in panes:
                if focused is pane or pane in focused.ancestors:
                    return pane
        if not self.wide:
            for pane in panes:
                if pane.has_class("-current"):
                    return pane
        return self.query_one(TailPane)

    def zoom(self, pane: Widget) -> None:
        """Fill the screen with ``pane`` and give it the focus (its keys then work)."""
        if self.screen.maximize(pane, container=False):
            focus: Widget = pane
            if isinstance(pane, TailPane):
                focus = pane.query_one(TailView)
            elif isinstance(pane, FilesPane):
                focus = pane.query_one(FileTree)
            focus.focus()

    def show_task(self, task: TaskWithStatusHistory | Task | None) -> None:
        """Hand the cursor task to every pane (nothing happens if it has not changed)."""
        self.selected = task
