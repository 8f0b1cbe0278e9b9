"""What a running task uses and whether its output still moves, from the runner's files.

The Inductiva task-runner (``task_runner/system_monitor.py``) writes two CSV
files (Python's ``csv`` module: ``\\r\\n`` line ends, fields quoted when
needed) into each task's ``output/artifacts/``; the embedded server writes
the same. They are read here as they grow, line by line or chunk by chunk,
from a followed tail (HTTP locally, WebRTC on the cloud) or from the archive:

* ``system_metrics.csv``: the header ``time,command,cpu-usage,memory,disk-input,disk-output``
  then a row every 30 s on the cloud: ``time`` in ISO 8601 UTC, the command
  running (empty before the first), ``cpu-usage`` and ``memory`` in percent
  of the machine (psutil's ``cpu_percent()`` and ``virtual_memory().percent``),
  ``disk-input``/``disk-output`` the machine's bytes read/written since boot
  (``disk_io_counters()``), which grow. :class:`MetricsSeries`.
* ``output_update.csv``: no header; rows ``timestamp,path``, the time (ISO
  8601 UTC, from the file's mtime) and full path of the most recently
  modified output file, checked every 60 s. The runner rewrites the file with
  one row each time (it appends only when told to), so a follower may see the
  same length again and nothing new: poll its last line rather than follow it.
  The runner calls a task's output stalled when that time is 30 minutes old.
  :class:`OutputUpdates` and :func:`is_stalled`.

Partial lines (a chunk that ends mid-line) wait for their end; lines that
do not parse (a bad time, fewer fields than the header: a line cut short)
are counted in ``malformed`` and skipped; a value that is not a number is
``None``. A follow that starts
mid-file (the last lines, without the header) reads the documented column
order. Text from the files (commands, paths) is sanitized.
"""

from __future__ import annotations

import csv
import itertools
import math
import re
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Generic, TypeVar

from inductiva_top.monitor.sanitize import sanitize_name

__all__ = [
    "METRICS_HEADER",
    "METRICS_PATH",
    "OUTPUT_UPDATE_PATH",
    "MetricsSample",
    "MetricsSeries",
    "OutputUpdate",
    "OutputUpdates",
    "is_stalled",
    "parse_time",
]

METRICS_PATH = "system_metrics.csv"
OUTPUT_UPDATE_PATH = "output_update.csv"
"""The names a live tail asks for: relative to the task's artifacts dir, where the runner
writes them (``output/artifacts/`` of its work dir) and where ``stdout.txt`` is, on the
cloud's file tracker and the embedded server's live routes alike."""

METRICS_HEADER = ("time", "command", "cpu-usage", "memory", "disk-input", "disk-output")

_MAX_PENDING = 64 * 1024
"""Characters of an unfinished line held; a longer one is not a line of these files."""

_FRACTION_RE = re.compile(r"\.(\d+)")


def parse_time(text: str) -> datetime | None:
    """An ISO 8601 time as an aware UTC datetime (naive taken as UTC); ``None`` if not one.

    Accepts what ``datetime.isoformat()`` writes and ``Z`` for UTC, with any
    number of fractional digits, on every supported Python.
    """
    text = text.strip()
    if not text:
        return None
    if text[-1] in "zZ":
        text = text[:-1] + "+00:00"
    # Python 3.10 takes only 3 or 6 fractional digits.
    text = _FRACTION_RE.sub(lambda m: "." + (m.group(1) + "000000")[:6], text, count=1)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    if when.tzinfo is None:
        return when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc)


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


_LINE_END_RE = re.compile(r"\r\n|\n|\r(?!$)")

Added = TypeVar("Added")


class _Followed(ABC, Generic[Added]):
    """A file read as it grows: chunks that may end mid-line, or complete lines."""

    def __init__(self) -> None:
        self._pending = ""

    @abstractmethod
    def feed_lines(self, lines: Iterable[str]) -> Added:
        """Read complete lines (a followed tail's batch)."""

    def feed(self, chunk: str) -> Added:
        """Read a chunk of the file; a last line without its end waits for the next."""
        parts = _LINE_END_RE.split(self._pending + chunk)
        self._pending = parts.pop()
        if len(self._pending) > _MAX_PENDING:
            self._pending = ""  # not a line of these files
        return self.feed_lines(parts)

    def flush(self) -> Added:
        """The file ended: read a last line that had no line end."""
        pending, self._pending = self._pending, ""
        return self.feed_lines([pending] if pending.strip("\r") else [])


def _fields(line: str) -> list[str] | None:
    line = line.rstrip("\r\n")
    if not line.strip():
        return None
    try:
        return next(csv.reader([line]))
    except (csv.Error, StopIteration):
        return None


@dataclass(frozen=True, slots=True)
class MetricsSample:
    """One row of ``system_metrics.csv``; a value that did not parse is ``None``."""

    time: datetime
    command: str
    """The command running, sanitized ("" before the first)."""
    cpu_percent: float | None
    memory_percent: float | None
    disk_read_bytes: float | None
    """Read since the machine booted (it only grows)."""
    disk_written_bytes: float | None


