"""The live tail pane's model: a bounded buffer of sanitized output lines.

Chunks of task output (``str`` or ``bytes``, from one or two streams) go in;
sanitized, capped lines come out, in batches. A line without its newline yet
is *open*: later chunks extend it, and a carriage return rewrites it, so a
``\\r`` progress bar shows as one line that updates in place. Each stream has
its own open line and its own UTF-8 decoder (a character split across two
chunks decodes whole). Complete lines of both streams share one sequence in
arrival order, each marked with its stream.

Everything shown went through :mod:`inductiva_top.monitor.sanitize`.
"""

from __future__ import annotations

import codecs
import re
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

from inductiva_top.monitor.sanitize import DEFAULT_LINE_MAX, render_cr, sanitize_line_info

__all__ = [
    "DEFAULT_MAX_LINES",
    "SearchError",
    "SearchQuery",
    "Stream",
    "TailBuffer",
    "TailLine",
    "TailMatch",
    "TailUpdate",
]

Stream = Literal["stdout", "stderr"]

DEFAULT_MAX_LINES = 10_000
"""Default number of complete lines kept."""


@dataclass(frozen=True, slots=True)
class TailLine:
    """One sanitized line.

    ``seq`` numbers complete lines in arrival order from 0 and never changes,
    so ``buffer[seq - buffer.first_seq]`` is the line. An open line has
    ``seq == -1`` and ``complete == False``; when it completes it arrives in
    :attr:`TailUpdate.added` with its number.
    """

    seq: int
    text: str
    stream: Stream | None = None
    cut: bool = False
    complete: bool = True


@dataclass(frozen=True, slots=True)
class TailUpdate:
    """What one :meth:`TailBuffer.feed` changed, to apply in one batch.

    To mirror the buffer: drop ``dropped`` lines from the front of the copy,
    append ``added``, and replace the open lines with ``open_lines``.
    """

    version: int
    added: tuple[TailLine, ...] = ()
    dropped: int = 0
    """Lines the mirror had before this update that are gone now (the oldest)."""
    open_lines: tuple[TailLine, ...] = ()
    """The current open lines, at most one per stream."""
    open_changed: bool = False

    @property
    def changed(self) -> bool:
        """True when the update changes anything on screen."""
        return bool(self.added or self.dropped or self.open_changed)


@dataclass
class _StreamState:
    """The open line of one stream."""

    decoder: codecs.IncrementalDecoder = field(
        default_factory=lambda: codecs.getincrementaldecoder("utf-8")(errors="replace")
    )
    base: str = ""
    """Clean text of the open line as of its last carriage return (cursor at 0)."""
    raw: str = ""
    """Raw text written since that carriage return."""
    discarded: int = 0
    """Characters of the open line thrown away to bound memory."""

    @property
    def is_open(self) -> bool:
        return bool(self.base or self.raw)

    def reset(self) -> None:
        self.base = ""
        self.raw = ""
        self.discarded = 0


