"""The kill confirmation: lists the tasks (name and id); Cancel is the default; Esc cancels."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from inductiva_top.monitor.names import labelled

__all__ = ["ConfirmKill"]


class ConfirmKill(ModalScreen[bool]):
    """Asks before killing ``task_ids``; dismisses with True only on Kill.

    ``names``: task id -> its name (:func:`~inductiva_top.monitor.names.task_name`),
    shown with the id beside it.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "cancel", "Cancel", id="kill.cancel"),
    ]

    def __init__(
        self, task_ids: Sequence[str], names: Mapping[str, str | None] | None = None
    ) -> None:
        super().__init__()
        self.task_ids = list(task_ids)
        self.names = dict(names or {})

    def compose(self) -> ComposeResult:
        count = len(self.task_ids)
        noun = "task" if count == 1 else f"{count} tasks"
        with Vertical(id="kill-dialog", classes="dialog"):
            yield Label(Text(f"Kill {noun}?", style="bold"), classes="dialog-title")
            with VerticalScroll(id="kill-ids"):
                lines = (labelled(i, self.names.get(i)) for i in self.task_ids)
                yield Static(Text("\n".join(lines)))
            yield Label(
                "Work in progress is lost; a killed task cannot be resumed.",
                classes="dialog-note",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="kill-cancel", variant="primary", compact=True)
                yield Button(f"Kill {noun}", id="kill-confirm", variant="error", compact=True)

    def on_mount(self) -> None:
        self.query_one("#kill-cancel", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "kill-confirm")

    def action_cancel(self) -> None:
        self.dismiss(False)
