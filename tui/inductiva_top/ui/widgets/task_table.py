"""The task table: a line-API widget over the row window.

Only the rows on screen are rendered, each on demand (``render_line``); the
widget never holds more than the window's fetched pages. Line 0 is the header
(it stays put while rows scroll), and the id column stays put while the
other columns scroll sideways. Column widths share the width there is
(:func:`~inductiva_top.ui.columns.fit_widths`): narrow, the id shows its
short unique prefix. Optional columns (``optional``: the default set's
estimates) show only where every column fits without scrolling sideways.

The cursor follows a task id, not a row number: after a refresh or a sort it
finds its task again, and when the task has left the view it stays at the
same place, on a neighbour. New tasks never take the cursor unless
:attr:`TaskTable.follow` is on (then a cursor on the first row rides it);
rows that arrive above the screen are counted in :attr:`TaskTable.new_above`.

Attributes down: the screen calls :meth:`TaskTable.show` after each poll.
Messages up: :class:`TaskTable.CursorMoved`, :class:`TaskTable.RangeShown`,
:class:`TaskTable.SortRequested`, :class:`TaskTable.OpenRequested`.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from rich.cells import cell_len
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.color import Color
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from inductiva_top.api.models import Task
from inductiva_top.monitor.rows.window import RowWindow
from inductiva_top.monitor.statuses import StatusKind, status_info
from inductiva_top.ui.columns import (
    Column,
    RowContext,
    fit_widths,
    natural_width,
    short_id_length,
)

__all__ = ["KIND_CLASSES", "MIN_CONTRAST", "TaskTable", "contrast", "readable"]

GUTTER = 2
"""Columns before the first cell: the mark of a marked row, the eye of a watched one."""

CellRenderer = Callable[[Column, Task, RowContext], Text]

MIN_CONTRAST = 3.0
"""The least contrast of text on the cursor row: WCAG's for bold text and for interface parts.

Every built-in theme's own cursor text passes but gruvbox's (2.4), so the look of a
theme is kept wherever it reads."""

KIND_CLASSES = {kind: f"status--{kind.value}" for kind in StatusKind}
"""Component class of each status kind's colour; the header's counts use the same ones."""


def _nothing_watched(task_id: str) -> bool:
    return False


CellKey = tuple[str, str | Style, tuple[object, ...]]
"""A cell's text before cutting: its characters, style and spans."""

RowState = tuple[str, Style, Style | None]
"""A row's look besides its cells: its marks, its style (marked, cursor), its status colour."""


