"""The status filter: any set of codes, grouped as waiting / running / finished / failed.

Each group also toggles as one: its number key (``1`` waiting ... ``4``
failed) or a click on its title ticks every code of the group, or unticks
them all when all were ticked.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.segment import Segment
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.strip import Strip
from textual.widgets import Button, Label, SelectionList
from textual.widgets.selection_list import Selection

from inductiva_top.monitor.statuses import FILTER_GROUPS, status_info
from inductiva_top.ui.widgets.toggles import TICKED, UNTICKED

__all__ = ["GROUP_KEYS", "StatusFilter", "StatusList"]

GROUP_KEYS: dict[str, str] = {group: str(n) for n, group in enumerate(FILTER_GROUPS, 1)}
"""The key that toggles each group, by group name: ``1`` for the first group shown."""


def _label(code: str, group: tuple[str, ...]) -> Text:
    """Symbol and alias; the code too when another code of the group has the same alias."""
    info = status_info(code)
    text = Text(f"{info.symbol} {info.default_alias}")
    twins = [c for c in group if status_info(c).default_alias == info.default_alias]
    if len(twins) > 1:
        text.append(f" ({code})", style="dim")
    return text


class StatusList(SelectionList[str]):
    """The codes of one group.

    Space toggles the highlighted row at once. Textual's own list toggles when
    a message it posts to itself comes back, by which time keys typed ahead
    (a burst over a slow SSH link: space down space down) have moved the
    highlight, so the wrong rows were ticked.
    """

    def __init__(self, group: str, codes: tuple[str, ...], selected: frozenset[str]) -> None:
        super().__init__(
            *(Selection(_label(code, codes), code, code in selected) for code in codes),
            id=f"status-{group}",
        )
        self.group = group
        self.codes = codes

    def action_select(self) -> None:
        index = self.highlighted
        if index is not None:
            self.toggle(self.get_option_at_index(index))

    def toggle_group(self) -> None:
        """Tick every code of the group, or untick them all when all are ticked."""
        if set(self.selected) >= set(self.codes):
            self.deselect_all()
        else:
            self.select_all()

    def render_line(self, y: int) -> Strip:
        line = super().render_line(y)
        segments = list(line)
        index = self.scroll_offset.y + y
        if len(segments) < 2 or not 0 <= index < self.option_count:
            return line
        ticked = self.get_option_at_index(index).value in self.selected
        box = segments[1]
        segments[1] = Segment(TICKED if ticked else UNTICKED, box.style, box.control)
        return Strip(segments, line.cell_length)


class GroupTitle(Label):
    """A group's title; a click toggles the whole group."""

    class Pressed(Message):
        """The title of ``group`` was clicked."""

        def __init__(self, group: str) -> None:
            super().__init__()
            self.group = group

    def __init__(self, group: str) -> None:
        title = Text(group.capitalize(), style="bold")
        title.append(f" {GROUP_KEYS[group]}", style="dim")
        super().__init__(title, classes="status-group-title")
        self.group = group

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.post_message(self.Pressed(self.group))


class StatusFilter(ModalScreen[frozenset[str] | None]):
    """Dismisses with the chosen codes (empty: no filter), or None on cancel."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "cancel", "Cancel", id="status_filter.cancel"),
        # Not ctrl+s: it is XOFF on terminals with flow control (and screen's chord).
        Binding("a,f2", "apply", "Apply", id="status_filter.apply"),
        *(
            Binding(
                key,
                f"toggle_group('{group}')",
                f"Every {group} code",
                id=f"status_filter.group_{group}",
            )
            for group, key in GROUP_KEYS.items()
        ),
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
                        yield GroupTitle(group)
                        yield StatusList(group, codes, self.selected)
            yield Label(
                "space toggles · 1-4 a whole group · a applies · esc cancels",
                classes="dialog-note",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="status-cancel", compact=True)
                yield Button("All statuses", id="status-clear", compact=True)
                yield Button("Apply", id="status-apply", variant="primary", compact=True)

    def _chosen(self) -> frozenset[str]:
        chosen: set[str] = set()
        for selection in self.query(StatusList):
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

    def on_group_title_pressed(self, event: GroupTitle.Pressed) -> None:
        self.action_toggle_group(event.group)

    def action_toggle_group(self, group: str) -> None:
        """Tick (or untick) every code of ``group``."""
        self.query_one(f"#status-{group}", StatusList).toggle_group()

    def action_apply(self) -> None:
        self.dismiss(self._chosen())

    def action_cancel(self) -> None:
        self.dismiss(None)
