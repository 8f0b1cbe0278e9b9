"""Progress of a transfer: bytes done, total, rate and ETA, reported at a bounded rate."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Progress", "ProgressCallback", "ProgressMeter"]


@dataclass(frozen=True)
class Progress:
    """One progress report.

    ``total`` is ``None`` when the size is unknown; ``rate`` (bytes per
    second, over the last few seconds) and ``eta`` (seconds) are ``None``
    until they can be estimated. ``phase`` says what is going on
    (``"download"``, ``"extract"``, ``"fetch"``), ``label`` what it is about.
    """

    done: int
    total: int | None
    rate: float | None
    eta: float | None
    phase: str = "download"
    label: str = ""
    finished: bool = False

    @property
    def fraction(self) -> float | None:
        """``done / total`` in ``[0, 1]``, or ``None`` when the total is unknown."""
        if not self.total:
            return None
        return min(1.0, self.done / self.total)


ProgressCallback = Callable[[Progress], None]


class ProgressMeter:
    """Turns byte counts into :class:`Progress` reports, at most one per ``interval``.

    The rate is measured over a sliding ``window`` of seconds, so it follows
    the current speed rather than the average since the start. The first
    report and the final one (:meth:`finish`) are always sent.
    """

    def __init__(
        self,
        callback: ProgressCallback | None,
        *,
        total: int | None = None,
        phase: str = "download",
        label: str = "",
        interval: float = 0.2,
        window: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._callback = callback
        self.total = total
        self.done = 0
        self._phase = phase
        self._label = label
        self._interval = interval
        self._window = window
        self._clock = clock
        self._samples: deque[tuple[float, int]] = deque()
        self._last_report: float | None = None

    def restart(self, done: int, total: int | None) -> None:
        """Start counting again from ``done`` (a resume, or a restart from 0)."""
        self.done = done
        self.total = total
        self._samples.clear()
        self._emit(force=True)

    def advance(self, count: int) -> None:
        """``count`` more bytes are done."""
        self.done += count
        self._emit(force=False)

    def finish(self) -> None:
        """Send the final report."""
        self._emit(force=True, finished=True)

    def snapshot(self, *, finished: bool = False) -> Progress:
        """The current progress, without reporting it."""
        now = self._clock()
        self._samples.append((now, self.done))
        while len(self._samples) > 2 and now - self._samples[0][0] > self._window:
            self._samples.popleft()
        rate: float | None = None
        first_time, first_done = self._samples[0]
        if now > first_time and self.done > first_done:
            rate = (self.done - first_done) / (now - first_time)
        eta: float | None = None
        if rate and self.total is not None and self.total >= self.done:
            eta = (self.total - self.done) / rate
        return Progress(self.done, self.total, rate, eta, self._phase, self._label, finished)

    def _emit(self, *, force: bool, finished: bool = False) -> None:
        if self._callback is None:
            return
        now = self._clock()
        if not force and self._last_report is not None and now - self._last_report < self._interval:
            return
        self._last_report = now
        self._callback(self.snapshot(finished=finished))