@dataclass
class _Drawn:
    """What the table drew of one task object at one set of columns and widths.

    With 50 running tasks the clock ticks 50 rows a second, but in each only
    RUN (or an age, a minute later) says something new: the cells that did
    not change, and a row none of whose cells changed, are not cut, styled
    and measured again.
    """

    task: Task
    columns: list[Column]
    widths: tuple[int, ...]
    fixed: dict[str, list[Segment]] = field(default_factory=dict)
    """Cut cells that depend on the task alone (:attr:`Column.task_only`), by column key."""
    ticking: dict[str, tuple[CellKey, list[Segment]]] = field(default_factory=dict)
    """Cut cells that depend on the row's context too, with the text each was cut from."""
    row: tuple[RowState, list[list[Segment]], Strip] | None = None
    """The row's look besides its cells, the cells it was drawn with, and the line."""


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
        *KIND_CLASSES.values(),
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
        optional: Collection[str] = (),
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.all_columns = list(columns)
        """Every column asked for, optional ones included."""
        self.optional = frozenset(optional)
        """Keys of the columns shown only when all fit without scrolling sideways."""
        self.columns = list(columns)
        """The columns shown now."""
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
        self._painted: dict[int, LineKey] = {}
        """Screen line -> what :meth:`render_line` last drew there."""
        self._painted_from: dict[int, tuple[Strip, LineFrame]] = {}
        """Screen line -> the table line (:meth:`_line_strip`) and the frame it was painted
        from: a line that is the same object in the same frame shows the same."""
        self._fresh: dict[int, tuple[tuple[int, int, Size], Strip, LineKey, Strip, LineFrame]] = {}
        """Screen line -> the line :meth:`refresh_changed` found changed and asked to repaint,
        drawn already: :meth:`render_line` takes it instead of drawing the line again."""
        self._kind_styles: dict[StatusKind, Style] = {}
        """Each status kind's colour, as :meth:`_kind_style` makes it (until the styles change)."""
        self.widths = [column.width for column in self.columns]
        """Each column's width now (:meth:`fit_columns`)."""
        self._cells: dict[str, _Drawn] = {}
        """Task id -> what was drawn of it (see :class:`_Drawn`)."""
        self._measured: dict[str, tuple[Task, dict[str, int]]] = {}
        """Task id -> the task measured and its cells' widths in the columns that grow."""
        self.follow = False
        """A cursor on the first row rides it as new tasks arrive (else it stays on its task)."""
        self.new_above = 0
        """Rows that arrived above the screen since it was last scrolled to the top."""

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
        return GUTTER + sum(width + 1 for width in self.widths)

    @property
    def frozen_width(self) -> int:
        """Cells at the left that stay put when scrolling sideways: the gutter and the id column."""
        if self.columns and self.columns[0].key == "id":
            return GUTTER + self.widths[0] + 1
        return GUTTER

    def _update_virtual_size(self) -> None:
        width, view = self.table_width, self._room()
        if 0 < view < width:
            # Room to scroll the last columns in whole, the first of them at the frozen edge.
            rest, room = width - self.frozen_width, view - self.frozen_width
            start = next((s for s in self._column_starts() if rest - s <= room), 0)
            width = max(width, self.frozen_width + start + room)
        self.virtual_size = Size(width, self.row_count + 1)

    def _room(self) -> int:
        """The table's width for cells, the vertical scrollbar's column always kept free.

        Widths and the scroll range then do not hop when the scrollbar comes and goes.
        """
        return self.size.width - self.styles.scrollbar_size_vertical

    def _column_starts(self) -> list[int]:
        """Where each column that scrolls starts, counted from the frozen edge."""
        first = 1 if self.frozen_width > GUTTER else 0
        return list(itertools.accumulate((w + 1 for w in self.widths[first:-1]), initial=0))

    def visible_range(self) -> tuple[int, int]:
        """First and last row index on screen."""
        first = self.first_row
        return first, first + self.rows_on_screen - 1

    # -- attributes down -------------------------------------------------------

    def show(self, data: TableData) -> None:
        """Take fresh data: keep the cursor on its task, redraw the visible lines."""
        self.data = data
        self.fit_columns()
        self._update_virtual_size()
        self._follow_cursor_task()
        self.refresh_changed()
        self._announce_range()

    def fit_columns(self) -> None:
        """Share the width among the columns, from the longest cells of the loaded rows.

        With the optional columns when every column then fits whole (no id
        shortened, no name cut for them), else without them.
        """
        loaded = list(self.data.window.loaded_tasks()) if self.data is not None else []
        cells = self._measure(loaded)
        short_id = short_id_length(task.task_id for task in loaded)
        room = self._room() - GUTTER
        columns = self.all_columns
        natural = self._natural(columns, cells)
        if self.optional and sum(width + 1 for width in natural) > room:
            columns = [column for column in columns if column.key not in self.optional]
            natural = self._natural(columns, cells)
        widths = fit_widths(columns, natural, room, short_id)
        if widths != self.widths or columns != self.columns:
            self.columns, self.widths = columns, widths
            self._update_virtual_size()
            self.refresh()

    @staticmethod
    def _natural(columns: Sequence[Column], cells: list[dict[str, int]]) -> list[int]:
        """Each column's width showing its cells whole (``cells``: their widths by key)."""
        return [
            natural_width(column, [row[column.key] for row in cells] if column.most else [])
            for column in columns
        ]

    def _measure(self, tasks: Sequence[Task]) -> list[dict[str, int]]:
        """Each task's cell widths in the columns that grow, by column key.

        A page the poll did not fetch again keeps its task objects: their
        widths are remembered, so a refresh measures only the fresh rows.
        """
        growing = [column for column in self.all_columns if column.most is not None]
        measured: dict[str, tuple[Task, dict[str, int]]] = {}
        for task in tasks:
            known = self._measured.get(task.task_id)
            if known is None or known[0] is not task:
                assert self.data is not None
                context = self.data.context(task)
                widths = {c.key: self._render_cell(c, task, context).cell_len for c in growing}
                known = (task, widths)
            measured[task.task_id] = known
        self._measured = measured
        self._cells = {key: cells for key, cells in self._cells.items() if key in measured}
        return [widths for _, widths in measured.values()]

    def on_resize(self) -> None:
        self.fit_columns()
        self._update_virtual_size()

    def set_follow(self, on: bool) -> None:
        """Follow new tasks (the cursor goes to the first row and rides it) or stay on one."""
        self.follow = on
        if on:
            self.move_to(0)

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
            self.new_above = 0
            self._set_cursor(0, None)
            return
        same_view, self._shown_query = self._shown_query == window.query, window.query
        if not same_view:
            self.new_above = 0
        if same_view and self.follow and self._on_head and not self.hold_cursor:
            # Following: on the first row the cursor rides the head as new tasks arrive.
            task = window.row(0)
            if task is not None:
                self._set_cursor(0, task.task_id)
                return
        self._on_head = False
        if self.cursor_id is not None:
            index = window.index_of(self.cursor_id)
            if index is not None:
                if index != self.cursor:
                    # Keep the task at the same height on screen; what pushed it down is above.
                    shift = index - self.cursor
                    self.scroll_to(y=max(0, self.scroll_y + shift), animate=False)
                    if same_view:
                        self.new_above = max(0, self.new_above + shift)
                self._set_cursor(index, self.cursor_id)
                self._clip_new_above()
                return
            first, last = self.visible_range()
            if self.hold_cursor or window.missing_pages(first, last):
                return  # its page is on the way; decide when it arrives
        index = min(self.cursor, total - 1)
        task = window.row(index)
        self._set_cursor(index, task.task_id if task else None)

    def _clip_new_above(self) -> None:
        """Only rows still above the screen count as new above."""
        self.new_above = min(self.new_above, self.first_row)

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
        """Scroll sideways by whole columns (``step``'s sign is the direction)."""
        starts = self._column_starts()
        x = int(self.scroll_x)
        if step > 0:
            target = next((start for start in starts if start > x), x)
        else:
            target = next((start for start in reversed(starts) if start < x), 0)
        self.scroll_to(x=target, animate=False)

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
        self._clip_new_above()
        self._announce_range()

    # -- mouse -------------------------------------------------------------------

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y == 0:
            x = offset.x if offset.x < self.frozen_width else offset.x + int(self.scroll_x)
            column = self._column_at(x)
            if column is not None and column.sort_field is not None:
                self.post_message(self.SortRequested(column.sort_field))
            return
        self.move_to(self.first_row + offset.y - 1)
        if event.chain == 2:
            self.action_open()

    def _column_at(self, x: int) -> Column | None:
        edge = GUTTER
        for column, width in zip(self.columns, self.widths, strict=True):
            edge += width + 1
            if x < edge:
                return column
        return None

    # -- rendering ---------------------------------------------------------------

    def refresh_changed(self) -> None:
        """Repaint only the screen lines whose content changed since they were drawn.

        A quiet dashboard over SSH must not resend the whole table every
        second: a poll that changed nothing, or a clock tick with no running
        task in view, writes nothing to the terminal. A changed line is drawn
        once: the repaint takes the line drawn here to compare.
        """
        width = self.size.width
        base = self.rich_style
        frame = self._frame(base)
        regions: list[Region] = []
        for y in range(self.scrollable_content_region.height):
            line = self._line_strip(y)
            painted = self._painted_from.get(y)
            if painted is not None and painted[0] is line and painted[1] == frame:
                # Not one cell of the row changed (the row kept its line): nothing to compare.
                self._fresh.pop(y, None)
                continue
            strip = self._screen_line(line, base)
            old, new = self._painted.get(y), _strip_key(strip)
            if old == new:
                self._fresh.pop(y, None)
                self._painted_from[y] = (line, frame)
                continue
            # A ticking duration changes a few characters of a row: repaint just those.
            spans = _changed_spans(old, new)
            for left, right in [(0, width)] if spans is None else spans:
                right = min(right, width)
                if right > left:
                    regions.append(Region(left, y, right - left, 1))
            self._fresh[y] = (self._view(), strip.apply_style(base), new, line, frame)
        if regions:
            fresh = self._fresh
            self.refresh(*regions)
            self._fresh = fresh

    def _frame(self, base: Style) -> LineFrame:
        """What decides a screen line besides its table line (see :meth:`_screen_line`)."""
        return int(self.scroll_x), self.scrollable_content_region.width, base

    def _view(self) -> tuple[int, int, Size]:
        """Where the table is scrolled to and its size: a line drawn ahead is for these."""
        return self.first_row, int(self.scroll_x), self.size

    def refresh(
        self, *regions: Region, repaint: bool = True, layout: bool = False, recompose: bool = False
    ) -> TaskTable:
        """Textual's refresh; what was drawn ahead for it may have changed since (a scroll, a
        cursor move, new columns): it is drawn again."""
        self._fresh = {}
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    def notify_style_update(self) -> None:
        self._kind_styles.clear()
        self._cells.clear()
        self._painted_from.clear()
        self._fresh = {}
        super().notify_style_update()

    def _line_strip(self, y: int) -> Strip:
        return self._header_strip() if y == 0 else self._row_strip(self.first_row + y - 1)

    def _screen_line(self, strip: Strip, base: Style) -> Strip:
        """A table line as the screen shows it: the frozen cells, then the rest scrolled sideways.

        ``base`` is the widget's style (asked once for all the lines drawn at a time)."""
        width = self.scrollable_content_region.width
        scroll_x = int(self.scroll_x)
        frozen = min(self.frozen_width, width)
        # A column cut by the right edge is left blank: "6h ag" under "SUBMITTE" says less
        # than nothing; it shows whole once scrolled to.
        end = self._whole_columns_end(self.frozen_width + scroll_x, scroll_x + width)
        if scroll_x == 0 or frozen == 0:
            shown = strip.crop_extend(scroll_x, end, base)
        else:
            shown = Strip.join(
                [
                    strip.crop_extend(0, frozen, base),
                    strip.crop_extend(frozen + scroll_x, end, base),
                ]
            )
        return shown.extend_cell_length(width, base)

    def _whole_columns_end(self, start: int, limit: int) -> int:
        """Where the last column whose cells end between ``start`` and ``limit`` ends.

        In line cells, its separator included when it fits (the sort arrow of a
        full title is drawn there); ``limit`` itself when no column ends there
        (a column wider than the screen is shown in part rather than not at all).
        """
        ends = itertools.accumulate((width + 1 for width in self.widths), initial=GUTTER)
        whole = [end for end in ends if start < end - 1 <= limit]
        return min(whole[-1], limit) if whole else limit

    def render_line(self, y: int) -> Strip:
        drawn = self._fresh.pop(y, None)
        if drawn is not None and drawn[0] == self._view():
            self._painted[y] = drawn[2]
            self._painted_from[y] = (drawn[3], drawn[4])
            return drawn[1]
        base = self.rich_style
        line = self._line_strip(y)
        strip = self._screen_line(line, base)
        self._painted[y] = _strip_key(strip)
        self._painted_from[y] = (line, self._frame(base))
        # The widget style goes under every cell (and fills unstyled segments).
        return strip.apply_style(base)

    def _header_strip(self) -> Strip:
        base = self.get_component_rich_style("task-table--header")
        sorted_style = self.get_component_rich_style("task-table--sorted", partial=True)
        segments: list[Segment] = [Segment(" " * GUTTER, base)]
        for column, width in zip(self.columns, self.widths, strict=True):
            title = column.title
            style = base
            after = " "
            if column.sort_field is not None and column.sort_field == self.sort_field:
                arrow = "▼" if self.sort_descending else "▲"
                if len(title) < width:
                    title += arrow
                else:
                    after = arrow  # in the gap after the column: the label stays whole
                style = base + sorted_style
            segments.append(Segment(_fit(title, width, column.align) + after, style))
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
        drawn = self._drawn(task)
        cells = self._cell_segments(task, context, drawn)
        row_style = Style()
        if task.task_id in self.marked:
            row_style += self.get_component_rich_style("task-table--marked")
        on_cursor = index == self.cursor and self.cursor_id == task.task_id
        if on_cursor:
            cursor = self.get_component_rich_style("task-table--cursor")
            row_style += readable(cursor, monochrome=self.app.no_color)
        marks = ("✓" if task.task_id in self.marked else " ") + (
            "◉" if self.watched(task.task_id) else " "
        )
        kind = None if on_cursor else self._kind_style(context.status)
        state = (marks, row_style, kind)
        kept = drawn.row
        if kept is not None and kept[0] == state and all(map(operator.is_, kept[1], cells)):
            return kept[2]  # the same cells, the same look: the same line
        segments = [Segment(marks)]
        for column, cell in zip(self.columns, cells, strict=True):
            if column.key == "status" and kind is not None:
                # The cursor row keeps the cursor's colours (a status colour can
                # be the cursor's own background); the symbol still tells the kind.
                cell = [Segment(text, style + kind if style else kind) for text, style, _ in cell]
            segments.extend(cell)
            segments.append(_GAP)
        # The row's style goes under the cells' own.
        # One segment per run of one style, not one per cell and gap: every later step
        # of a redraw (cropping, styling, comparing, writing) goes through each segment.
        styled = Segment.apply_style(segments, row_style)
        strip = Strip(Segment.simplify(styled), self.table_width)
        drawn.row = (state, cells, strip)
        return strip

    def _drawn(self, task: Task) -> _Drawn:
        """What was drawn of ``task`` at the columns and widths now (new if they changed)."""
        widths = tuple(self.widths)
        known = self._cells.get(task.task_id)
        if (
            known is None
            or known.task is not task
            or known.columns is not self.columns
            or known.widths != widths
        ):
            known = self._cells[task.task_id] = _Drawn(task, self.columns, widths)
        return known

    def _cell_segments(self, task: Task, context: RowContext, drawn: _Drawn) -> list[list[Segment]]:
        """The row's cells cut to their columns, as segments; each is cut again only when
        its text changed, and those of the task alone are drawn once a task.

        The clock ticks every row of running tasks each second; their names,
        projects and machines need not be sanitized, cut and rendered again each time,
        nor a status or an age that still says the same.
        """
        console = self.app.console
        cells = []
        for column, width in zip(self.columns, drawn.widths, strict=True):
            cell = drawn.fixed.get(column.key)
            if cell is None:
                text = self._render_cell(column, task, context)
                if column.task_only:
                    cell = drawn.fixed[column.key] = _segments(_cut(text, width, column), console)
                else:
                    key: CellKey = (text.plain, text.style, tuple(text.spans))
                    held = drawn.ticking.get(column.key)
                    if held is not None and held[0] == key:
                        cell = held[1]
                    else:
                        cell = _segments(_cut(text, width, column), console)
                        drawn.ticking[column.key] = (key, cell)
            cells.append(cell)
        return cells

    def _kind_style(self, code: str) -> Style:
        kind = status_info(code).kind
        known = self._kind_styles.get(kind)
        if known is None:
            # Only the colour: the row's background (marks) must show through.
            style = self.get_component_rich_style(KIND_CLASSES[kind])
            known = self._kind_styles[kind] = Style(color=style.color, bold=style.bold)
        return known