class TailBuffer:
    """Bounded, sanitized lines of one or two output streams.

    ``max_lines`` complete lines are kept (the oldest are dropped and
    counted); each line is capped at ``max_line_len`` characters and marked
    when cut. For a line that arrived in many pieces longer than the cap, the
    cut count is approximate: it counts what was discarded to bound memory,
    which may include escape sequences or text a carriage return overwrote.
    """

    def __init__(
        self, max_lines: int = DEFAULT_MAX_LINES, max_line_len: int = DEFAULT_LINE_MAX
    ) -> None:
        if max_lines < 1:
            raise ValueError(f"max_lines must be at least 1, got {max_lines}")
        if max_line_len < 1:
            raise ValueError(f"max_line_len must be at least 1, got {max_line_len}")
        self.max_lines = max_lines
        self.max_line_len = max_line_len
        # Raw text kept for an open line: room for escape sequences around a
        # full-length line, yet bounded however long a line without newline is.
        self._raw_limit = max(4 * max_line_len, 4096)
        self._lines: deque[TailLine] = deque(maxlen=max_lines)
        self._streams: dict[Stream | None, _StreamState] = {}
        self._open: dict[Stream | None, TailLine] = {}
        self._next_seq = 0
        self.version = 0
        """Bumped by every change; a widget compares it to skip redraws."""
        self.dropped_total = 0
        """Complete lines dropped from the front since the buffer was made."""

    # --- reading --------------------------------------------------------

    def __len__(self) -> int:
        return len(self._lines)

    def __iter__(self) -> Iterator[TailLine]:
        return iter(self._lines)

    def __getitem__(self, index: int) -> TailLine:
        return self._lines[index]

    @property
    def first_seq(self) -> int:
        """``seq`` of the oldest kept line (``next_seq`` when empty)."""
        return self._lines[0].seq if self._lines else self._next_seq

    @property
    def next_seq(self) -> int:
        """``seq`` the next complete line will get."""
        return self._next_seq

    @property
    def open_lines(self) -> tuple[TailLine, ...]:
        """The open lines, at most one per stream, stdout before stderr."""
        return tuple(self._open[key] for key in sorted(self._open, key=_STREAM_RANK.__getitem__))

    def lines(self) -> list[TailLine]:
        """Complete lines, oldest first, then the open lines: what the pane shows."""
        return [*self._lines, *self.open_lines]

    # --- writing --------------------------------------------------------

    def feed(self, chunk: str | bytes, stream: Stream | None = None) -> TailUpdate:
        """Add a chunk of ``stream``'s output; returns what changed."""
        state = self._state(stream)
        if isinstance(chunk, (bytes, bytearray)):
            text = state.decoder.decode(bytes(chunk))
        else:
            text = chunk
        return self._apply(stream, state, text, final=False)

    def feed_lines(
        self, lines: Sequence[str], stream: Stream | None = None, partial: str = ""
    ) -> TailUpdate:
        """Add whole lines of ``stream``, then ``partial``, text of the line being written.

        The first line replaces the stream's open line (it is that line,
        complete); ``partial`` then starts or extends the open line, as
        :meth:`feed` would. This is how a follow stream that sends the line
        being written apart from the complete lines is mirrored.
        """
        state = self._state(stream)
        text = partial
        if lines:
            state.reset()
            text = "\n".join(lines) + "\n" + partial
        return self._apply(stream, state, text, final=False)

    def flush(self, stream: Stream | None = None) -> TailUpdate:
        """End of ``stream``: a trailing partial character and the open line complete."""
        state = self._state(stream)
        return self._apply(stream, state, state.decoder.decode(b"", final=True), final=True)

    def _state(self, stream: Stream | None) -> _StreamState:
        state = self._streams.get(stream)
        if state is None:
            state = self._streams[stream] = _StreamState()
        return state

    def clear(self) -> TailUpdate:
        """Forget every line (a new task or file is shown); ``seq`` keeps counting."""
        dropped = len(self._lines)
        had_open = bool(self._open)
        self.dropped_total += dropped
        self._lines.clear()
        self._streams.clear()
        self._open.clear()
        self.version += 1
        return TailUpdate(self.version, dropped=dropped, open_changed=had_open)

    def _apply(
        self, stream: Stream | None, state: _StreamState, text: str, *, final: bool
    ) -> TailUpdate:
        before_len = len(self._lines)
        before_first = self.first_seq
        was_open = self._open.get(stream)
        pieces = text.split("\n")
        completed = 0
        for piece in pieces[:-1]:
            self._complete(stream, state, piece)
            completed += 1
        self._extend(state, pieces[-1])
        if final and state.is_open:
            self._complete(stream, state, "")
            completed += 1
        self._refresh_open(stream, state)
        open_changed = self._open.get(stream) != was_open
        if not completed and not open_changed:
            return TailUpdate(self.version, open_lines=self.open_lines)
        self.version += 1
        kept_new = min(completed, len(self._lines))
        # Index from the right: a deque is O(1) at its ends, O(n) in the middle.
        added = tuple(self._lines[i] for i in range(-kept_new, 0))
        dropped = min(before_len, self.first_seq - before_first)
        self.dropped_total += self.first_seq - before_first
        return TailUpdate(self.version, added, dropped, self.open_lines, open_changed)

    def _complete(self, stream: Stream | None, state: _StreamState, piece: str) -> None:
        info = sanitize_line_info(
            state.raw + piece, self.max_line_len, base=state.base, extra_cut=state.discarded
        )
        self._lines.append(TailLine(self._next_seq, info.text, stream, info.cut))
        self._next_seq += 1
        state.reset()

    def _extend(self, state: _StreamState, piece: str) -> None:
        state.raw += piece
        if "\r" in piece:
            # Settle everything up to the last carriage return into clean text;
            # only what follows it can still be rewritten by later chunks.
            head, _, state.raw = state.raw.rpartition("\r")
            state.base = render_cr(head, state.base)
            if len(state.base) > self.max_line_len:
                state.discarded += len(state.base) - self.max_line_len
                state.base = state.base[: self.max_line_len]
        if len(state.raw) > self._raw_limit:
            state.discarded += len(state.raw) - self._raw_limit
            state.raw = state.raw[: self._raw_limit]

    def _refresh_open(self, stream: Stream | None, state: _StreamState) -> None:
        if not state.is_open:
            self._open.pop(stream, None)
            return
        info = sanitize_line_info(
            state.raw, self.max_line_len, base=state.base, extra_cut=state.discarded
        )
        self._open[stream] = TailLine(-1, info.text, stream, info.cut, complete=False)

    # --- search ---------------------------------------------------------

    def search(
        self, pattern: str, *, regex: bool = False, ignore_case: bool | None = None
    ) -> list[TailMatch]:
        """Every match of ``pattern`` in :meth:`lines`, in order.

        Raises :class:`SearchError` (with a message fit to show) for an
        invalid or refused regex. See :class:`SearchQuery` for the options.
        """
        query = SearchQuery.compile(pattern, regex=regex, ignore_case=ignore_case)
        return query.search(self.lines())


