"""The state timeline of one task: bars on a shared time axis, laid out without a UI.

:func:`build_timeline` turns a task's ``status_history`` into rows: one per
state, with its operations (``download_input``, ``exec_command`` ...) nested
under it, all measured in seconds from the first state's start. The state
the task is in has no end yet: it ends "now" and grows on every redraw.
A ``submitted`` that follows the loss of a machine (``executer-terminated``,
``spot-instance-preempted``) is marked as a resubmission. An operation that
failed once a kill was asked for was killed, not failed, and says so.

The :class:`Outcome` comes first: where the task stands, and for a task
that did not succeed, why (its error detail, else what its status means).

:func:`bar_cells` maps a span onto ``width`` character cells; the widget
draws them. Every label is sanitized here (names come from the server).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from inductiva_top.api.models import StatusHistoryEntry, TaskOperation, TaskWithStatusHistory
from inductiva_top.monitor.sanitize import sanitize_name
from inductiva_top.monitor.statuses import StatusKind, display_alias, is_terminal, status_info

__all__ = [
    "LOSS_STATUSES",
    "Outcome",
    "Span",
    "Timeline",
    "bar_cells",
    "build_timeline",
]

LOSS_STATUSES = frozenset({"executer-terminated", "spot-instance-preempted"})
"""States after which the API puts a task back in its queue."""

_OPERATION_LABELS = {
    "download_input": "download input",
    "uncompress_input": "uncompress input",
    "exec_command": "run",
    "compress_output": "compress output",
    "upload_output": "upload output",
}

_DETAIL_CHARS = 200
_REASON_CHARS = 2000


@dataclass(frozen=True, slots=True)
class Span:
    """One row of the timeline: a state (``depth == 0``) or an operation in it (``1``).

    ``start`` and ``end`` are seconds from the timeline's origin; ``open`` is
    True while the span has no end timestamp and the task goes on (it ends
    "now"). ``kind`` colours a state; an operation carries its own
    ``status`` (``OK``, ``FAILED`` ...). ``detail`` is extra text, such as the
    command of ``exec_command``.
    """

    label: str
    start: float
    end: float
    depth: int = 0
    kind: StatusKind = StatusKind.OTHER
    code: str = ""
    status: str = ""
    detail: str = ""
    open: bool = False
    resubmission: bool = False
    killed: bool = False
    """An operation that failed because the task was killed (its status says FAILED)."""

    @property
    def seconds(self) -> float:
        """How long the span lasted (so far)."""
        return max(0.0, self.end - self.start)


@dataclass(frozen=True, slots=True)
class Outcome:
    """Where the task stands: its status, and why when it did not succeed."""

    label: str
    kind: StatusKind
    reason: str = ""
    """The task's error detail, else what its status means; ``""`` for a success."""


@dataclass(frozen=True, slots=True)
class Timeline:
    """Rows in time order, their origin, the axis length in seconds, and resubmissions."""

    rows: tuple[Span, ...]
    origin: datetime | None
    total: float
    resubmissions: int = 0
    live: bool = False
    """True while the task is not terminal: the last state still grows."""
    outcome: Outcome | None = None

    @property
    def states(self) -> tuple[Span, ...]:
        """Only the state rows."""
        return tuple(row for row in self.rows if row.depth == 0)


def _seconds(moment: datetime | None, origin: datetime, fallback: float) -> float:
    if moment is None:
        return fallback
    value = (moment - origin).total_seconds()
    return value if math.isfinite(value) else fallback


def _operation_detail(operation: TaskOperation) -> str:
    attributes = operation.attributes
    if operation.name == "exec_command":
        command = attributes.get("command")
        text = sanitize_name(str(command), _DETAIL_CHARS) if command else ""
        code = attributes.get("exit_code")
        if isinstance(code, int) and not isinstance(code, bool):
            text = f"{text} (exit {code})" if text else f"exit {code}"
        return text
    return ""


def _operation_label(operation: TaskOperation) -> str:
    return _OPERATION_LABELS.get(operation.name) or sanitize_name(operation.alias or operation.name)


