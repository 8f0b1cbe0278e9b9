"""The one sanitizer for every untrusted string shown on screen.

Task ids, names, error texts, file names and every line a task prints are
data, and data must never drive the user's terminal. This module turns any
``str`` or ``bytes`` into plain text that is safe to show as a Rich/Textual
``Text`` (never as markup):

* bytes are decoded as UTF-8, invalid bytes becoming U+FFFD;
* terminal control sequences are removed whole, payload included: CSI
  (``ESC [`` and 8-bit U+009B, private parameters too), OSC (``ESC ]`` and
  U+009D: clipboard writes, title changes, hyperlinks; ended by BEL, ST, CAN
  or SUB, or by the end of the text when unterminated), DCS/SOS/PM/APC
  (``ESC P``/``X``/``^``/``_`` and U+0090/U+0098/U+009E/U+009F) and every
  other ``ESC`` sequence;
* remaining C0 controls and DEL are dropped, except TAB (expanded to spaces
  at 8-column stops); line breaks inside one line (LF, VT, FF, NEL, U+2028,
  U+2029) become a space; every C1 control (U+0080..U+009F) is dropped;
* Unicode format characters (category ``Cf``) are dropped: the bidi
  embeddings, overrides, isolates and marks (U+202A..U+202E,
  U+2066..U+2069, U+200E/U+200F, U+061C) that can make text read in another
  order than it is stored, and the invisible ones (zero-width space, word
  joiner, BOM, soft hyphen, tag characters used to smuggle hidden text...).
  ZERO WIDTH JOINER and NON-JOINER (U+200D, U+200C) are kept: emoji
  sequences and several scripts need them, and they can neither reorder nor
  hide text. The table is fixed (Unicode 15.1) rather than read from
  ``unicodedata`` so the output is the same on every Python version;
* lone surrogates become U+FFFD;
* a carriage return moves back to column 0 and later text overwrites what
  is there, as on a terminal, so a ``\\r`` progress bar shows its latest state;
  erase-in-line (``CSI K``, ``CSI 0K``, ``CSI 2K``) is honoured;
* the result is capped at ``max_len`` characters *including* the visible cut
  marker (`` … [cut 12,345 chars]``), so sanitizing twice changes nothing.

All patterns are linear: every repetition is over a character class that the
next element cannot match, so the regex engine never backtracks, and the
carriage-return fold touches each character a bounded number of times. A
1 MB line or 1 MB of unterminated ``ESC ]`` is handled in one pass.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias

__all__ = [
    "DEFAULT_LINE_MAX",
    "DEFAULT_NAME_MAX",
    "SanitizedLine",
    "collapse_cr",
    "render_cr",
    "sanitize_line",
    "sanitize_line_info",
    "sanitize_name",
    "sanitize_name_info",
    "strip_sequences",
]

DEFAULT_LINE_MAX = 2000
"""Default cap of one output line, in characters."""

DEFAULT_NAME_MAX = 256
"""Default cap of a single-line field (id, name, file name, error summary)."""

TAB_SIZE = 8

# String terminators: ST (ESC \ or 8-bit U+009C); CAN and SUB abort a string.
# BEL ends an OSC (xterm).
_SEQUENCE_RE = re.compile(
    "(?:\x1b\\]|\x9d)[^\x07\x18\x1a\x1b\x9c]*(?:\x07|\x1b\\\\|[\x18\x1a\x9c])?"  # OSC
    "|(?:\x1b[PX^_]|[\x90\x98\x9e\x9f])[^\x18\x1a\x1b\x9c]*(?:\x1b\\\\|[\x18\x1a\x9c])?"  # DCS..
    "|(?:\x1b\\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?"  # CSI
    "|\x1b[\x20-\x2f]*[\x30-\x7e]?"  # any other ESC sequence, or a lone ESC
)

# Erase in line: to the end (no parameter or 0) or the whole line (2).
_ERASE_IN_LINE_RE = re.compile("(?:\x1b\\[|\x9b)([02]?)K")

_LINE_BREAK_RE = re.compile("[\n\x0b\x0c\r\x85\u2028\u2029]")

# Format characters (Unicode 15.1 category Cf) minus ZWNJ/ZWJ (U+200C/U+200D), and
# the whole tag block U+E0000..U+E007F: its unassigned code points are reserved for
# tags too and render as nothing, so they could smuggle hidden text as well.
_FORMAT_CHARS = (
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0000-\U000e007f"
)
# C0 except TAB and the line breaks handled above, DEL, all of C1 but NEL.
_DROP_RE = re.compile(f"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f{_FORMAT_CHARS}]+")

_SURROGATE_RE = re.compile("[\ud800-\udfff]")

_WHITESPACE_RUN_RE = re.compile(r"\s+")

_CleanFn: TypeAlias = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class SanitizedLine:
    """A sanitized string and whether (and by how much) it was cut."""

    text: str
    cut_chars: int = 0
    """Characters of the cleaned text that did not fit; 0 when nothing was cut."""

    @property
    def cut(self) -> bool:
        """True when the text was shortened to fit its cap."""
        return self.cut_chars > 0


def strip_sequences(text: str) -> str:
    """Remove every terminal escape/control *sequence* (with its payload).

    Single control characters other than ``ESC`` and the C1 introducers are
    left in place; :func:`sanitize_line` removes those too.
    """
    return _SEQUENCE_RE.sub("", text)


def _clean(text: str) -> str:
    """Everything the sanitizer does to text that holds no carriage return."""
    text = _SEQUENCE_RE.sub("", text)
    text = _LINE_BREAK_RE.sub(" ", text)
    text = _DROP_RE.sub("", text)
    text = _SURROGATE_RE.sub("\ufffd", text)
    if "\t" in text:
        text = text.expandtabs(TAB_SIZE)
    return text


def _visible_segment(segment: str, clean: _CleanFn) -> tuple[str, bool]:
    """What one carriage-return segment writes, and whether it hides what is before.

    With an erase-in-line in the segment, the columns after the cursor (``K``)
    or the whole line (``2K``) are blanked, so earlier segments no longer show.
    Only the last erase matters: it blanks whatever the earlier ones left.
    """
    erases = (
        list(_ERASE_IN_LINE_RE.finditer(segment)) if "\x1b" in segment or "\x9b" in segment else []
    )
    if not erases:
        return clean(segment), False
    last = erases[-1]
    before = clean(segment[: last.start()])
    after = clean(segment[last.end() :])
    if last.group(1) == "2":
        before = " " * len(before)
    return before + after, True


def _fold_cr(text: str, clean: _CleanFn, base: str = "") -> str:
    """Apply carriage returns as a terminal would.

    ``base`` is clean text already on the line, with the cursor back at
    column 0 (as after a carriage return), so ``text`` writes over it. When an
    erase-in-line blanked columns, trailing blanks are dropped: they are not
    text the task printed.

    Works from the last segment backwards: a later segment sits on top of the
    earlier ones, so an earlier segment only shows past the columns the later
    ones cover. A segment whose raw length cannot reach past those columns is
    skipped without being cleaned, which keeps hostile input like a million
    ``"x\\r"`` linear.
    """
    segments = text.split("\r")
    parts: list[str] = []
    covered = 0
    erased = False
    for segment in reversed(segments):
        may_erase = "\x1b" in segment or "\x9b" in segment
        if not may_erase and "\t" not in segment and len(segment) <= covered:
            continue
        visible, opaque = _visible_segment(segment, clean)
        if len(visible) > covered:
            parts.append(visible[covered:])
            covered = len(visible)
        if opaque:
            erased = True
            break
    else:
        if len(base) > covered:
            parts.append(base[covered:])
    result = "".join(parts)
    return result.rstrip(" ") if erased else result


def collapse_cr(line: str) -> str:
    """What a terminal shows for ``line`` once its carriage returns are applied.

    ``"10%\\r20%\\r30%"`` gives ``"30%"``; a shorter write leaves the end of a
    longer one visible (``"abcdef\\rXY"`` gives ``"XYcdef"``) unless an
    erase-in-line clears it; a trailing ``\\r`` (or the ``\\r`` of ``\\r\\n``)
    overwrites nothing and a final ``\n`` is kept as the line's terminator.
    Escape sequences are removed (they take no columns);
    other control characters are left for :func:`sanitize_line`.
    """
    if "\r" not in line:
        return strip_sequences(line)
    # A line's own terminator moves down a line; it overwrites nothing.
    body = line.removesuffix("\n")
    return _fold_cr(body, strip_sequences) + line[len(body) :]


def render_cr(text: str | bytes, base: str = "") -> str:
    """Sanitize ``text`` and apply its carriage returns over ``base``, without a cap.

    ``base`` is clean text already on the line, the cursor back at column 0
    (as after a carriage return). For a caller that keeps the state of a
    line arriving in pieces; it bounds the result itself.
    """
    return _fold_cr(_decode(text), _clean, base)


def _cut_marker(dropped: int, after_text: bool) -> str:
    marker = f"… [cut {dropped:,} chars]"
    return f" {marker}" if after_text else marker


def _cap(text: str, max_len: int, extra_dropped: int = 0, *, single_line: bool) -> SanitizedLine:
    """Cut ``text`` so that it and its cut marker fit in ``max_len`` characters."""
    if len(text) <= max_len and extra_dropped == 0:
        return SanitizedLine(text)
    keep = min(len(text), max_len)
    # The marker's length depends on the count it shows, and the count on how
    # much the marker leaves room for: shrink until both agree.
    while True:
        head = text[:keep].rstrip() if single_line else text[:keep]
        dropped = len(text) - len(head) + extra_dropped
        marker = _cut_marker(dropped, bool(head))
        if len(head) + len(marker) <= max_len or keep == 0:
            break
        keep = max(0, min(keep - 1, max_len - len(marker)))
    if len(head) + len(marker) > max_len:
        # The cap is too small for any marker: a bare ellipsis says "more".
        head = text[: max_len - 1].rstrip() if single_line else text[: max_len - 1]
        return SanitizedLine(head + "…", len(text) - len(head) + extra_dropped)
    return SanitizedLine(head + marker, dropped)


def _decode(text: str | bytes) -> str:
    if isinstance(text, (bytes, bytearray)):
        return bytes(text).decode("utf-8", errors="replace")
    return text


def _check_max(max_len: int) -> None:
    if max_len < 1:
        raise ValueError(f"max_len must be at least 1, got {max_len}")


def sanitize_line_info(
    text: str | bytes,
    max_len: int = DEFAULT_LINE_MAX,
    *,
    base: str = "",
    extra_cut: int = 0,
) -> SanitizedLine:
    """Sanitize one line of task output and say whether it was cut.

    ``base`` is clean text already on the line, the cursor back at column 0
    (the tail buffer's state of a line that arrives in pieces, as of its last
    carriage return), so ``text`` writes over it; ``extra_cut`` counts
    characters the caller already discarded, so the cut marker includes them.
    """
    _check_max(max_len)
    # The line's own terminator is not part of it (\r\n leaves a trailing \r,
    # which overwrites nothing).
    decoded = _decode(text).removesuffix("\n")
    if base or "\r" in decoded:
        cleaned = _fold_cr(decoded, _clean, base)
    elif decoded.isprintable():
        # The common case, checked in C: no control, format, separator other
        # than space, surrogate or unassigned character, so nothing to remove.
        cleaned = decoded
    else:
        cleaned = _clean(decoded)
    return _cap(cleaned, max_len, extra_cut, single_line=False)


def sanitize_line(text: str | bytes, max_len: int = DEFAULT_LINE_MAX) -> str:
    """Sanitize one line of task output; see the module docstring for what changes."""
    return sanitize_line_info(text, max_len).text


def sanitize_name_info(text: str | bytes, max_len: int = DEFAULT_NAME_MAX) -> SanitizedLine:
    """Like :func:`sanitize_name`, also saying whether the text was cut."""
    _check_max(max_len)
    decoded = _LINE_BREAK_RE.sub(" ", _decode(text))
    cleaned = _WHITESPACE_RUN_RE.sub(" ", _clean(decoded)).strip()
    return _cap(cleaned, max_len, single_line=True)


def sanitize_name(text: str | bytes, max_len: int = DEFAULT_NAME_MAX) -> str:
    """Sanitize a single-line field: an id, a name, a file name, an error summary.

    As :func:`sanitize_line`, and also: carriage returns and line breaks
    become spaces, runs of whitespace become one space, and the ends are
    trimmed.
    """
    return sanitize_name_info(text, max_len).text