@dataclass(frozen=True, slots=True)
class TailMatch:
    """One match: the line's index in the searched list, its ``seq``, and the span."""

    index: int
    seq: int
    start: int
    end: int


class SearchError(ValueError):
    """A search pattern that cannot be used; the message says why, for the user."""


# Nested repetitions like (a+)+ or (\w+\s?)* backtrack exponentially on a
# near-miss, and Python's re cannot be interrupted: refuse a group that ends
# in a repetition and is itself repeated. A heuristic: (a|aa)+ gets through.
_NESTED_QUANTIFIER_RE = re.compile(r"[+*?}]\)[+*{]")


@dataclass(frozen=True)
class SearchQuery:
    """A compiled tail search.

    Plain text by default; ``regex=True`` takes a Python regular expression.
    ``ignore_case=None`` is smart case: case-insensitive unless the pattern
    has an upper-case letter. Empty matches are skipped (nothing to highlight).
    """

    pattern: str
    compiled: re.Pattern[str] | None

    @classmethod
    def compile(
        cls, pattern: str, *, regex: bool = False, ignore_case: bool | None = None
    ) -> SearchQuery:
        """Build a query; raises :class:`SearchError` for a bad regex."""
        if not pattern:
            return cls(pattern, None)
        if ignore_case is None:
            ignore_case = pattern == pattern.lower()
        flags = re.IGNORECASE if ignore_case else 0
        if not regex:
            return cls(pattern, re.compile(re.escape(pattern), flags))
        if _NESTED_QUANTIFIER_RE.search(pattern):
            raise SearchError(
                f"regex {pattern!r} nests repetitions like (a+)+, which can take forever; "
                "simplify it"
            )
        try:
            return cls(pattern, re.compile(pattern, flags))
        except (re.error, OverflowError, RecursionError) as exc:
            raise SearchError(f"invalid regex {pattern!r}: {exc}") from None

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Start and end of every non-empty match in ``text``."""
        if self.compiled is None:
            return []
        return [m.span() for m in self.compiled.finditer(text) if m.end() > m.start()]

    def search(self, lines: Sequence[TailLine]) -> list[TailMatch]:
        """Every match in ``lines``, in order."""
        return [
            TailMatch(index, line.seq, start, end)
            for index, line in enumerate(lines)
            for start, end in self.spans(line.text)
        ]


_STREAM_RANK: dict[Stream | None, int] = {None: 0, "stdout": 1, "stderr": 2}