def outcome_of(task: TaskWithStatusHistory) -> Outcome:
    """The task's status and, unless it succeeded or is on its way, why it stands there."""
    info = status_info(task.status)
    label = display_alias(task.status, task.status_alias)
    if info.kind in (StatusKind.SUCCESS, StatusKind.RUNNING, StatusKind.WAITING):
        return Outcome(label, info.kind)
    detail = task.error_detail or (task.executer.error_detail if task.executer else None)
    reason = sanitize_name(detail, _REASON_CHARS) if detail else info.description
    return Outcome(label, info.kind, reason)


def _kill_asked(history: list[StatusHistoryEntry]) -> datetime | None:
    """When a kill was asked for, if it was.

    ``pending-kill`` says when; a server that goes straight to ``killed``
    interrupted the state before it, so that state's start stands in.
    """
    for index, entry in enumerate(history):
        if entry.status == "pending-kill":
            return entry.timestamp
        if entry.status == "killed":
            return history[index - 1].timestamp if index else entry.timestamp
    return None


def build_timeline(task: TaskWithStatusHistory, now: datetime) -> Timeline:
    """The task's timeline as of ``now`` (its end for a terminal task)."""
    history = [entry for entry in task.status_history if entry.timestamp is not None]
    if not history:
        return Timeline((), None, 0.0, outcome=outcome_of(task))
    kill_asked = _kill_asked(history)
    origin = min(entry.timestamp for entry in history if entry.timestamp is not None)
    live = not is_terminal(task.status, task.is_terminated)
    ends = [entry.end_timestamp or entry.timestamp for entry in history]
    last_known = max(_seconds(moment, origin, 0.0) for moment in ends)
    horizon = max(last_known, _seconds(now, origin, last_known)) if live else last_known
    rows: list[Span] = []
    previous: StatusHistoryEntry | None = None
    resubmissions = 0
    for index, entry in enumerate(history):
        start = _seconds(entry.timestamp, origin, 0.0)
        is_last = index == len(history) - 1
        open_end = entry.end_timestamp is None and is_last and live
        end = horizon if open_end else _seconds(entry.end_timestamp, origin, start)
        info = status_info(entry.status)
        resubmitted = (
            entry.status in {"submitted", "in-queue"}
            and previous is not None
            and previous.status in LOSS_STATUSES
        )
        resubmissions += resubmitted
        rows.append(
            Span(
                label=display_alias(entry.status, entry.alias),
                start=start,
                end=max(start, end),
                kind=info.kind,
                code=entry.status,
                open=open_end,
                resubmission=resubmitted,
            )
        )
        for operation in entry.operations:
            op_start = _seconds(operation.start_timestamp, origin, start)
            op_open = operation.end_timestamp is None and open_end
            # An operation the server never closed ended with its state at the latest.
            op_end = horizon if op_open else _seconds(operation.end_timestamp, origin, end)
            status = sanitize_name(operation.status or "")
            killed = (
                status.upper() == "FAILED"
                and kill_asked is not None
                and (operation.end_timestamp is None or operation.end_timestamp >= kill_asked)
            )
            rows.append(
                Span(
                    label=_operation_label(operation),
                    start=op_start,
                    end=max(op_start, op_end),
                    depth=1,
                    kind=info.kind,
                    code=operation.name,
                    status=status,
                    detail=_operation_detail(operation),
                    open=op_open,
                    killed=killed,
                )
            )
        previous = entry
    total = max([horizon, *(row.end for row in rows)])
    return Timeline(tuple(rows), origin, total, resubmissions, live, outcome_of(task))


def bar_cells(span: Span, total: float, width: int) -> tuple[int, int]:
    """Where ``span`` goes on an axis of ``width`` cells: first cell and length.

    Lengths are proportional to durations; every span gets at least one cell
    so an instant state still shows, and no bar runs past the axis.
    """
    if width <= 0:
        return 0, 0
    if total <= 0:
        return 0, 1
    first = min(width - 1, int(span.start / total * width))
    last = math.ceil(span.end / total * width)
    return first, max(1, min(width, last) - first)
