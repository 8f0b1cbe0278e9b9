"""The metadata form of the detail screen: add, change or remove one key of a task.

It lists the task's metadata, takes a key and a value, and sets the key
(``Set``, or Enter in the value: merged into the rest) or removes it
(``Remove``). The API's answer, or its refusal, shows in the form, which
stays open for the next key; Esc closes it. The detail screen reloads after;
the table's NAME follows at its next refresh.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from inductiva_top.api.errors import ApiError
from inductiva_top.monitor.sanitize import sanitize_name
from inductiva_top.monitor.task.metadata import MetadataSource, change_metadata

__all__ = ["MetadataForm"]


def _listing(metadata: Mapping[str, str]) -> Text:
    if not metadata:
        return Text("no metadata yet", style="italic")
    return Text(
        "\n".join(f"{sanitize_name(k)} = {sanitize_name(v)}" for k, v in sorted(metadata.items()))
    )


class MetadataForm(ModalScreen[bool]):
    """Edits ``task_id``'s metadata; dismisses with whether anything changed."""

    DEFAULT_CSS = """
    #metadata-dialog { width: 72; max-width: 100%; height: auto; max-height: 100%; }
    #metadata-fields { height: auto; }
    #metadata-key { width: 1fr; }
    #metadata-value { width: 2fr; }
    #metadata-list { height: auto; max-height: 12; }
    #metadata-error { color: $error; height: auto; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close", id="metadata.close"),
    ]

    def __init__(
        self, source: MetadataSource, task_id: str, label: str, metadata: Mapping[str, str]
    ) -> None:
        super().__init__()
        self.source = source
        self.task_id = task_id
        self.label = label
        """The task as the dialog names it (name and id)."""
        self.metadata = dict(metadata)
        self.changed = False

    def compose(self) -> ComposeResult:
        with Vertical(id="metadata-dialog", classes="dialog"):
            yield Label(Text(f"Metadata of {self.label}", style="bold"), classes="dialog-title")
            yield Static(_listing(self.metadata), id="metadata-list")
            with Horizontal(id="metadata-fields"):
                yield Input(placeholder="key", id="metadata-key")
                yield Input(placeholder="value", id="metadata-value")
            yield Label(
                "Set merges the key into the rest; Remove rewrites the rest without it.",
                classes="dialog-note",
            )
            yield Label("", id="metadata-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Close", id="metadata-close", compact=True)
                yield Button("Remove", id="metadata-remove", variant="error", compact=True)
                yield Button("Set", id="metadata-set", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#metadata-key", Input).focus()

    @on(Input.Submitted, "#metadata-key")
    def _key_done(self) -> None:
        key = self.query_one("#metadata-key", Input).value.strip()
        value = self.query_one("#metadata-value", Input)
        if key in self.metadata and not value.value:
            value.value = self.metadata[key]  # change: start from the value it has
        value.focus()

    @on(Input.Submitted, "#metadata-value")
    @on(Button.Pressed, "#metadata-set")
    def _set(self) -> None:
        self._change(self.query_one("#metadata-value", Input).value.strip())

    @on(Button.Pressed, "#metadata-remove")
    def _remove(self) -> None:
        self._change(None)

    @on(Button.Pressed, "#metadata-close")
    def action_close(self) -> None:
        self.workers.cancel_group(self, "metadata")
        self.dismiss(self.changed)

    @work(exclusive=True, group="metadata", exit_on_error=False)
    async def _change(self, value: str | None) -> None:
        key = self.query_one("#metadata-key", Input).value.strip()
        error = self.query_one("#metadata-error", Label)
        try:
            self.metadata = await change_metadata(self.source, self.task_id, key, value)
        except (ValueError, ApiError) as problem:
            error.update(Text(str(problem)))
            return
        self.changed = True
        error.update("")
        self.query_one("#metadata-list", Static).update(_listing(self.metadata))
        verb = "set" if value is not None else "removed"
        self.notify(f"{sanitize_name(key)} {verb}", title=self.label, timeout=3, markup=False)
        for field in ("#metadata-key", "#metadata-value"):
            self.query_one(field, Input).value = ""
        self.query_one("#metadata-key", Input).focus()
