"""The header's small history: running, waiting and finishing tasks since the dashboard started.

One sample per refresh (:meth:`HeaderHistory.record`) goes into time
buckets of ``resolution`` seconds from the start. Memory stays bounded
however long the dashboard runs: when the buckets reach ``capacity``,
neighbours merge and each bucket covers twice the time. :meth:`~HeaderHistory.sparks`
squeezes the whole history since the start into a few cells: running and
waiting as their mean over each cell's time, finishes as a rate per minute.

Finishes are counted from the header's status counts (tasks by status code
over every project): each rise of the number of tasks in a terminal state is
that many finishes. A fall (tasks deleted, a switch of profile) is not
counted; the count starts again from there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from inductiva_top.monitor.foresight.sparkline import sparkline
from inductiva_top.monitor.statuses import StatusKind, is_terminal, status_info

__all__ = ["HeaderHistory", "HeaderSparks", "split_counts"]


def split_counts(counts: Mapping[str, int]) -> tuple[int, int, int]:
    """Running, waiting and finished (terminal) tasks among counts by status code."""
    running = waiting = finished = 0
    for code, count in counts.items():
        kind = status_info(code).kind
        if kind is StatusKind.RUNNING:
            running += count
        elif kind is StatusKind.WAITING:
            waiting += count
        elif is_terminal(code):
            finished += count
    return running, waiting, finished


@dataclass(frozen=True)
class HeaderSparks:
    """The three sparklines, each ``width`` cells; equal when nothing visible changed."""

    running: str
    waiting: str
    finishes: str
    """Finishes per minute."""


@dataclass
class _Bucket:
    running: float = 0.0
    """Sum of the running counts sampled in this bucket."""
    waiting: float = 0.0
    samples: int = 0
    finished: int = 0

    def merge(self, other: _Bucket) -> _Bucket:
        return _Bucket(
            self.running + other.running,
            self.waiting + other.waiting,
            self.samples + other.samples,
            self.finished + other.finished,
        )


class HeaderHistory:
    """Running, waiting and finishes over time, from ``started`` on, in bounded memory."""

    def __init__(self, started: datetime, *, resolution: float = 10.0, capacity: int = 256) -> None:
        if resolution <= 0:
            raise ValueError(f"resolution must be positive, got {resolution}")
        if capacity < 2:
            raise ValueError(f"capacity must be at least 2, got {capacity}")
        self.started = started
        self.resolution = resolution
        """Seconds each bucket covers (doubles as the history grows)."""
        self.capacity = capacity
        self._buckets: list[_Bucket] = [_Bucket()]
        self._finished: int | None = None
        self.total_finishes = 0

    def record(self, now: datetime, counts: Mapping[str, int]) -> None:
        """One refresh's status counts (tasks by status code), sampled at ``now``."""
        self.record_counts(now, *split_counts(counts))

    def record_counts(self, now: datetime, running: int, waiting: int, finished: int) -> None:
        """One refresh's sample; ``finished`` is the number of tasks in a terminal state."""
        bucket = self._bucket_at(now)
        bucket.running += running
        bucket.waiting += waiting
        bucket.samples += 1
        if self._finished is not None and finished > self._finished:
            bucket.finished += finished - self._finished
            self.total_finishes += finished - self._finished
        self._finished = finished

    def _bucket_at(self, now: datetime) -> _Bucket:
        index = max(0, int((now - self.started).total_seconds() // self.resolution))
        while index >= self.capacity:
            # An odd last bucket pairs with an empty one.
            pairs = zip(self._buckets[0::2], [*self._buckets[1::2], _Bucket()], strict=False)
            self._buckets = [first.merge(second) for first, second in pairs]
            self.resolution *= 2
            index //= 2
        # Never back in time: a clock that steps back adds to the newest bucket.
        index = max(index, len(self._buckets) - 1)
        while len(self._buckets) <= index:
            self._buckets.append(_Bucket())
        return self._buckets[index]

    def _cells(self, width: int) -> list[tuple[_Bucket, int]]:
        """The buckets merged into at most ``width`` cells, with how many each cell holds."""
        count = len(self._buckets)
        if count <= width:
            return [(bucket, 1) for bucket in self._buckets]
        cells = []
        for cell in range(width):
            first, last = cell * count // width, (cell + 1) * count // width
            merged = _Bucket()
            for bucket in self._buckets[first:last]:
                merged = merged.merge(bucket)
            cells.append((merged, last - first))
        return cells

    def sparks(self, width: int) -> HeaderSparks:
        """The history since the start in ``width`` cells each (fewer buckets: one per cell)."""
        cells = self._cells(width)
        running = [c.running / c.samples if c.samples else None for c, _ in cells]
        waiting = [c.waiting / c.samples if c.samples else None for c, _ in cells]
        per_minute = [c.finished * 60 / (held * self.resolution) for c, held in cells]
        return HeaderSparks(
            running=sparkline(running, width),
            waiting=sparkline(waiting, width),
            finishes=sparkline(per_minute, width),
        )

    def finishes_per_minute(self, now: datetime) -> float:
        """Finishes per minute on average since the start."""
        minutes = max((now - self.started).total_seconds() / 60, 1 / 60)
        return self.total_finishes / minutes
