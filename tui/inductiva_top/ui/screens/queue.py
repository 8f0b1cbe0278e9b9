"""The queue view of the cursor task: machine group, tasks ahead and which, time waited."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from inductiva_top.monitor import fmt
from inductiva_top.monitor.queue import QueueView
from inductiva_top.monitor.sanitize import sanitize_name
from inductiva_top.monitor.statuses import StatusKind, display_alias, status_info

__all__ = ["QueueScreen", "queue_text"]


def queue_text(view: QueueView, formatter: fmt.Formatter) -> Text:
    """The queue view as plain text."""
    task = view.task
    text = Text()
    text.append("Task            ", style="bold")
    text.append(sanitize_name(task.task_id))
    text.append("\nStatus          ", style="bold")
    symbol = status_info(task.status).symbol
    text.append(f"{symbol} {display_alias(task.status, task.status_alias)}")
    text.append("\nMachine group   ", style="bold")
    text.append(sanitize_name(view.group) if view.group else fmt.MISSING)
    text.append("\nWaited          ", style="bold")
    text.append(fmt.duration(view.waited_seconds))
    text.append("\nTasks ahead     ", style="bold")
    text.append(fmt.MISSING if view.tasks_ahead is None else str(view.tasks_ahead))
    if status_info(task.status).kind is not StatusKind.WAITING:
        text.append("\n\nThis task is not waiting in a queue.", style="italic")
        return text
    text.append("\n\nAhead in the queue (oldest first):\n", style="bold")
    if not view.ahead:
        text.append("  none that the dashboard can see\n")
    for other in view.ahead:
        text.append(f"  {sanitize_name(other.task_id)}  ")
        text.append(f"{fmt.ago(other.input_submit_time or other.create_time, formatter.now())}\n")
    if view.ahead_partial:
        text.append("  (more are ahead than the active list holds)\n", style="italic")
    text.append("\nHolding a machine of the group now:\n", style="bold")
    if not view.running:
        text.append("  none\n")
    for other in view.running:
        text.append(f"  {sanitize_name(other.task_id)}  {formatter.run_time(other)}\n")
    text.rstrip()
    return text


class QueueScreen(ModalScreen[None]):
    """Shows a :class:`QueueView`; Esc or q closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close", id="queue.close"),
    ]

    def __init__(self, view: QueueView, formatter: fmt.Formatter) -> None:
        super().__init__()
        self.view = view
        self._formatter = formatter

    def compose(self) -> ComposeResult:
        with Vertical(id="queue-dialog", classes="dialog"):
            yield Label(Text("Queue position", style="bold"), classes="dialog-title")
            with VerticalScroll():
                yield Static(queue_text(self.view, self._formatter))

    def action_close(self) -> None:
        self.dismiss(None)