class MetricsSeries(_Followed[int]):
    """``system_metrics.csv`` read as it grows: the newest ``limit`` samples.

    :meth:`feed`, :meth:`feed_lines` and :meth:`flush` return how many samples they added.
    """

    def __init__(self, limit: int = 240) -> None:
        super().__init__()
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        self.samples: deque[MetricsSample] = deque(maxlen=limit)
        self.malformed = 0
        """Lines that were not a row (nor the header)."""
        self._columns = {name: index for index, name in enumerate(METRICS_HEADER)}

    def feed_lines(self, lines: Iterable[str]) -> int:
        """Read complete lines (a followed tail's batch); returns the samples added."""
        added = 0
        for line in lines:
            fields = _fields(line)
            if fields is None:
                continue
            names = [name.strip() for name in fields]
            if "time" in names and not any(parse_time(name) for name in names):
                # The header: the file was (re)created; its names give the order.
                self._columns = {name: index for index, name in enumerate(names)}
                continue
            sample = self._sample(fields)
            if sample is None:
                self.malformed += 1
            else:
                self.samples.append(sample)
                added += 1
        return added

    def _sample(self, fields: list[str]) -> MetricsSample | None:
        if len(fields) < len(self._columns):
            return None  # a line cut short

        def field(name: str) -> str | None:
            index = self._columns.get(name)
            return fields[index] if index is not None and index < len(fields) else None

        when = parse_time(field("time") or "")
        if when is None:
            return None
        return MetricsSample(
            time=when,
            command=sanitize_name(field("command") or ""),
            cpu_percent=_number(field("cpu-usage")),
            memory_percent=_number(field("memory")),
            disk_read_bytes=_number(field("disk-input")),
            disk_written_bytes=_number(field("disk-output")),
        )

    @property
    def latest(self) -> MetricsSample | None:
        """The newest sample, if any."""
        return self.samples[-1] if self.samples else None

    def cpu(self) -> list[float | None]:
        """CPU percent of each kept sample, oldest first (for a sparkline)."""
        return [sample.cpu_percent for sample in self.samples]

    def memory(self) -> list[float | None]:
        """Memory percent of each kept sample, oldest first."""
        return [sample.memory_percent for sample in self.samples]

    def disk_rates(self) -> list[tuple[float | None, float | None]]:
        """Bytes/s read and written between consecutive samples, oldest first.

        One fewer than the samples; ``None`` where a counter is missing, went
        backwards (the machine restarted) or no time passed.
        """
        rates: list[tuple[float | None, float | None]] = []
        kept = list(self.samples)
        for before, after in itertools.pairwise(kept):
            seconds = (after.time - before.time).total_seconds()
            rates.append(
                (
                    _rate(before.disk_read_bytes, after.disk_read_bytes, seconds),
                    _rate(before.disk_written_bytes, after.disk_written_bytes, seconds),
                )
            )
        return rates


def _rate(before: float | None, after: float | None, seconds: float) -> float | None:
    if before is None or after is None or seconds <= 0 or after < before:
        return None
    return (after - before) / seconds


@dataclass(frozen=True, slots=True)
class OutputUpdate:
    """The newest output file of a task and when it last changed."""

    time: datetime
    path: str
    """As the runner wrote it (a full path on the task's machine), sanitized."""

    @property
    def name(self) -> str:
        """The path from the task's ``artifacts/`` on, else its last part."""
        _, found, rest = self.path.rpartition("artifacts/")
        return rest if found and rest else self.path.rsplit("/", 1)[-1]


class OutputUpdates(_Followed[bool]):
    """When a task's output last changed: from ``output_update.csv`` or any other sign.

    Keeps the newest time seen, whichever source it came from (the file's
    rows, :meth:`note` for a tail line or a ``last_modified_file`` answer).
    :meth:`feed`, :meth:`feed_lines` and :meth:`flush` return whether it moved.
    """

    def __init__(self) -> None:
        super().__init__()
        self.last: OutputUpdate | None = None
        self.malformed = 0

    def feed_lines(self, lines: Iterable[str]) -> bool:
        """Read complete lines; returns whether the newest time moved."""
        moved = False
        for line in lines:
            fields = _fields(line)
            if fields is None:
                continue
            when = parse_time(fields[0])
            if when is None:
                self.malformed += 1
                continue
            path = fields[1] if len(fields) > 1 else ""
            moved = self.note(when, path) or moved
        return moved

    def note(self, when: datetime, path: str = "") -> bool:
        """Output changed at ``when`` (``path``: which file); returns whether that is news."""
        if self.last is not None and when <= self.last.time:
            return False
        self.last = OutputUpdate(when, sanitize_name(path))
        return True

    def age(self, now: datetime) -> float | None:
        """Seconds since the output last changed (0 if the task's clock is ahead); ``None``."""
        if self.last is None:
            return None
        return max(0.0, (now - self.last.time).total_seconds())


def is_stalled(
    last_output: datetime | None,
    now: datetime,
    after: float,
    since: datetime | None = None,
) -> bool:
    """Whether a running task's output has not changed for ``after`` seconds.

    ``last_output``: when it last changed; without one, ``since`` (when the
    command started) stands in, so a task silent from the start stalls too.
    ``after`` of 0 (or less) means never.
    """
    if after <= 0:
        return False
    reference = last_output or since
    if reference is None:
        return False
    return (now - reference).total_seconds() >= after
