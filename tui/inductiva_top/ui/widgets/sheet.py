"""A table of rows the screen describes: the project board's and the sweep table's.

A line-API widget (``ScrollView`` + ``render_line``), as the task table: a
header line that stays put, rows rendered on demand by a callback (so a
sweep of 10,000 runs costs the rows on screen), and a cursor that follows a
row's key across refreshes and re-sorts. A row is either cells, one per
column, or one :class:`~rich.text.Text` that spans the line (a group's
summary). Only lines whose drawing changed are repainted.

Attributes down: :meth:`Sheet.show`. Messages up: :class:`Sheet.CursorMoved`,
:class:`Sheet.Opened` (Enter, double click), :class:`Sheet.SortRequested`
(a click on a column's title).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from inductiva_top.monitor.statuses import StatusKind

__all__ = ["Sheet", "SheetColumn"]

GUTTER = 1

Row = Text | list[Text]
"""Cells (one per column), or one text spanning the line."""


@dataclass(frozen=True)
class SheetColumn:
    """One column: its key (for sorting), title, width and alignment."""

    key: str
    title: str
    width: int
    align: Literal["left", "right"] = "left"
    sortable: bool = True


def _fit(text: str, width: int, align: str) -> str:
    if len(text) > width:
        return text[: max(0, width - 1)] + "…"
    return text.rjust(width) if align == "right" else text.ljust(width)


class Sheet(ScrollView, can_focus=True):
    """Rows rendered on demand, a cursor that stays on its row's key."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down,j", "cursor_down", "Down", show=False, id="sheet.cursor_down"),
        Binding("up", "cursor_up", "Up", show=False, id="sheet.cursor_up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="sheet.page_down"),
        Binding("pageup", "page_up", "Page up", show=False, id="sheet.page_up"),
        Binding("home,g", "first", "First", show=False, id="sheet.first"),
        Binding("end,G", "last", "Last", show=False, id="sheet.last"),
        Binding("left,h", "scroll_columns(-8)", "Left", show=False, id="sheet.left"),
        Binding("right,l", "scroll_columns(8)", "Right", show=False, id="sheet.right"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "sheet--header",
        "sheet--sorted",
        "sheet--cursor",
        "sheet--group",
        "sheet--empty",
        *(f"sheet--{kind.value}" for kind in StatusKind),
    }

    DEFAULT_CSS = """
    Sheet { height: 1fr; scrollbar-size-vertical: 1; scrollbar-size-horizontal: 1; }
    Sheet > .sheet--header { text-style: bold; color: $text-primary; background: $boost; }
    Sheet > .sheet--sorted { text-style: bold underline; }
    Sheet > .sheet--cursor { background: $block-cursor-blurred-background; }
    Sheet:focus > .sheet--cursor {
        background: $block-cursor-background; color: $block-cursor-foreground; text-style: bold;
    }
    Sheet > .sheet--group { text-style: bold; }
    Sheet > .sheet--empty { color: $text-muted; text-style: italic; }
    Sheet > .sheet--waiting { color: $warning; }
    Sheet > .sheet--running { color: $primary; }
    Sheet > .sheet--success { color: $success; }
    Sheet > .sheet--failed { color: $error; }
    Sheet > .sheet--killed { color: $text-muted; }
    Sheet > .sheet--other { color: $secondary; }
    """

    class CursorMoved(Message):
        """The cursor rests on the row of ``key`` (None when there is no row)."""

        def __init__(self, key: str | None) -> None:
            super().__init__()
            self.key = key

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, Sheet.CursorMoved)

    class Opened(Message):
        """Enter (or a double click) on the row of ``key``."""

        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    class SortRequested(Message):
        """A click on the title of column ``column``."""

        def __init__(self, column: str) -> None:
            super().__init__()
            self.column = column

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.columns: list[SheetColumn] = []
        self.keys: list[str] = []
        self._render_row: Callable[[int], Row] = lambda index: Text()
        self.empty = ""
        """What the sheet says when it has no row."""
        self.cursor = 0
        self.cursor_key: str | None = None
        self.sort_column: str | None = None
        self.sort_descending = False
        self._painted: dict[int, tuple[tuple[str, Style | None], ...]] = {}

    # -- attributes down ---------------------------------------------------------

    def show(
        self,
        columns: Sequence[SheetColumn],
        keys: Sequence[str],
        render: Callable[[int], Row],
        *,
        empty: str = "",
        sort: tuple[str | None, bool] = (None, False),
    ) -> None:
        """New rows: ``render(i)`` draws row ``i`` (keyed ``keys[i]``) when it is on screen.

        The cursor stays on its key, or at the same place when the key is gone.
        """
        layout_changed = list(columns) != self.columns
        self.columns, self.keys, self._render_row = list(columns), list(keys), render
        self.empty = empty
        self.sort_column, self.sort_descending = sort
        self.virtual_size = Size(self.table_width, len(self.keys) + 1)
        if self.cursor_key in self.keys:
            index = self.keys.index(self.cursor_key)
            if index != self.cursor:
                # Keep the row at the same height on screen.
                self.scroll_to(y=max(0, self.scroll_y + index - self.cursor), animate=False)
            self._set_cursor(index)
        else:
            self._set_cursor(min(self.cursor, max(0, len(self.keys) - 1)))
        if layout_changed:
            self._painted.clear()
            self.refresh()
        else:
            self.refresh_changed()

    def kind_style(self, kind: StatusKind) -> Style:
        """The colour of a status kind (only the colour: a cursor's background shows through)."""
        style = self.get_component_rich_style(f"sheet--{kind.value}")
        return Style(color=style.color)

    # -- geometry -----------------------------------------------------------------

    @property
    def table_width(self) -> int:
        return GUTTER + sum(column.width + 1 for column in self.columns)

    @property
    def rows_on_screen(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def visible_range(self) -> tuple[int, int]:
        first = int(self.scroll_y)
        return first, first + self.rows_on_screen - 1

    # -- the cursor -------------------------------------------------------------

    def _set_cursor(self, index: int) -> None:
        key = self.keys[index] if 0 <= index < len(self.keys) else None
        moved = key != self.cursor_key
        self.cursor, self.cursor_key = index, key
        first, last = self.visible_range()
        if index < first:
            self.scroll_to(y=index, animate=False)
        elif index > last:
            self.scroll_to(y=index - self.rows_on_screen + 1, animate=False)
        if moved:
            self.post_message(self.CursorMoved(key))

    def move_to(self, index: int) -> None:
        """The cursor to row ``index`` (clamped), scrolled into view."""
        if not self.keys:
            return
        self._set_cursor(max(0, min(index, len(self.keys) - 1)))
        self.refresh()

    def move_to_key(self, key: str) -> bool:
        """The cursor to the row of ``key``; False when there is none."""
        if key not in self.keys:
            return False
        self.move_to(self.keys.index(key))
        return True

    def action_cursor_down(self) -> None:
        self.move_to(self.cursor + 1)

    def action_cursor_up(self) -> None:
        self.move_to(self.cursor - 1)

    def action_page_down(self) -> None:
        self.scroll_to(y=self.scroll_y + self.rows_on_screen, animate=False)
        self.move_to(self.cursor + self.rows_on_screen)

    def action_page_up(self) -> None:
        self.scroll_to(y=max(0, self.scroll_y - self.rows_on_screen), animate=False)
        self.move_to(self.cursor - self.rows_on_screen)

    def action_first(self) -> None:
        self.move_to(0)

    def action_last(self) -> None:
        self.move_to(len(self.keys) - 1)

    def action_scroll_columns(self, step: int) -> None:
        self.scroll_to(x=max(0, self.scroll_x + step), animate=False)

    def open_cursor(self) -> None:
        """Say the cursor's row was opened (the screen's Enter)."""
        if self.cursor_key is not None:
            self.post_message(self.Opened(self.cursor_key))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y == 0:
            edge = GUTTER
            x = offset.x + int(self.scroll_x)
            for column in self.columns:
                edge += column.width + 1
                if x < edge:
                    if column.sortable:
                        self.post_message(self.SortRequested(column.key))
                    return
            return
        self.move_to(int(self.scroll_y) + offset.y - 1)
        if event.chain == 2:
            self.open_cursor()

    # -- drawing -------------------------------------------------------------------

    def refresh_changed(self) -> None:
        """Repaint only the lines whose drawing changed since they were painted."""
        for y in range(self.scrollable_content_region.height):
            if self._painted.get(y) != _key(self._line(y)):
                self.refresh_line(y)

    def _line(self, y: int) -> Strip:
        return self._header() if y == 0 else self._row(int(self.scroll_y) + y - 1)

    def render_line(self, y: int) -> Strip:
        strip = self._line(y)
        self._painted[y] = _key(strip)
        scroll_x, width = int(self.scroll_x), self.scrollable_content_region.width
        base = self.rich_style
        return strip.crop_extend(scroll_x, scroll_x + width, base).apply_style(base)

    def _header(self) -> Strip:
        base = self.get_component_rich_style("sheet--header")
        sorted_style = self.get_component_rich_style("sheet--sorted")
        segments = [Segment(" " * GUTTER, base)]
        for column in self.columns:
            title, style, after = column.title, base, " "
            if column.key == self.sort_column:
                arrow = "▼" if self.sort_descending else "▲"
                if len(title) < column.width:
                    title += arrow
                else:
                    after = arrow
                style = base + sorted_style
            segments.append(Segment(_fit(title, column.width, column.align) + after, style))
        width = sum(segment.cell_length for segment in segments)
        if width < self.scrollable_content_region.width:
            segments.append(Segment(" " * (self.scrollable_content_region.width - width), base))
        return Strip(segments)

    def _row(self, index: int) -> Strip:
        if index >= len(self.keys):
            if index == 0 and self.empty:
                style = self.get_component_rich_style("sheet--empty")
                return Strip([Segment(" " * GUTTER + self.empty, style)])
            return Strip.blank(self.table_width, self.rich_style)
        row = self._render_row(index)
        style = Style()
        if index == self.cursor:
            style += self.get_component_rich_style("sheet--cursor")
        line = Text(" " * GUTTER, style=style, no_wrap=True, end="")
        if isinstance(row, Text):
            line.stylize(self.get_component_rich_style("sheet--group"))
            line.append_text(row)
            line.truncate(max(self.table_width, self.scrollable_content_region.width), pad=True)
        else:
            for column, cell in zip(self.columns, row, strict=False):
                cell = cell.copy()
                cell.truncate(column.width, overflow="ellipsis")
                if column.align == "right":
                    cell.pad_left(column.width - cell.cell_len)
                else:
                    cell.pad_right(column.width - cell.cell_len)
                line.append_text(cell)
                line.append(" ")
            if index == self.cursor:
                line.pad_right(max(0, self.scrollable_content_region.width - line.cell_len))
        return Strip(line.render(self.app.console), line.cell_len)


def _key(strip: Strip) -> tuple[tuple[str, Style | None], ...]:
    return tuple((segment.text, segment.style) for segment in strip)
