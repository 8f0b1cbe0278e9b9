"""Every human-readable number, size, time and duration on screen.

All ``humanize`` calls live here. Nothing reads the wall clock on its own:
what depends on "now" takes it from an injected :class:`Clock` (through
:class:`Formatter`) or as an argument, and the time zone of timestamps is
injected too, so snapshot tests with a frozen clock and UTC are stable.

Missing values (``None``) format as :data:`MISSING` so a table cell never
shows ``None``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Protocol

import humanize

from inductiva_top.api.models import Task
from inductiva_top.monitor.sanitize import sanitize_name
from inductiva_top.monitor.statuses import StatusKind, is_terminal, status_info

__all__ = [
    "AGE_STEPS",
    "JUST_NOW",
    "MISSING",
    "Clock",
    "FixedClock",
    "Formatter",
    "age",
    "age_step",
    "ago",
    "compact_duration",
    "cost",
    "count",
    "duration",
    "eta",
    "machine_label",
    "money",
    "natural_ago",
    "plural",
    "queue_wait",
    "rate",
    "run_time",
    "size",
    "system_clock",
    "timestamp",
    "timestamp_full",
    "total_time",
]

MISSING = "-"
"""What a missing value shows as."""

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class Clock(Protocol):
    """A source of the current time: an aware UTC ``datetime``."""

    def __call__(self) -> datetime: ...


def system_clock() -> datetime:
    """The real clock."""
    return datetime.now(timezone.utc)


@dataclass
class FixedClock:
    """A clock that only moves when told to (tests, snapshots, demos)."""

    at: datetime

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        """Move the clock forward (or back, with a negative value)."""
        self.at += timedelta(seconds=seconds)


# --- durations -------------------------------------------------------------


def duration(seconds: float | None) -> str:
    """A compact duration whose width changes only at unit boundaries.

    ``45s``, ``3m 05s``, ``1h 02m 03s``, ``2d 03h 04m``; negative durations
    (clock skew) count as 0.
    """
    if seconds is None or math.isnan(seconds):
        return MISSING
    total = max(0, int(seconds)) if math.isfinite(seconds) else 0
    days, rest = divmod(total, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours:02d}h {minutes:02d}m"
    if hours:
        return f"{hours}h {minutes:02d}m {secs:02d}s"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def compact_duration(seconds: float) -> str:
    """``45s``, ``12m``, ``3h 05m``, ``2d 04h``: short enough for a span in a cell."""
    total = max(0, round(seconds))
    if total < 60:
        return f"{total}s"
    minutes = round(total / 60)
    if minutes < 60:
        return f"{minutes}m"
    if minutes < 24 * 60:
        return f"{minutes // 60}h {minutes % 60:02d}m"
    days, hours = divmod(round(total / 3600), 24)
    return f"{days}d {hours:02d}h"


AGE_STEPS: tuple[tuple[float, float], ...] = ((60, 10), (3600, 60), (86_400, 3600))
"""How coarsely an age is told: below each bound (seconds), in steps of so many seconds;
past the last, in days. An age under a minute says ``10s``, ``20s``... (under the first
step, "just now"): a person reading a table does not need the second, and a screen
that ticks every second for every young task is what a quiet dashboard must not write."""

JUST_NOW = "just now"
"""What an age under its first step (or a time slightly in the future) reads as."""


def age_step(seconds: float) -> float:
    """Seconds between two changes of the text of an age of ``seconds`` (see :data:`AGE_STEPS`).

    The one rule of how ages tick: :func:`age` formats by it.
    """
    for bound, step in AGE_STEPS:
        if seconds < bound:
            return step
    return 86_400


def age(seconds: float) -> str:
    """An age, compactly and in its step (:func:`age_step`): ``just now``, ``40s ago``,
    ``5m ago``, ``3h ago``, ``2d ago``."""
    seconds = max(0.0, seconds)
    step = age_step(seconds)
    if seconds < AGE_STEPS[0][1]:
        return JUST_NOW
    if step < 60:
        return f"{int(seconds // step * step)}s ago"
    unit = {60: "m", 3600: "h"}.get(int(step), "d")
    return f"{int(seconds // step)}{unit} ago"


def ago(when: datetime | None, now: datetime) -> str:
    """How long ago ``when`` was, compactly: :func:`age` (``just now``, ``40s ago``, ``5m ago``).

    A time slightly in the future (server clock ahead of ours) reads ``just now``.
    """
    if when is None:
        return MISSING
    return age((now - when).total_seconds())


def natural_ago(when: datetime | None, now: datetime) -> str:
    """How long ago ``when`` was, in words: ``a minute ago``, ``3 hours ago``."""
    if when is None:
        return MISSING
    return str(humanize.naturaltime(when, when=now))


# --- timestamps ------------------------------------------------------------


def timestamp(when: datetime | None, tz: tzinfo | None = None) -> str:
    """A table-cell timestamp, as the official CLI shows it: ``04 Aug, 12:06:17``.

    ``tz`` is where to show it (``None``: the machine's local zone). Month
    names are English whatever the locale, so the width is fixed.
    """
    if when is None:
        return MISSING
    local = when.astimezone(tz)
    return f"{local.day:02d} {_MONTHS[local.month - 1]}, {local:%H:%M:%S}"


def timestamp_full(when: datetime | None, tz: tzinfo | None = None) -> str:
    """A full timestamp for detail views: ``2026-08-04 12:06:17 +01:00``."""
    if when is None:
        return MISSING
    local = when.astimezone(tz)
    offset = local.strftime("%z")
    offset = f"{offset[:3]}:{offset[3:]}" if offset else ""
    return f"{local:%Y-%m-%d %H:%M:%S} {offset}".rstrip()


# --- sizes, money, counts, transfers ---------------------------------------


def size(n_bytes: float | None) -> str:
    """A byte count with binary units: ``512 B``, ``3.1 MiB``."""
    if n_bytes is None or not math.isfinite(n_bytes):
        return MISSING
    text = str(humanize.naturalsize(max(0, n_bytes), binary=True, format="%.1f"))
    # humanize says "512 Bytes"/"1 Byte"; a table wants the unit symbol.
    return text.replace(" Bytes", " B").replace(" Byte", " B")


def cost(usd: float | None) -> str:
    """An amount in US dollars: ``$0.0123`` under a dollar, ``$1,234.56`` above."""
    if usd is None or not math.isfinite(usd):
        return MISSING
    sign = "-" if usd < 0 else ""
    amount = abs(usd)
    if amount < 1:
        return f"{sign}${amount:.4f}"
    return f"{sign}${amount:,.2f}"


def money(value: float, currency: str | None = "USD") -> str:
    """Money, short: ``$2.41``, ``$0.004``, ``$1,234``; another currency after the number."""
    size = abs(value)
    if size >= 100:
        number = f"{size:,.0f}"
    elif size >= 0.1 or size == 0:
        number = f"{size:.2f}"
    else:
        number = f"{size:.3f}"
    sign = "-" if value < 0 else ""
    if currency in (None, "", "USD"):
        return f"{sign}${number}"
    return f"{sign}{number} {currency}"


def count(n: int | None) -> str:
    """An integer with thousands separators: ``12,345``."""
    if n is None:
        return MISSING
    return str(humanize.intcomma(n))


def plural(n: int, singular: str, plural: str | None = None) -> str:
    """A count and its noun, agreeing: ``1 match``, ``3 matches``, ``1,204 files``."""
    noun = singular if n == 1 else (plural or f"{singular}s")
    return f"{count(n)} {noun}"


def rate(bytes_per_second: float | None) -> str:
    """A transfer rate: ``12.3 MiB/s``."""
    if bytes_per_second is None or not math.isfinite(bytes_per_second):
        return MISSING
    return f"{size(bytes_per_second)}/s"


def eta(remaining_bytes: int | None, bytes_per_second: float | None) -> str:
    """Time left for a transfer: ``ETA 4s``; ``ETA -`` while the rate is unknown."""
    if remaining_bytes is None or not bytes_per_second or bytes_per_second <= 0:
        return f"ETA {MISSING}"
    return f"ETA {duration(math.ceil(max(0, remaining_bytes) / bytes_per_second))}"


# --- tasks ------------------------------------------------------------------


def _seconds(start: datetime, end: datetime) -> float:
    return max(0.0, (end - start).total_seconds())


def run_time(task: Task, now: datetime) -> float | None:
    """Seconds the simulator computed: ticking while it computes, fixed once it stopped.

    The official client's "computation" time: ``metrics.computation_seconds``
    when the server sent it, else from ``computation_start_time`` to
    ``computation_end_time`` (``end_time`` when the task ended mid-run, as a
    kill does), or to now while it computes. None when it never computed, and
    while a resubmitted task waits for its next run.
    """
    if task.metrics is not None and task.metrics.computation_seconds is not None:
        return max(0.0, task.metrics.computation_seconds)
    start = task.computation_start_time
    if start is None:
        return None
    end = task.computation_end_time
    if end is None and is_terminal(task.status, task.is_terminated):
        end = task.end_time
    if end is None:
        if status_info(task.status).kind is StatusKind.WAITING:
            return None
        end = now
    return _seconds(start, end)


def total_time(task: Task, now: datetime) -> float | None:
    """Seconds since submission (``create_time``): ticking while the task lives, fixed after.

    The official client's "total" time: ``metrics.total_seconds`` when the
    server sent it, else until ``end_time`` once the task ended (the server's
    ``duration_seconds`` when that is missing), else until now.
    """
    if task.metrics is not None and task.metrics.total_seconds is not None:
        return max(0.0, task.metrics.total_seconds)
    if is_terminal(task.status, task.is_terminated):
        if task.create_time is not None and task.end_time is not None:
            return _seconds(task.create_time, task.end_time)
        return None if task.duration_seconds is None else max(0.0, task.duration_seconds)
    return None if task.create_time is None else _seconds(task.create_time, now)


def queue_wait(task: Task, now: datetime) -> float | None:
    """Seconds the task waited (or is waiting) in its queue.

    From ``input_submit_time`` (else ``create_time``) to ``now`` while it
    still waits; afterwards the server's ``metrics.queue_time_seconds``, else
    until ``start_time``, else (it never started) until ``end_time``.
    """
    queued = task.input_submit_time or task.create_time
    if queued is None:
        return None
    terminal = is_terminal(task.status, task.is_terminated)
    if not terminal and status_info(task.status).kind is StatusKind.WAITING:
        return _seconds(queued, now)
    if task.metrics is not None and task.metrics.queue_time_seconds is not None:
        return max(0.0, task.metrics.queue_time_seconds)
    if task.start_time is not None:
        return _seconds(queued, task.start_time)
    if terminal and task.end_time is not None:
        # Ended without ever starting (killed in the queue, zombie).
        return _seconds(queued, task.end_time)
    return None


def machine_label(task: Task) -> str:
    """The machine type a user would name: ``gcp c2d-highcpu-16 x4``, ``local-std``.

    Empty until an executer took the task. A type that already names its
    host ("local local-std") says the host once.
    """
    executer = task.executer
    if executer is None:
        return ""
    label = sanitize_name(executer.machine_label)
    host = sanitize_name(executer.host_type or "")
    if host and label.startswith(f"{host} {host}"):
        label = label[len(host) + 1 :]
    return label


# --- one object for widgets ---------------------------------------------------


@dataclass
class Formatter:
    """The clock and time zone a screen formats with, and shortcuts that use them."""

    clock: Clock = system_clock
    tz: tzinfo | None = field(default=None)
    """Where timestamps are shown; ``None`` is the machine's local zone."""

    def now(self) -> datetime:
        """The injected clock's current time."""
        return self.clock()

    def ago(self, when: datetime | None) -> str:
        """:func:`ago` against the injected clock."""
        return ago(when, self.now())

    def natural_ago(self, when: datetime | None) -> str:
        """:func:`natural_ago` against the injected clock."""
        return natural_ago(when, self.now())

    def timestamp(self, when: datetime | None) -> str:
        """:func:`timestamp` in the injected zone."""
        return timestamp(when, self.tz)

    def timestamp_full(self, when: datetime | None) -> str:
        """:func:`timestamp_full` in the injected zone."""
        return timestamp_full(when, self.tz)

    def run_time(self, task: Task) -> str:
        """:func:`run_time`, formatted, ticking against the injected clock."""
        return duration(run_time(task, self.now()))

    def total_time(self, task: Task) -> str:
        """:func:`total_time`, formatted, ticking against the injected clock."""
        return duration(total_time(task, self.now()))

    def queue_wait(self, task: Task) -> str:
        """The task's queue wait, formatted, ticking against the injected clock."""
        return duration(queue_wait(task, self.now()))
