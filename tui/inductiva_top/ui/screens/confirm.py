"""A confirmation for an action on many tasks: what, how many, a sample; Cancel is the default.

Used by the failures view (kill a group's running siblings, download its
stderr, tag it) and by the bulk kill of a view: the title says the action
and the count, the body a sample of the tasks (``and 37 more``), the note
what follows. An optional field takes one line of input (a ``key=value``
tag), returned on confirming.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from inductiva_top.monitor.sanitize import sanitize_name

__all__ = ["SAMPLE", "ConfirmAction", "sample_lines"]

SAMPLE = 8
"""Tasks named in a confirmation; the rest are counted."""


def sample_lines(names: Sequence[str], shown: int = SAMPLE) -> str:
    """The first ``shown`` names, one a line, then ``and N more``."""
    lines = [sanitize_name(name) for name in names[:shown]]
    if len(names) > shown:
        lines.append(f"and {len(names) - shown} more")
    return "\n".join(lines)


class ConfirmAction(ModalScreen[str | None]):
    """Asks before acting; dismisses with the field's text ("" without one) or None (Cancel)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "cancel", "Cancel", id="confirm.cancel"),
    ]

    def __init__(
        self,
        title: str,
        names: Sequence[str],
        *,
        confirm: str,
        note: str = "",
        danger: bool = False,
        field: str | None = None,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.names = list(names)
        self.confirm = confirm
        self.note = note
        self.danger = danger
        self.field = field
        """The input's initial text; None: no input."""

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog", classes="dialog danger" if self.danger else "dialog"):
            yield Label(Text(self.title_text, style="bold"), classes="dialog-title")
            with VerticalScroll(id="confirm-names"):
                yield Static(Text(sample_lines(self.names)))
            if self.field is not None:
                yield Input(self.field, id="confirm-field")
            if self.note:
                yield Label(Text(self.note), classes="dialog-note")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="confirm-cancel", variant="primary", compact=True)
                yield Button(
                    self.confirm,
                    id="confirm-go",
                    variant="error" if self.danger else "success",
                    compact=True,
                )

    def on_mount(self) -> None:
        # A field is typed in first (Enter confirms what was typed); else Cancel is the default.
        first = "#confirm-field" if self.field is not None else "#confirm-cancel"
        self.query_one(first).focus()

    def _value(self) -> str:
        return self.query_one("#confirm-field", Input).value if self.field is not None else ""

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(self._value() if event.button.id == "confirm-go" else None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(self._value())

    def action_cancel(self) -> None:
        self.dismiss(None)
