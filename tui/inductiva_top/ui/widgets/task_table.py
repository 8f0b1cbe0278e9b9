"""The task table: a line-API widget over the row window.

Only the rows on screen are rendered, each on demand (``render_line``); the
widget never holds more than the window's fetched pages. Line 0 is the header
(it stays put while rows scroll). The cursor follows a task id, not a row
number: after a refresh or a sort it finds its task again, and when the task
has left the view it stays at the same place, on a neighbour.

Attributes down: the screen calls :meth:`TaskTable.show` after each poll.
Messages up: :class:`TaskTable.CursorMoved`, :class:`TaskTable.RangeShown`,
:class:`TaskTable.SortRequested`, :class:`TaskTable.OpenRequested`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from inductiva_top.api.models import Task
from inductiva_top.monitor.statuses import status_info
from inductiva_top.monitor.window import RowWindow
from inductiva_top.ui.columns import Column, RowContext

__all__ = ["TaskTable"]

GUTTER = 2
"""Columns before the first cell: the mark of a marked row, the eye of a watched one."""

CellRenderer = Callable[[Column, Task, RowContext], Text]


def _nothing_watched(task_id: str) -> bool:
    return False


@dataclass
class TableData:
    """What the table shows, handed down by the screen."""

    window: RowWindow
    context: Callable[[Task], RowContext]


class TaskTable(ScrollView, can_focus=True):
    """Rows of tasks rendered on demand from a :class:`RowWindow`."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down,j", "cursor_down", "Down", show=False, id="table.cursor_down"),
        Binding("up", "cursor_up", "Up", show=False, id="table.cursor_up"),
        # No ctrl+b/ctrl+f: ctrl+b is tmux's prefix (remap under keymap: if you want them).
        Binding("pagedown", "page_down", "Page down", show=False, id="table.page_down"),
        Binding("pageup", "page_up", "Page up", show=False, id="table.page_up"),
        Binding("home,g", "first", "First", show=False, id="table.first"),
        Binding("end,G", "last", "Last", show=False, id="table.last"),
        Binding("left,h", "scroll_columns(-8)", "Left", show=False, id="table.left"),
        Binding("right,l", "scroll_columns(8)", "Right", show=False, id="table.right"),
        Binding("enter", "open", "Details", id="table.open"),
        Binding("space", "toggle_mark", "Mark", show=False, id="table.mark"),
    ]

    COMPONENT_CLASSES = {
        "task-table--header",
        "task-table--sorted",
        "task-table--cursor",
        "task-table--marked",
        "task-table--loading",
        "task-table--empty",
        "task-table--waiting",
        "task-table--running",
        "task-table--success",
        "task-table--failed",
        "task-table--killed",
        "task-table--other",
    }

    cursor: reactive[int] = reactive(0, always_update=True, repaint=False)

    class CursorMoved(Message):
        """The cursor now rests on ``task_id`` (None when the table is empty)."""

        def __init__(self, task_id: str | None) -> None:
            super().__init__()
            self.task_id = task_id

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, TaskTable.CursorMoved)

    class RangeShown(Message):
        """Rows ``first..last`` are on screen (some may not be fetched yet)."""

        def __init__(self, first: int, last: int) -> None:
            super().__init__()
            self.first = first
            self.last = last

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, TaskTable.RangeShown)

    class SortRequested(Message):
        """The user asked to sort by the API field ``sort_field``."""

        def __init__(self, sort_field: str) -> None:
            super().__init__()
            self.sort_field = sort_field

    class OpenRequested(Message):
        """The user asked for the details of ``task_id``."""

        def __init__(self, task_id: str) -> None:
            super().__init__()
            self.task_id = task_id

    class MarksChanged(Message):
        """The set of marked task ids changed."""

    def __init__(
        self,
        columns: Sequence[Column],
        render_cell: CellRenderer,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.columns = list(columns)
        self._render_cell = render_cell
        self.data: TableData | None = None
        self.cursor_id: str | None = None
        self.sort_field: str | None = None
        self.sort_descending = False
        self.marked: set[str] = set()
        self._last_range: tuple[int, int] | None = None
        self.hold_cursor = False
        """While True, a cursor task missing from the loaded rows is being looked for."""
        self.watched: Callable[[str], bool] = _nothing_watched
        """Whether a task is watched (its row shows an eye in the gutter)."""
        self._shown_query: object = None
        self._on_head = False
        """The cursor sits on the first row of the view shown last."""
        self._painted: dict[int, tuple[tuple[str, Style | None], ...]] = {}
        """Screen line -> what :meth:`render_line` last drew there."""

    # -- geometry ----------------------------------------------------------------

    @property
    def row_count(self) -> int:
        """Rows in the current view (0 until the first page arrives)."""
        if self.data is None or self.data.window.total is None:
            return 0
        return self.data.window.total

    @property
    def rows_on_screen(self) -> int:
        """How many data rows fit under the header."""
        return max(1, self.scrollable_content_region.height - 1)

    @property
    def first_row(self) -> int:
        return int(self.scroll_y)

    @property
    def table_width(self) -> int:
        return GUTTER + sum(column.width + 1 for column in self.columns)

    def _update_virtual_size(self) -> None:
        self.virtual_size = Size(self.table_width, self.row_count + 1)

    def visible_range(self) -> tuple[int, int]:
        """First and last row index on screen."""
        first = self.first_row
        return first, first + self.rows_on_screen - 1

    # -- attributes down -------------------------------------------------------

    def show(self, data: TableData) -> None:
        """Take fresh data: keep the cursor on its task, redraw the visible lines."""
        self.data = data
        self._update_virtual_size()
        self._follow_cursor_task()
        self.refresh_changed()
        self._announce_range()

    def set_sort(self, sort_field: str | None, descending: bool) -> None:
        """Mark the column the view is sorted by (the screen decides the sort)."""
        self.sort_field, self.sort_descending = sort_field, descending
        self.refresh()

    def _follow_cursor_task(self) -> None:
        """Put the cursor back on its task, or on a neighbour if it left the view."""
        if self.data is None:
            return
        window = self.data.window
        if window.total is None:
            return  # the first page of a new view is on its way
        total = self.row_count
        if total == 0:
            self._set_cursor(0, None)
            return
        same_view, self._shown_query = self._shown_query == window.query, window.query
        if same_view and self._on_head and not self.hold_cursor:
            # On the first row the cursor follows the head: new tasks arrive under it.
            task = window.row(0)
            if task is not None:
                self._set_cursor(0, task.task_id)
                return
        self._on_head = False
        if self.cursor_id is not None:
            index = window.index_of(self.cursor_id)
            if index is not None:
                if index != self.cursor:
                    # Keep the task at the same height on screen.
                    self.scroll_to(y=max(0, self.scroll_y + index - self.cursor), animate=False)
                self._set_cursor(index, self.cursor_id)
                return
            first, last = self.visible_range()
            if self.hold_cursor or window.missing_pages(first, last):
                return  # its page is on the way; decide when it arrives
        index = min(self.cursor, total - 1)
        task = window.row(index)
        self._set_cursor(index, task.task_id if task else None)

    def _set_cursor(self, index: int, task_id: str | None) -> None:
        moved = task_id != self.cursor_id
        self.cursor_id = task_id
        self.cursor = index
        self._on_head = index == 0 and task_id is not None
        self._keep_cursor_visible()
        if moved:
            self.post_message(self.CursorMoved(task_id))

    def _keep_cursor_visible(self) -> None:
        first, last = self.visible_range()
        if self.cursor < first:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor > last:
            self.scroll_to(y=self.cursor - self.rows_on_screen + 1, animate=False)

    def _announce_range(self) -> None:
        visible = self.visible_range()
        if visible != self._last_range:
            self._last_range = visible
            self.post_message(self.RangeShown(*visible))

    # -- moving -------------------------------------------------------------------

    def move_to(self, index: int) -> None:
        """Put the cursor on row ``index`` (clamped) and scroll it into view."""
        total = self.row_count
        index = max(0, min(index, total - 1)) if total else 0
        task = self.data.window.row(index) if self.data else None
        self._set_cursor(index, task.task_id if task else None)
        self.refresh()
        self._announce_range()

    def action_cursor_down(self) -> None:
        self.move_to(self.cursor + 1)

    def action_cursor_up(self) -> None:
        self.move_to(self.cursor - 1)

    def action_page_down(self) -> None:
        step = self.rows_on_screen
        self.scroll_to(y=self.scroll_y + step, animate=False)
        self.move_to(self.cursor + step)

    def action_page_up(self) -> None:
        step = self.rows_on_screen
        self.scroll_to(y=max(0, self.scroll_y - step), animate=False)
        self.move_to(self.cursor - step)

    def action_first(self) -> None:
        self.move_to(0)

    def action_last(self) -> None:
        self.move_to(self.row_count - 1)

    def action_scroll_columns(self, step: int) -> None:
        self.scroll_to(x=max(0, self.scroll_x + step), animate=False)

    def action_open(self) -> None:
        if self.cursor_id is not None:
            self.post_message(self.OpenRequested(self.cursor_id))

    def action_toggle_mark(self) -> None:
        if self.cursor_id is None:
            return
        self.marked ^= {self.cursor_id}
        self.post_message(self.MarksChanged())
        self.refresh()
        self.move_to(self.cursor + 1)

    def mark(self, task_ids: set[str]) -> None:
        """Mark ``task_ids`` (the screen decides which, e.g. every killable one)."""
        self.marked |= task_ids
        self.post_message(self.MarksChanged())
        self.refresh()

    def clear_marks(self) -> None:
        self.marked.clear()
        self.post_message(self.MarksChanged())
        self.refresh()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._announce_range()

    # -- mouse -------------------------------------------------------------------

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y == 0:
            column = self._column_at(offset.x + int(self.scroll_x))
            if column is not None and column.sort_field is not None:
                self.post_message(self.SortRequested(column.sort_field))
            return
        self.move_to(self.first_row + offset.y - 1)
        if event.chain == 2:
            self.action_open()

    def _column_at(self, x: int) -> Column | None:
        edge = GUTTER
        for column in self.columns:
            edge += column.width + 1
            if x < edge:
                return column
        return None

    # -- rendering ---------------------------------------------------------------

    def refresh_changed(self) -> None:
        """Repaint only the screen lines whose content changed since they were drawn.

        A quiet dashboard over SSH must not resend the whole table every
        second: a poll that changed nothing, or a clock tick with no running
        task in view, writes nothing to the terminal.
        """
        scroll_x, width = int(self.scroll_x), self.size.width
        for y in range(self.scrollable_content_region.height):
            old, new = self._painted.get(y), _strip_key(self._line_strip(y))
            if old == new:
                continue
            # A ticking duration changes one cell of a row: repaint just that.
            start, end = _changed_cells(old, new) or (scroll_x, scroll_x + width)
            left, right = max(start - scroll_x, 0), min(end - scroll_x, width)
            if right > left:
                self.refresh(Region(left, y, right - left, 1))

    def _line_strip(self, y: int) -> Strip:
        return self._header_strip() if y == 0 else self._row_strip(self.first_row + y - 1)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        scroll_x = int(self.scroll_x)
        strip = self._line_strip(y)
        self._painted[y] = _strip_key(strip)
        # The widget style goes under every cell (and fills unstyled segments).
        base = self.rich_style
        return strip.crop_extend(scroll_x, scroll_x + width, base).apply_style(base)

    def _header_strip(self) -> Strip:
        base = self.get_component_rich_style("task-table--header")
        sorted_style = self.get_component_rich_style("task-table--sorted")
        segments: list[Segment] = [Segment(" " * GUTTER, base)]
        for column in self.columns:
            title = column.title
            style = base
            after = " "
            if column.sort_field is not None and column.sort_field == self.sort_field:
                arrow = "▼" if self.sort_descending else "▲"
                if len(title) < column.width:
                    title += arrow
                else:
                    after = arrow  # in the gap after the column: the label stays whole
                style = base + sorted_style
            segments.append(Segment(_fit(title, column.width, column.align) + after, style))
        return Strip(segments)

    def _row_strip(self, index: int) -> Strip:
        if self.data is None or index >= self.row_count:
            if index == 0 and self.data is not None and self.data.window.total == 0:
                style = self.get_component_rich_style("task-table--empty")
                return Strip([Segment("  no tasks match the current filters", style)])
            return Strip.blank(self.table_width, self.rich_style)
        task = self.data.window.row(index)
        if task is None:
            style = self.get_component_rich_style("task-table--loading")
            return Strip([Segment("  …", style)])
        context = self.data.context(task)
        row_style = Style()
        if task.task_id in self.marked:
            row_style += self.get_component_rich_style("task-table--marked")
        if index == self.cursor and self.cursor_id == task.task_id:
            row_style += self.get_component_rich_style("task-table--cursor")
        line = Text(style=row_style, no_wrap=True, end="")
        line.append("✓" if task.task_id in self.marked else " ")
        line.append("◉" if self.watched(task.task_id) else " ")
        for column in self.columns:
            cell = self._render_cell(column, task, context)
            if column.key == "status":
                cell.stylize(self._kind_style(context.status))
            cell.truncate(column.width, overflow="ellipsis", pad=True)
            if column.align == "right":
                cell = cell.copy()
                cell.rstrip()
                cell.pad_left(column.width - cell.cell_len)
            line.append_text(cell)
            line.append(" ")
        return Strip(line.render(self.app.console), line.cell_len)

    def _kind_style(self, code: str) -> Style:
        # Only the colour: the row's background (cursor, marks) must show through.
        style = self.get_component_rich_style(f"task-table--{status_info(code).kind.value}")
        return Style(color=style.color, bold=style.bold)


def _strip_key(strip: Strip) -> tuple[tuple[str, Style | None], ...]:
    """What a line looks like, to tell whether it needs repainting."""
    return tuple((segment.text, segment.style) for segment in strip)


def _changed_cells(
    old: tuple[tuple[str, Style | None], ...] | None, new: tuple[tuple[str, Style | None], ...]
) -> tuple[int, int] | None:
    """The cell span where two drawings of a line differ; None when the layout moved."""
    if old is None or len(old) != len(new):
        return None
    span: tuple[int, int] | None = None
    offset = 0
    for before, after in zip(old, new, strict=True):
        width = cell_len(after[0])
        if cell_len(before[0]) != width:
            return None
        if before != after:
            span = (span[0] if span else offset, offset + width)
        offset += width
    return span


def _fit(text: str, width: int, align: str) -> str:
    if len(text) > width:
        return text[: max(0, width - 1)] + "…"
    return text.rjust(width) if align == "right" else text.ljust(width)
