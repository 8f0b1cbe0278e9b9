"""A task's own progress, read from the last line of its output.

Solvers print progress as a percentage (``42%``, `` 42.0%``) or a count
(``420/1000``), often as a ``\\r`` progress bar redrawn in place. Rules,
chosen so that a number that is not progress rarely passes for one:

* the line is sanitized first (:func:`~inductiva_top.monitor.sanitize.sanitize_line`),
  so a ``\\r`` bar reads as its latest state and escape sequences are gone;
* a percentage is a number from 0 to 100 followed by ``%``; a count is
  ``i/N`` with ``0 <= i <= N`` and ``N > 0``, not part of a longer path, date
  or ratio (``a/b/c``, ``x.5/2``, ``it/s``);
* a number whose clause (the text since the last ``, ; | [ ] ( )``) names
  something that is measured in percent but is not progress (error, loss,
  residual, cpu, memory, usage, load, accuracy, tolerance, ...) is ignored:
  ``error 50%`` and ``cpu: 80%`` are not progress;
* a percentage wins over a count on the same line (tqdm prints both, and the
  percentage is the finer);
* over time (:class:`ProgressTracker`) a value lower than the last accepted
  one is ignored: progress does not go backwards, and a solver that restarts
  its bar for a second stage is judged by its first until it passes it.

Not recognised: ``step 420 of 1000``, times like ``00:10<00:14``, a bar
without a number.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass
from datetime import datetime

from inductiva_top.monitor.sanitize import sanitize_line

__all__ = ["ProgressMatch", "ProgressReading", "ProgressTracker", "parse_progress"]

_PERCENT_RE = re.compile(r"(?<![\w.+\-/])(\d{1,3}(?:\.\d+)?)\s?%(?![\w%])")
_COUNT_RE = re.compile(r"(?<![\w.+\-/:])(\d+)\s?/\s?(\d+)(?![\w./:%])")
_CLAUSE_BREAK_RE = re.compile(r"[,;|\[\]()]")
_NOT_PROGRESS_RE = re.compile(
    r"\b(?:err(?:or)?s?|loss|residuals?|cpu|gpu|mem(?:ory)?|ram|swap|disk|usage|util\w*|load"
    r"|efficiency|accuracy|acc|tol(?:erance)?|prob(?:ability)?|chance|confidence|humidity"
    r"|porosity|saturation|deviation|diff|change|drop|growth|increase|decrease|rate|speedup)\b",
    re.IGNORECASE,
)

_MIN_SPAN = 5.0
"""Seconds between two readings before the rate between them is trusted."""

_SPACING = 5.0
"""Seconds between the readings kept for the recent rate."""

_KEPT = 60
"""Readings kept for the recent rate (with the spacing: about five minutes)."""

_BACKWARDS_SLACK = 0.005
"""A drop this small (half a percent) is rounding, not a restart."""


@dataclass(frozen=True, slots=True)
class ProgressMatch:
    """Progress found in one line."""

    fraction: float
    """From 0 to 1."""
    text: str
    """What was read, e.g. ``42.0%`` or ``420/1000``."""


def _clause_is_progress(line: str, start: int) -> bool:
    before = line[:start]
    breaks = list(_CLAUSE_BREAK_RE.finditer(before))
    clause = before[breaks[-1].end() :] if breaks else before
    return _NOT_PROGRESS_RE.search(clause) is None


def _percent(line: str) -> ProgressMatch | None:
    for match in _PERCENT_RE.finditer(line):
        value = float(match.group(1))
        if value <= 100 and _clause_is_progress(line, match.start()):
            return ProgressMatch(value / 100, match.group(0).replace(" ", ""))
    return None


def _count(line: str) -> ProgressMatch | None:
    for match in _COUNT_RE.finditer(line):
        done, total = int(match.group(1)), int(match.group(2))
        if total > 0 and done <= total and _clause_is_progress(line, match.start()):
            return ProgressMatch(done / total, f"{done}/{total}")
    return None


def parse_progress(line: str | bytes) -> ProgressMatch | None:
    """The progress shown by one line of output, or ``None`` (see the module doc)."""
    text = sanitize_line(line)
    return _percent(text) or _count(text)


@dataclass(frozen=True, slots=True)
class ProgressReading:
    """Progress as a tracker last saw it, and the rates it shows."""

    fraction: float
    text: str
    at: datetime
    """When it was read (the dashboard's clock)."""
    recent_rate: float | None
    """Fraction per second over the last minutes, when they span enough time."""

    def overall_rate(self, since: datetime) -> float | None:
        """Fraction per second if progress went from 0 at ``since`` (the command's start)."""
        elapsed = (self.at - since).total_seconds()
        if elapsed < _MIN_SPAN or self.fraction <= 0:
            return None
        return self.fraction / elapsed


class ProgressTracker:
    """Progress of one task over time: feed it each new last line of output."""

    def __init__(self) -> None:
        self._kept: deque[tuple[datetime, float]] = deque(maxlen=_KEPT)
        self._last: ProgressMatch | None = None
        self._last_at: datetime | None = None
        self.ignored = 0
        """Readings ignored for going backwards."""

    def observe(self, at: datetime, line: str | bytes) -> ProgressReading | None:
        """Read ``line`` (seen at ``at``); returns the reading now held, if any."""
        found = parse_progress(line)
        if found is not None:
            self._take(at, found)
        return self.reading

    def _take(self, at: datetime, found: ProgressMatch) -> None:
        if self._last is not None and found.fraction < self._last.fraction - _BACKWARDS_SLACK:
            self.ignored += 1
            return
        self._last, self._last_at = found, at
        if not self._kept or (at - self._kept[-1][0]).total_seconds() >= _SPACING:
            self._kept.append((at, found.fraction))

    @property
    def reading(self) -> ProgressReading | None:
        """The latest accepted progress and its recent rate; ``None`` before any."""
        if self._last is None or self._last_at is None:
            return None
        rate: float | None = None
        if self._kept:
            first_at, first = self._kept[0]
            span = (self._last_at - first_at).total_seconds()
            if span >= _MIN_SPAN and self._last.fraction > first:
                rate = (self._last.fraction - first) / span
        return ProgressReading(self._last.fraction, self._last.text, self._last_at, rate)