_BLACK, _WHITE = Color(0, 0, 0), Color(255, 255, 255)


def _luminance(color: Color) -> float:
    def channel(value: int) -> float:
        level = value / 255
        return level / 12.92 if level <= 0.03928 else ((level + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(color.r) + 0.7152 * channel(color.g) + 0.0722 * channel(color.b)


def contrast(one: Color, other: Color) -> float:
    """WCAG contrast ratio of two colours: 1 (the same) to 21 (black on white)."""
    light, dark = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def readable(style: Style, *, monochrome: bool = False) -> Style:
    """``style`` with black or white text where its own text is faint on its background.

    Some themes' cursor text is (gruvbox's #fbf1c7 on #85a598). Colours of the
    terminal's own palette (ANSI themes) are left to the terminal. With
    ``monochrome`` (NO_COLOR) the greys the screen will show are compared.
    """
    if style.color is None or style.bgcolor is None:
        return style
    text, background = Color.from_rich_color(style.color), Color.from_rich_color(style.bgcolor)
    if text.ansi is not None or background.ansi is not None:
        return style
    if monochrome:
        text, background = text.monochrome, background.monochrome
    if contrast(text, background) >= MIN_CONTRAST:
        return style
    best = max((_BLACK, _WHITE), key=lambda candidate: contrast(candidate, background))
    return style + Style(color=best.rich_color)


LineFrame = tuple[int, int, Style]
"""How far the table is scrolled sideways, its width for cells, its style."""

LineKey = tuple[tuple[str, Style | None], ...]
"""What a line looks like (its segments' text and style), to tell whether it changed."""


def _strip_key(strip: Strip) -> LineKey:
    """What a line looks like, to tell whether it needs repainting."""
    return tuple((segment.text, segment.style) for segment in strip)


SPAN_GAP = 4
"""Changed runs of a line this close are repainted as one (a cursor move costs more)."""


def _changed_spans(old: LineKey | None, new: LineKey) -> list[tuple[int, int]] | None:
    """The cell spans where two drawings of a line differ; None when the layout moved.

    Within a segment only the characters that changed count: a row is a few
    long segments (one per style), and a ticking duration changes two or three
    characters of one, which is all that needs to be written again.
    """
    if old is None or len(old) != len(new):
        return None
    spans: list[tuple[int, int]] = []
    offset = 0
    for before, after in zip(old, new, strict=True):
        width = cell_len(after[0])
        if cell_len(before[0]) != width:
            return None
        if before != after:
            for left, right in _changed_chars(before, after, width):
                if spans and offset + left - spans[-1][1] <= SPAN_GAP:
                    spans[-1] = (spans[-1][0], offset + right)
                else:
                    spans.append((offset + left, offset + right))
        offset += width
    return spans


def _changed_chars(
    before: tuple[str, Style | None], after: tuple[str, Style | None], width: int
) -> list[tuple[int, int]]:
    """Runs of changed characters of one segment, in cells (the whole segment if unsure)."""
    text_before, text_after = before[0], after[0]
    if before[1] != after[1] or len(text_after) != width or len(text_before) != width:
        return [(0, width)]  # a new style, or wide characters: cells and characters differ
    runs: list[tuple[int, int]] = []
    for index, (a, b) in enumerate(zip(text_before, text_after, strict=True)):
        if a != b:
            if runs and runs[-1][1] == index:
                runs[-1] = (runs[-1][0], index + 1)
            else:
                runs.append((index, index + 1))
    return runs


_GAP = Segment(" ")
"""Between two cells."""


def _segments(cell: Text, console: Console) -> list[Segment]:
    """``cell`` as segments, as Text.render makes them (which drops the base style of a
    text without spans); most cells are one plain run, made here without the machinery."""
    if not cell.spans:
        return [Segment(cell.plain)]
    return list(cell.render(console))


def _cut(cell: Text, width: int, column: Column) -> Text:
    """``cell`` fitted to ``width`` as the column cuts: at a word, a bare prefix, or ``…``."""
    if cell.cell_len > width and column.cut == "words":
        space = cell.plain.rfind(" ", 0, width)
        if space > cell.plain.find(" "):  # keep more than the status symbol
            cell = cell[:space]
            cell.append("…")
    cell.truncate(width, overflow="crop" if column.cut == "prefix" else "ellipsis", pad=True)
    if column.align == "right":
        cell.rstrip()
        cell.pad_left(width - cell.cell_len)
    return cell


def _fit(text: str, width: int, align: str) -> str:
    if len(text) > width:
        return text[: max(0, width - 1)] + "…"
    return text.rjust(width) if align == "right" else text.ljust(width)
