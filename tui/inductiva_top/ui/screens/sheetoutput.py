"""What the sweep table and the failures view share: a sheet over the output of its cursor's task.

A :class:`SheetOutputScreen` is a :class:`~inductiva_top.ui.polling.PolledScreen`
laid out as the header, a summary line, an info line, a
:class:`~inductiva_top.ui.widgets.sheet.Sheet` and, below, a tail pane of the
task the cursor points at (:meth:`SheetOutputScreen.show_output`): the task
is fetched when the cursor moves to another one, a newer move cancelling the
fetch, and its output shown in the mode :meth:`SheetOutputScreen.output_mode`
picks (``o`` cycles). Widget ids start with the screen's :attr:`PREFIX`.
"""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label

from inductiva_top.api.errors import ApiError
from inductiva_top.api.models import Task
from inductiva_top.monitor.batch.source import BatchSource
from inductiva_top.monitor.output.tailsource import TailMode
from inductiva_top.ui.context import ScreenContext
from inductiva_top.ui.polling import PolledScreen
from inductiva_top.ui.widgets.footer import KeysFooter
from inductiva_top.ui.widgets.header import StatusHeader
from inductiva_top.ui.widgets.sheet import Sheet
from inductiva_top.ui.widgets.tail import TailPanel

__all__ = ["SheetOutputScreen"]


class SheetOutputScreen(PolledScreen[None]):
    """A polled sheet of tasks (or groups of them) over the output of the cursor's task."""

    PREFIX: ClassVar[str] = "sheet"
    """The start of the widgets' ids: ``<PREFIX>-summary``, ``-info``, ``-output``."""

    OUTPUT_TITLE: ClassVar[str] = "Output"

    DEFAULT_CSS = """
    SheetOutputScreen .sheet-output { height: 40%; min-height: 6; border: round $primary 40%; }
    SheetOutputScreen .sheet-output:focus-within { border: round $primary; }
    SheetOutputScreen .sheet-info { color: $text-muted; }
    SheetOutputScreen .sheet-line { width: 100%; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def __init__(self, context: ScreenContext, source: BatchSource) -> None:
        super().__init__(context)
        self.source = source
        """The context's source, known to list projects' runs."""
        self._shown_task: str | None = None

    def compose(self) -> ComposeResult:
        prefix = self.PREFIX
        yield StatusHeader(self.context.api_label, id="header")
        yield Label("", id=f"{prefix}-summary", classes="sheet-line")
        yield Label("", id=f"{prefix}-info", classes="sheet-line sheet-info")
        yield Sheet(id=prefix)
        with Vertical(id=f"{prefix}-output", classes="sheet-output"):
            yield TailPanel(self.context.services, mode=TailMode.STDERR, id=f"{prefix}-tail")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one(f"#{self.PREFIX}-output").border_title = self.OUTPUT_TITLE
        self.query_one(Sheet).focus()
        self.show_data()

    def output_mode(self, task: Task) -> TailMode:
        """What the pane shows of ``task`` when the cursor reaches it."""
        return TailMode.STDERR

    def show_output(self, task_id: str, what: str) -> None:
        """The pane shows ``task_id``'s output, titled ``what``; fetched if it is another task."""
        self.query_one(f"#{self.PREFIX}-output").border_title = f"{self.OUTPUT_TITLE} · {what}"
        if task_id != self._shown_task:
            self._shown_task = task_id
            self._load_output(task_id)

    @work(exclusive=True, group="selected", exit_on_error=False)
    async def _load_output(self, task_id: str) -> None:
        """Fetch the cursor's task for its output (a newer cursor move cancels this)."""
        try:
            task = await self.source.get_task(task_id)
        except ApiError:
            return  # the poll loop reports API trouble
        panel = self.query_one(TailPanel)
        panel.mode = self.output_mode(task)
        panel.selected = task

    def action_tail_mode(self) -> None:
        """``o``: the output pane cycles stdout, stderr, both."""
        self.query_one(TailPanel).action_cycle_mode()
