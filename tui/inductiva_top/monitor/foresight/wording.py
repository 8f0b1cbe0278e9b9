"""Estimates in words: the table's STARTS and ENDS cells and the panes' sentences.

A range of minutes (``4-9 min``), hours past two hours (``2-3 h``),
seconds (to 5 s) under a minute and a half (``20-45 s``); an estimate with no span is
"unknown", never a number. Every estimate is shown from ``now``: the time
passed since it was made (the last refresh) is taken off.

In the ENDS cell a percentage after the range says the estimate comes from
the task's own progress (``2-3 min 42%``); ``≈`` before it, from how long
alike finished tasks took (``≈2-3 min``). A task that has run longer than all
of them is ``> usual``: no alarm, as few alike tasks say little (a task
whose output stopped is marked ``stalled`` in its status, and that is the
alarm).
"""

from __future__ import annotations

import math
from datetime import datetime

from inductiva_top.monitor import fmt
from inductiva_top.monitor.foresight.durations import Durations, Scope
from inductiva_top.monitor.foresight.estimates import (
    FinishEstimate,
    Source,
    Span,
    StartEstimate,
)
from inductiva_top.monitor.foresight.tracker import left_of

__all__ = [
    "HISTORY_MARK",
    "PAST_USUAL",
    "UNKNOWN",
    "ends_cell",
    "ends_sentence",
    "range_text",
    "shown_span",
    "starts_cell",
    "starts_sentence",
]

UNKNOWN = "unknown"
HISTORY_MARK = "≈"
"""Before an ENDS cell estimated from history (a progress estimate ends with its %)."""

PAST_USUAL = "> usual"
"""The ENDS cell of a task that has run longer than every alike finished task (it fits the
column's narrowest width)."""

_HOURS_FROM = 2 * 3600.0
"""From this many seconds on, a range is said in hours."""


def _shown(span: Span) -> tuple[Span, str]:
    """``span`` rounded outwards to the unit it is said in, and the words."""
    if span.high < 5:
        return Span(0.0, 5.0), "<5 s"
    if span.high < 90:
        # Short queues of short tasks: in seconds, to 5 s (a minute would hide the order).
        unit, seconds = "s", 1
        low, high = max(5, 5 * math.floor(span.low / 5)), 5 * math.ceil(span.high / 5)
    else:
        unit, seconds = ("min", 60) if span.high < _HOURS_FROM else ("h", 3600)
        low, high = max(1, math.floor(span.low / seconds)), math.ceil(span.high / seconds)
    text = f"{high} {unit}" if low >= high else f"{low}-{high} {unit}"
    return Span(float(low * seconds), float(high * seconds)), text


def range_text(span: Span) -> str:
    """``span`` (seconds) in words: ``<5 s``, ``20-45 s``, ``4-9 min``, ``5 min``, ``2-3 h``."""
    return _shown(span)[1]


def shown_span(span: Span) -> Span:
    """The seconds :func:`range_text` says for ``span``: rounded outwards to its unit.

    What a reader takes from ``4-9 min`` is 240 to 540 s; the benchmark of
    the estimates scores this as well as the span itself.
    """
    return _shown(span)[0]


def starts_cell(estimate: StartEstimate | None, now: datetime) -> str:
    """The STARTS cell: ``in 4-9 min``, ``unknown``, or ``-`` for a task not waiting."""
    if estimate is None:
        return "-"
    if estimate.span is None:
        return UNKNOWN
    return "in " + range_text(left_of(estimate.span, estimate.at, now))


def ends_cell(estimate: FinishEstimate | None, now: datetime) -> str:
    """The ENDS cell: ``2-3 min 42%`` (progress), ``≈2-3 min`` (history), ``> usual``..."""
    if estimate is None:
        return "-"
    if estimate.span is None:
        return PAST_USUAL if estimate.overdue else UNKNOWN
    left = range_text(left_of(estimate.span, estimate.at, now))
    if estimate.source is Source.PROGRESS and estimate.progress is not None:
        return f"{left} {estimate.progress.fraction:.0%}"
    return HISTORY_MARK + left


def _basis(durations: Durations | None) -> str:
    if durations is None:
        return "no finished task to learn from"
    if durations.scope is Scope.AVERAGE:
        return "the project's average duration"
    alike = "task" if durations.count == 1 else "tasks"
    return f"{durations.count} finished {alike}, {durations.scope.value}"


def starts_sentence(estimate: StartEstimate, now: datetime) -> str:
    """When a waiting task should start and from what, for the queue view and the detail.

    Why it waits is not said here: the line beside it says that
    (:func:`~inductiva_top.monitor.fleet.why.start_why`).
    """
    if estimate.span is None:
        if estimate.blocked:
            return "not while the reason below holds"
        if estimate.durations is None:
            return "unknown (no finished task of its group to learn from yet)"
        return "unknown (how many machines serve its queue is not known)"
    left = range_text(left_of(estimate.span, estimate.at, now))
    machines = (
        fmt.plural(estimate.machines, "machine")
        + ("" if estimate.machines_described else " seen busy at once")
        if estimate.machines is not None
        else "machines unknown"
    )
    return f"in {left} (from {_basis(estimate.durations)}; {machines})"


def ends_sentence(estimate: FinishEstimate, now: datetime) -> str:
    """When a running task should end and from what, for the timeline and the detail screen."""
    if estimate.span is None:
        if estimate.overdue:
            return (
                "longer than usual: it has run longer than every alike finished task "
                f"({_basis(estimate.durations)}), so when it ends is not known"
            )
        return f"unknown ({_basis(estimate.durations)})"
    left = range_text(left_of(estimate.span, estimate.at, now))
    if estimate.source is Source.PROGRESS and estimate.progress is not None:
        return f"in {left} (from its output's progress, {estimate.progress.text})"
    return f"in {left} (from {_basis(estimate.durations)})"
