"""The status filter: any set of codes, grouped as waiting / running / finished / failed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, SelectionList
from textual.widgets.selection_list import Selection

from inductiva_top.monitor.statuses import FILTER_GROUPS, status_info

__all__ = ["StatusFilter"]


def _label(code: str, group: tuple[str, ...]) -> Text:
    """Symbol and alias; the code too when another code of the group has the same alias."""
    info = status_info(code)
    text = Text(f"{info.symbol} {info.default_alias}")
    twins = [c for c in group if status_info(c).default_alias == info.default_alias]
    if len(twins) > 1:
        text.append(f" ({code})", style="dim")
    return text


class StatusFilter(ModalScreen[frozenset[str] | None]):
    """Dismisses with the chosen codes (empty: no filter), or None on cancel."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="status_filter.cancel"),
        # Not ctrl+s: it is XOFF on terminals with flow control (and screen's chord).
        Binding("a,f2", "apply", "Apply", id="status_filter.apply"),
    ]

    def __init__(self, selected: Iterable[str]) -> None:
        super().__init__()
        self.selected = frozenset(selected)

    def compose(self) -> ComposeResult:
        with Vertical(id="status-dialog", classes="dialog"):
            yield Label(Text("Show tasks whose status is…", style="bold"), classes="dialog-title")
            with Horizontal(id="status-groups"):
                for group, codes in FILTER_GROUPS.items():
                    with Vertical(classes="status-group"):
                        yield Label(group.capitalize(), classes="status-group-title")
                        yield SelectionList[str](
                            *(
                                Selection(_label(code, codes), code, code in self.selected)
                                for code in codes
                            ),
                            id=f"status-{group}",
                        )
            yield Label("space toggles · a applies · esc cancels", classes="dialog-note")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="status-cancel", compact=True)
                yield Button("All statuses", id="status-clear", compact=True)
                yield Button("Apply", id="status-apply", variant="primary", compact=True)

    def _chosen(self) -> frozenset[str]:
        chosen: set[str] = set()
        for selection in self.query(SelectionList):
            chosen.update(str(value) for value in selection.selected)
        return frozenset(chosen)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "status-apply":
            self.dismiss(self._chosen())
        elif event.button.id == "status-clear":
            self.dismiss(frozenset())
        else:
            self.dismiss(None)

    def action_apply(self) -> None:
        self.dismiss(self._chosen())

    def action_cancel(self) -> None:
        self.dismiss(None)
