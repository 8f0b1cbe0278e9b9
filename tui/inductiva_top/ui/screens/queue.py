"""The queue view of the cursor task: machine group, tasks ahead and which, time waited,
when it should start (:mod:`~inductiva_top.monitor.foresight`) and why it waits, in words
(:mod:`~inductiva_top.monitor.fleet.why`: from the machine group and the account when the
API describes them, else the estimate's reason).

The view asks for the task's place again every poll interval while it is
open (a waiting task moves up), and is built again at every refresh of the
dashboard (:meth:`QueueScreen.refreshed`): the tasks ahead and those holding a
machine are those of the active list the table beside shows. A question that
fails is asked again at the poll loop's pace
(:class:`~inductiva_top.monitor.retrying.Retrying`); the error shows, in full,
only while it lasts, above the last view it had.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from inductiva_top.api.errors import ApiError
from inductiva_top.api.models import Task
from inductiva_top.monitor import fmt
from inductiva_top.monitor.foresight.estimates import StartEstimate
from inductiva_top.monitor.foresight.wording import starts_sentence
from inductiva_top.monitor.names import DEFAULT_NAME_KEYS, labelled, task_name
from inductiva_top.monitor.retrying import Retrying, waiting_text
from inductiva_top.monitor.sanitize import sanitize_name
from inductiva_top.monitor.statuses import StatusKind, display_alias, status_info
from inductiva_top.monitor.task.queue import QueueView
from inductiva_top.ui.context import ScreenContext
from inductiva_top.ui.widgets.trouble import Trouble

__all__ = ["QueueScreen", "queue_text"]


def queue_text(
    view: QueueView,
    formatter: fmt.Formatter,
    start: StartEstimate | None = None,
    name_keys: Sequence[str] = DEFAULT_NAME_KEYS,
) -> Text:
    """The queue view as plain text; ``start``: the task's start estimate, if waiting.

    Tasks are named as everywhere else (the first of ``name_keys`` present), id beside.
    """
    task = view.task

    def label(other: Task) -> str:
        return labelled(other.task_id, task_name(other, name_keys))

    text = Text()
    text.append("Task            ", style="bold")
    text.append(label(task))
    text.append("\nStatus          ", style="bold")
    symbol = status_info(task.status).symbol
    text.append(f"{symbol} {display_alias(task.status, task.status_alias)}")
    text.append("\nMachine group   ", style="bold")
    text.append(sanitize_name(view.group) if view.group else fmt.MISSING)
    text.append("\nWaited          ", style="bold")
    text.append(fmt.duration(view.waited_seconds))
    text.append("\nTasks ahead     ", style="bold")
    text.append(fmt.MISSING if view.tasks_ahead is None else str(view.tasks_ahead))
    if start is not None:
        text.append("\nStarts          ", style="bold")
        text.append(starts_sentence(start, formatter.now()))
    if view.why:
        text.append("\nWhy it waits    ", style="bold")
        text.append(view.why)
    if status_info(task.status).kind is not StatusKind.WAITING:
        text.append("\n\nThis task is not waiting in a queue.", style="italic")
        return text
    text.append("\n\nAhead in the queue (oldest first):\n", style="bold")
    if not view.ahead:
        text.append("  none that the dashboard can see\n")
    for other in view.ahead:
        text.append(f"  {label(other)}  ")
        text.append(f"{fmt.ago(other.input_submit_time or other.create_time, formatter.now())}\n")
    if view.ahead_partial:
        text.append("  (more are ahead than the active list holds)\n", style="italic")
    text.append("\nHolding a machine of the group now:\n", style="bold")
    if not view.running:
        text.append("  none\n")
    for other in view.running:
        text.append(f"  {label(other)}  {formatter.run_time(other)}\n")
    text.rstrip()
    return text


class QueueScreen(ModalScreen[None]):
    """Shows the :class:`QueueView` ``load()`` gives, asked again every interval; Esc or q closes.

    The context's ``policy`` is the poll loop's (its interval, and its pace after a failure);
    ``rebuild`` builds the view shown again from the dashboard's latest refresh.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close", id="queue.close"),
    ]

    def __init__(
        self,
        context: ScreenContext,
        load: Callable[[], Awaitable[QueueView]],
        *,
        foresee: Callable[[QueueView], StartEstimate | None] | None = None,
        rebuild: Callable[[QueueView], QueueView] | None = None,
    ) -> None:
        super().__init__()
        self.context = context
        self._rebuild = rebuild
        self._load = load
        self._foresee = foresee
        self.view: QueueView | None = None
        """The last view that came (None until one did)."""
        self.trouble = ""
        """Why the view cannot be brought up to date right now (shown while it lasts)."""

    def compose(self) -> ComposeResult:
        with Vertical(id="queue-dialog", classes="dialog"):
            yield Label(Text("Queue position", style="bold"), classes="dialog-title")
            yield Trouble(id="queue-trouble")
            with VerticalScroll():
                yield Static(Text("loading…", style="dim"), id="queue-body")

    def on_mount(self) -> None:
        self._watch()

    @work(exclusive=True, group="queue", exit_on_error=False)
    async def _watch(self) -> None:

        async def shown(view: QueueView) -> bool:
            self._show_trouble("")
            self._show(view)
            return True

        try:
            await Retrying(self.context.policy).repeat(
                self._load, shown, self._waiting, every=self.context.policy.interval
            )
        except ApiError as error:  # asking again cannot help
            self._show_trouble(f"Could not read the queue: {error}")

    def _show(self, view: QueueView) -> None:
        self.view = view
        start = self._foresee(view) if self._foresee is not None else None
        self.query_one("#queue-body", Static).update(
            queue_text(view, self.context.formatter, start, self.context.name_keys)
        )

    def refreshed(self) -> None:
        """The dashboard refreshed: the view is built again from what the table shows now.

        Between two answers of its own the view would otherwise list, beside a
        table that shows a task running, that task still ahead in the queue.
        """
        if self.view is not None and self._rebuild is not None:
            self._show(self._rebuild(self.view))

    def _waiting(self, error: ApiError, seconds_left: float) -> None:
        self._show_trouble(f"Could not read the queue: {waiting_text(error, seconds_left)}")

    def _show_trouble(self, text: str) -> None:
        self.trouble = text
        self.query_one(Trouble).say(text)

    def action_close(self) -> None:
        self.dismiss(None)
