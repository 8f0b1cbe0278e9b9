"""A scrolling view of a :class:`~inductiva_top.monitor.output.tailbuffer.TailBuffer` (line API).

Only the lines on screen are rendered (``render_line``), from text the
buffer already sanitized, as Rich ``Text`` (never markup). Updates are
applied in batches (one :meth:`TailView.apply` per
:class:`~inductiva_top.monitor.output.tailbuffer.TailUpdate`).

Follow mode: while on, each batch scrolls to the end. Scrolling up pauses it
and counts the lines that arrived since ("N new lines"); End, or scrolling
back to the bottom, resumes it.

Wrap mode (:attr:`TailView.wrap`): a line longer than the view goes on over
the next rows, cut at the view's width as a terminal does, instead of
running off to the right (scrolled to with the arrows).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import replace

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from inductiva_top.monitor.output.tailbuffer import (
    SearchQuery,
    TailBuffer,
    TailLine,
    TailMatch,
    TailUpdate,
)

__all__ = ["TailView"]

_MARKS = {"stdout": ("out│", "dim"), "stderr": ("err│", "red")}
_MARK_WIDTH = 5
"""Cells a stream mark and its space take before a merged line."""
_MATCH = Style(bgcolor="yellow", color="black")
_CURRENT = Style(bgcolor="bright_magenta", color="black", bold=True)


class TailView(ScrollView, can_focus=True):
    """The lines of a tail buffer, scrollable, with follow mode and search highlights."""

    DEFAULT_CSS = """
    TailView { height: 1fr; }
    TailView.-wrap { scrollbar-gutter: stable; }
    """

    following: reactive[bool] = reactive(True)
    """Whether new lines scroll the view to the end."""
    wrap: reactive[bool] = reactive(False)
    """Whether long lines go on over the next rows (else they run off to the right)."""

    class FollowChanged(Message):
        """Follow mode or the count of unseen lines changed."""

        def __init__(self, following: bool, new_lines: int) -> None:
            super().__init__()
            self.following = following
            self.new_lines = new_lines

    def __init__(self, buffer: TailBuffer, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.buffer = buffer
        self.new_lines = 0
        """Lines that arrived while follow mode was paused."""
        self.message: str | None = None
        """Shown (dim) when there are no lines: why nothing shows."""
        self._lines: list[TailLine] = []
        self._width = 0
        self._starts: list[int] = [0]
        """Wrap mode: the first row of each line, and the row count at the end."""
        self._wrap_width = 0
        self._cache: LRUCache[tuple[int, int], Strip] = LRUCache(1024)
        self._query: SearchQuery | None = None
        self._matches: list[TailMatch] = []
        self._by_line: dict[int, list[int]] = {}
        self._current: int | None = None

    # --- content ------------------------------------------------------------------

    @property
    def lines(self) -> list[TailLine]:
        """What is shown, oldest first (complete lines, then open ones)."""
        return self._lines

    def reset(self, message: str | None = None) -> None:
        """Forget every line (a new task or mode) and show ``message`` if given."""
        self.buffer.clear()
        self.message = message
        self._lines = []
        self._width = 0
        self._cache.clear()
        self._set_matches([])
        self._current = None
        self.new_lines = 0
        self.following = True
        self._layout()
        self.scroll_to(0, 0, animate=False, immediate=True)
        self.refresh()

    def show_message(self, message: str | None) -> None:
        """Set the dim line shown while there are no lines (redrawn only if it changed)."""
        if message != self.message:
            self.message = message
            self.refresh()

    def apply(self, update: TailUpdate) -> None:
        """Show what one buffer feed changed (one redraw per batch)."""
        if not update.changed:
            return
        complete_before = len(self._lines) - sum(1 for line in self._lines if not line.complete)
        dropped_rows = self._row_of(update.dropped) if update.dropped else 0
        self._lines = self.buffer.lines()
        # Indexes shift when lines drop and open lines change in place; only the
        # lines on screen are rendered again, so starting over is cheap.
        self._cache.clear()
        added = max((cell_len(line.text) for line in update.added), default=0)
        opened = max((cell_len(line.text) for line in update.open_lines), default=0)
        self._width = max(self._width, added + _MARK_WIDTH, opened + _MARK_WIDTH)
        if self._query is not None:
            if not update.added and not update.dropped:
                # Only the line being written changed: search it alone (a progress
                # bar rewrites it many times a second under a long output).
                kept = [m for m in self._matches if m.index < complete_before]
                opened_matches = self._query.search(self._lines[complete_before:])
                kept += [replace(m, index=m.index + complete_before) for m in opened_matches]
                self._set_matches(kept)
            else:
                self._set_matches(self._query.search(self._lines))
        self._layout()
        if self.following:
            # Deferred: the new virtual size counts only after the next layout.
            self.scroll_end(animate=False, x_axis=False)
        else:
            if update.dropped:
                # The oldest lines went: keep the lines the user reads in place.
                y = max(0, round(self.scroll_y) - dropped_rows)
                self.scroll_to(y=y, animate=False, immediate=True)
            self.new_lines += len(update.added)
            self.post_message(self.FollowChanged(False, self.new_lines))
        self.refresh()

    # --- rows -------------------------------------------------------------------

    def _layout(self) -> None:
        """Set the virtual size: a row per line, or in wrap mode as many as each line needs."""
        if not self.wrap:
            self._starts = [0]
            self.virtual_size = Size(self._width, len(self._lines))
            return
        # The gutter is kept for the scrollbar (-wrap): rows do not change width
        # when it comes and goes.
        width = max(1, self.size.width - self.styles.scrollbar_size_vertical)
        self._wrap_width = width
        starts = [0]
        row = 0
        for line in self._lines:
            cells = cell_len(line.text) + (_MARK_WIDTH if line.stream else 0)
            row += max(1, -(-cells // width))
            starts.append(row)
        self._starts = starts
        self.virtual_size = Size(width, row)

    def _row_of(self, index: int) -> int:
        """The first row of line ``index`` (rows past the end count one per line)."""
        if not self.wrap:
            return index
        if index < len(self._starts):
            return self._starts[index]
        return self._starts[-1] + index - (len(self._starts) - 1)

    def _line_at(self, row: int) -> tuple[int, int]:
        """The line on ``row`` and which of its rows it is."""
        if not self.wrap:
            return row, 0
        index = bisect_right(self._starts, row) - 1
        return index, row - self._starts[index]

    def watch_wrap(self, wrap: bool) -> None:
        self.set_class(wrap, "-wrap")
        reading = self._line_at(round(self.scroll_y))[0]
        self._cache.clear()
        self._layout()
        if self.following:
            self.scroll_end(animate=False, x_axis=False)
        else:
            self.scroll_to(x=0, y=self._row_of(reading), animate=False)
        self.refresh()

    def on_resize(self) -> None:
        if self.wrap and self.size.width - self.styles.scrollbar_size_vertical != self._wrap_width:
            self._layout()
            if self.following:
                self.scroll_end(animate=False, x_axis=False)

    # --- follow mode --------------------------------------------------------------

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        at_end = new_value >= self.max_scroll_y - 0.5
        if new_value < old_value and not at_end and self.following:
            self.following = False
        elif at_end and not self.following and new_value > old_value:
            self.following = True

    def watch_following(self, following: bool) -> None:
        if following:
            self.new_lines = 0
        self.post_message(self.FollowChanged(following, self.new_lines))

    def action_scroll_home(self) -> None:
        """Home: the oldest line kept, at once (follow mode pauses).

        Not animated: while the oldest lines drop, every batch moves the view to
        keep the lines read in place, which would stop an animation on its way.
        """
        self.scroll_to(0 if self.scroll_y == 0 else None, 0, animate=False, immediate=True)

    def action_scroll_end(self) -> None:
        """End: back to the newest line, follow mode on."""
        self.following = True
        self.scroll_end(animate=False, immediate=True, x_axis=False)

    # --- search -------------------------------------------------------------------

    def set_search(self, query: SearchQuery | None) -> int:
        """Highlight ``query``'s matches (None: none); jumps to the last one. Returns the count."""
        self._query = query if query is not None and query.compiled is not None else None
        self._set_matches(self._query.search(self._lines) if self._query else [])
        self._current = None
        self._cache.clear()
        if self._matches:
            self.goto_match(len(self._matches) - 1)
        self.refresh()
        return len(self._matches)

    def _set_matches(self, matches: list[TailMatch]) -> None:
        self._matches = matches
        self._by_line = {}
        for number, match in enumerate(matches):
            self._by_line.setdefault(match.index, []).append(number)
        if self._current is not None and self._current >= len(matches):
            self._current = None

    @property
    def matches(self) -> list[TailMatch]:
        """The current search's matches, in line order."""
        return self._matches

    @property
    def current_match(self) -> int | None:
        """The number of the match ``n``/``N`` moved to (from 0), or None."""
        return self._current

    def step_match(self, step: int) -> TailMatch | None:
        """Move to the next (``1``) or previous (``-1``) match, wrapping around."""
        if not self._matches:
            return None
        if self._current is None:
            index = 0 if step > 0 else len(self._matches) - 1
        else:
            index = (self._current + step) % len(self._matches)
        return self.goto_match(index)

    def goto_match(self, index: int) -> TailMatch:
        """Scroll to match ``index`` (pausing follow mode) and mark it current."""
        self._current = index
        match = self._matches[index]
        self._cache.clear()
        row = self._row_of(match.index)
        target = max(0, row - self.scrollable_content_region.height // 2)
        if row < self.scroll_y or row >= self.scroll_y + self.size.height:
            self.following = False
            self.scroll_to(y=target, animate=False, immediate=True)
        self.refresh()
        return match

    # --- rendering ----------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._cache.clear()

    def _text(self, index: int, line: TailLine) -> Text:
        text = Text(no_wrap=True, end="")
        mark = _MARKS.get(line.stream or "")
        offset = 0
        if mark is not None:
            text.append(mark[0] + " ", style=mark[1])
            offset = len(mark[0]) + 1
        text.append(line.text, style="" if line.complete else "italic")
        for number in self._by_line.get(index, ()):
            match = self._matches[number]
            style = _CURRENT if number == self._current else _MATCH
            text.stylize(style, offset + match.start, offset + match.end)
        return text

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        row = scroll_y + y
        width = self.size.width
        base = self.rich_style
        if not self._lines:
            return self._message_row(row, width, base)
        index, part = self._line_at(row)
        if index >= len(self._lines):
            return Strip.blank(width, base)
        strip = self._cache.get((index, 0))
        if strip is None:
            strip = self._strip(self._text(index, self._lines[index]), base)
            self._cache[(index, 0)] = strip
        if self.wrap:
            # The row is the wrap width; the rest is under the scrollbar.
            wrap = self._wrap_width
            start = part * wrap
            cut = strip.crop_extend(start, start + wrap, base)
            if width > wrap:
                cut = Strip.join([cut, Strip.blank(width - wrap, base)])
            return cut.apply_offsets(start, row)
        return strip.crop_extend(scroll_x, scroll_x + width, base).apply_offsets(scroll_x, row)

    def _message_row(self, row: int, width: int, base: Style) -> Strip:
        """Row ``row`` of the message, wrapped to the view's width (it is read in full)."""
        if not self.message or width <= 0:
            return Strip.blank(width, base)
        rows = Text(self.message, style="dim", end="").wrap(self.app.console, width)
        if row >= len(rows):
            return Strip.blank(width, base)
        return self._strip(rows[row], base).crop_extend(0, width, base)

    def _strip(self, text: Text, base: Style) -> Strip:
        # Every segment gets a full style: filters (NO_COLOR's monochrome) expect one.
        return Strip(
            Segment(seg.text, base + seg.style if seg.style else base)
            for seg in text.render(self.app.console)
            if seg.text
        )
