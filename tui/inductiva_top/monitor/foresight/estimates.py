"""When a waiting task starts, when a running one ends, when a project is done.

Every estimate is a :class:`Span` of seconds from the moment it was made
(``at``), with what it was based on, or no span at all ("unknown") when
nothing known supports one: no finished task to learn durations from, no
idea how many machines serve the queue, a machine group that has not
started. The UI formats them; nothing here makes up a number.

* :func:`estimate_start`: a waiting task starts when the tasks ahead of it
  in its machine group's queue (``position_in_queue.tasks_ahead``) have
  taken machines as they free up. The group's machines are its described
  size when known (:class:`GroupFacts`), else the most of its tasks seen
  running at once. The busy machines free up when their tasks end (their
  finish estimates); each task ahead then holds one for a duration of the
  group's recently finished tasks, most alike first (:mod:`.durations`):
  alike the task ahead when the dashboard holds it, else alike the waiting
  task.
  The low end of the span uses the short durations (10th percentile), the
  high end the long ones (90th), both widened when they are few
  (:func:`~.durations.spread`). Why it waits is a :class:`WaitReason`.
* :func:`estimate_finish`: a running task ends when its remaining compute
  and finalizing are done: from its own progress (:mod:`.progress`) when its
  output shows some, else from how long alike finished tasks took in the
  phase it is in, given how long it has been in it. :class:`Source` says
  which.
* :func:`project_eta`: a project is done when its running tasks end and its
  waiting ones have had their turn on its machines.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from inductiva_top.api.models import Task
from inductiva_top.monitor.foresight.durations import Durations, FinishedTasks, Phase
from inductiva_top.monitor.foresight.progress import ProgressReading
from inductiva_top.monitor.foresight.queueing import all_done_in, starts_after
from inductiva_top.monitor.statuses import StatusKind, status_info
from inductiva_top.monitor.task.queue import queue_view

__all__ = [
    "FinishEstimate",
    "GroupFacts",
    "ProjectEta",
    "Source",
    "Span",
    "StartEstimate",
    "WaitReason",
    "estimate_finish",
    "estimate_start",
    "project_eta",
    "wait_reason",
]


@dataclass(frozen=True, slots=True)
class Span:
    """A range of seconds from an estimate's ``at``: ``low <= high``."""

    low: float
    high: float

    def __post_init__(self) -> None:
        if not 0 <= self.low <= self.high:
            raise ValueError(f"a span needs 0 <= low <= high, got {self.low}..{self.high}")

    @property
    def middle(self) -> float:
        """Halfway between the ends: the one number, when one is needed."""
        return (self.low + self.high) / 2

    def between(self, at: datetime) -> tuple[datetime, datetime]:
        """The span as times: ``at`` plus each end."""
        return at + timedelta(seconds=self.low), at + timedelta(seconds=self.high)


def _span(low: float, high: float) -> Span:
    low, high = max(0.0, low), max(0.0, high)
    return Span(min(low, high), max(low, high))


class Source(Enum):
    """Where a finish estimate came from."""

    HISTORY = "history"
    """How long alike finished tasks took."""
    PROGRESS = "progress"
    """The task's own progress, read from its output."""


class WaitReason(Enum):
    """Why a waiting task is not running yet."""

    WAITING_FOR_INPUT = "its input files are not uploaded yet"
    GROUP_TERMINATED = "its machine group was terminated: it will never start"
    QUOTA = "the account's quota or credits keep machines from starting"
    GROUP_NOT_STARTED = "its machine group has not started"
    TASKS_AHEAD = "tasks ahead of it in the queue"
    GROUP_BUSY = "every machine of its group is busy"
    NEXT = "next in line for a free machine"


@dataclass(frozen=True)
class GroupFacts:
    """What is known of a machine group beyond its tasks (``GET /compute/group``)."""

    machines: int | None = None
    """How many tasks it runs at once (machines, or slots of a local group)."""
    started: bool | None = None
    """False while its machines are not up (registered, starting); None: not known."""
    quota: bool = False
    """True when the account's quota or credits keep it from starting machines."""
    terminated: bool = False
    """True once it is terminated (or shutting down): its waiting tasks will never start."""


@dataclass(frozen=True)
class StartEstimate:
    """When a waiting task should start, and why it waits."""

    at: datetime
    span: Span | None
    """Seconds from ``at`` until it starts; ``None``: unknown."""
    reason: WaitReason
    tasks_ahead: int | None
    ahead_from_server: bool
    """True when ``tasks_ahead`` is the server's count; False when counted from
    the tasks the dashboard holds (then it may be too low)."""
    machines: int | None
    machines_described: bool
    """True when ``machines`` is the group's described size, False when it is
    the most of its tasks seen running at once."""
    running: int
    """The group's tasks running now, of those the dashboard holds."""
    durations: Durations | None
    """How long each task ahead is taken to hold a machine."""

    def starts_between(self) -> tuple[datetime, datetime] | None:
        """The span as times, or ``None`` when unknown."""
        return None if self.span is None else self.span.between(self.at)

    @property
    def blocked(self) -> bool:
        """No machine frees up for it while its ``reason`` holds: no span can be given."""
        return self.reason in _NEVER_SOON


@dataclass(frozen=True)
class FinishEstimate:
    """When a running task should end, and from what."""

    at: datetime
    span: Span | None
    """Seconds from ``at`` until it ends; ``None``: unknown."""
    source: Source | None
    """``None`` when unknown."""
    phase: Phase
    """The phase it is in: ``RUN`` (preparing), ``COMPUTE`` or ``FINALIZE``."""
    durations: Durations | None
    """The durations used: of the phase for ``HISTORY``, of finalizing for ``PROGRESS``."""
    progress: ProgressReading | None
    """The progress used, for ``PROGRESS``."""
    overdue: bool = False
    """It has run longer than every alike finished task: no span."""

    def ends_between(self) -> tuple[datetime, datetime] | None:
        """The span as times, or ``None`` when unknown."""
        return None if self.span is None else self.span.between(self.at)


@dataclass(frozen=True)
class ProjectEta:
    """When a project's remaining tasks should all be done."""

    at: datetime
    span: Span | None
    waiting: int
    running: int
    machines: int | None
    durations: Durations | None


# -- finish ----------------------------------------------------------------------------


def _elapsed(since: datetime, now: datetime) -> float:
    return max(0.0, (now - since).total_seconds())


def _finalize_after(durations: Durations | None) -> tuple[float, float]:
    # Finalizing that no finished task measured is taken as instant.
    return (durations.low, durations.high) if durations is not None else (0.0, 0.0)


def _from_progress(
    reading: ProgressReading, computing_since: datetime, now: datetime
) -> list[float] | None:
    """Seconds of compute left by each known rate, or ``None`` without a usable one."""
    if reading.fraction >= 1:
        return [0.0]
    rates = [
        rate
        for rate in (reading.recent_rate, reading.overall_rate(computing_since))
        if rate is not None and rate > 0
    ]
    if not rates:
        return None
    since_read = _elapsed(reading.at, now)
    return [max(0.0, (1 - reading.fraction) / rate - since_read) for rate in rates]


def estimate_finish(
    task: Task,
    *,
    now: datetime,
    finished: FinishedTasks,
    progress: ProgressReading | None = None,
) -> FinishEstimate | None:
    """When ``task`` should end; ``None`` when it is not running.

    A task being killed (``pending-kill``) is not running: it ends when the
    kill is carried out. ``progress`` is the task's own progress (a
    :class:`~.progress.ProgressTracker`'s reading), used in the compute phase
    when it gives a rate.
    """
    if status_info(task.status).kind is not StatusKind.RUNNING:
        return None
    alike = {"group": task.machine_group, "simulator": task.simulator, "project": task.project}
    finalize = finished.durations(Phase.FINALIZE, **alike)
    after_compute = _finalize_after(finalize)
    computing_since = task.computation_start_time
    if task.computation_end_time is not None or task.status == "computation-ended":
        if finalize is not None:
            # Seen ending before its time was recorded: it has only just begun finalizing.
            ended = task.computation_end_time or now
            return _from_history(now, Phase.FINALIZE, finalize, ended, (0.0, 0.0))
    elif computing_since is not None:
        if progress is not None:
            left = _from_progress(progress, computing_since, now)
            if left is not None:
                return FinishEstimate(
                    at=now,
                    span=_span(min(left) + after_compute[0], max(left) + after_compute[1]),
                    source=Source.PROGRESS,
                    phase=Phase.COMPUTE,
                    durations=finalize,
                    progress=progress,
                )
        compute = finished.durations(Phase.COMPUTE, **alike)
        if compute is not None:
            return _from_history(now, Phase.COMPUTE, compute, computing_since, after_compute)
    run = finished.durations(Phase.RUN, **alike)
    return _from_history(now, Phase.RUN, run, task.start_time or computing_since, (0.0, 0.0))


def _from_history(
    now: datetime,
    phase: Phase,
    durations: Durations | None,
    since: datetime | None,
    after: tuple[float, float],
) -> FinishEstimate:
    unknown = FinishEstimate(now, None, None, phase, durations, None)
    if durations is None or since is None:
        return unknown
    left = durations.remaining_after(_elapsed(since, now))
    if left is None:
        return FinishEstimate(now, None, None, phase, durations, None, overdue=True)
    return FinishEstimate(
        at=now,
        span=_span(left[0] + after[0], left[1] + after[1]),
        source=Source.HISTORY,
        phase=phase,
        durations=durations,
        progress=None,
    )


# -- start -----------------------------------------------------------------------------


def _busy_for(
    running: Sequence[Task],
    now: datetime,
    finished: FinishedTasks,
    known: Mapping[str, Span],
    each: Durations,
) -> list[Span]:
    """How long each running task keeps its machine."""
    spans = []
    for task in running:
        span = known.get(task.task_id)
        if span is None:
            estimate = estimate_finish(task, now=now, finished=finished)
            span = estimate.span if estimate is not None else None
        # Overdue or not estimable: it may end any moment, or hold its
        # machine about as long as a typical task does.
        spans.append(span if span is not None else Span(0.0, each.typical))
    return spans


def _machines(
    facts: GroupFacts, running: int, finished: FinishedTasks, group: str | None
) -> tuple[int | None, bool]:
    if facts.machines is not None and facts.machines > 0:
        return facts.machines, True
    seen = max(running, finished.parallelism(group) or 0)
    return (seen, False) if seen > 0 else (None, False)


def wait_reason(
    task: Task, *, tasks_ahead: int, facts: GroupFacts, running: int, machines: int | None
) -> WaitReason:
    """Why the waiting ``task`` is not running: the first that holds, in this order.

    Inputs not uploaded; the group terminated; quota or credits; the group not
    started; tasks ahead (``tasks_ahead``); every one of its ``machines`` busy
    with the ``running`` tasks; else it is next.
    """
    if task.status == "pending-input":
        return WaitReason.WAITING_FOR_INPUT
    if facts.terminated:
        return WaitReason.GROUP_TERMINATED
    if facts.quota:
        return WaitReason.QUOTA
    if facts.started is False:
        return WaitReason.GROUP_NOT_STARTED
    if tasks_ahead > 0:
        return WaitReason.TASKS_AHEAD
    if machines is not None and running >= machines:
        return WaitReason.GROUP_BUSY
    return WaitReason.NEXT


_NEVER_SOON = frozenset(
    {
        WaitReason.WAITING_FOR_INPUT,
        WaitReason.GROUP_TERMINATED,
        WaitReason.QUOTA,
        WaitReason.GROUP_NOT_STARTED,
    }
)
"""Reasons no machine will free up for: no start span can be given."""


def estimate_start(
    task: Task,
    *,
    now: datetime,
    finished: FinishedTasks,
    held: Iterable[Task],
    tasks_ahead: int | None,
    facts: GroupFacts | None = None,
    running_left: Mapping[str, Span] | None = None,
) -> StartEstimate | None:
    """When the waiting ``task`` should start; ``None`` when it is not waiting.

    ``held``: the tasks the dashboard holds (its machine group's running and
    waiting ones are used); ``tasks_ahead``: the server's
    ``position_in_queue.tasks_ahead``, or ``None`` to count the held tasks
    queued before it; ``running_left``: finish estimates already made for
    running tasks, by id (others are estimated from history).
    """
    if status_info(task.status).kind is not StatusKind.WAITING:
        return None
    facts = facts or GroupFacts()
    view = queue_view(task, held, tasks_ahead, now)
    # A task still waiting for its inputs is not in the queue yet.
    queued = [other for other in view.ahead if other.status != "pending-input"]
    ahead = tasks_ahead if tasks_ahead is not None else len(queued)
    group = task.machine_group
    machines, described = _machines(facts, len(view.running), finished, group)
    durations = finished.durations(
        Phase.RUN, group=group, simulator=task.simulator, project=task.project
    )

    def result(reason: WaitReason, span: Span | None) -> StartEstimate:
        return StartEstimate(
            at=now,
            span=span,
            reason=reason,
            tasks_ahead=ahead,
            ahead_from_server=tasks_ahead is not None,
            machines=machines,
            machines_described=described,
            running=len(view.running),
            durations=durations,
        )

    reason = wait_reason(
        task, tasks_ahead=ahead, facts=facts, running=len(view.running), machines=machines
    )
    if reason in _NEVER_SOON or durations is None or machines is None:
        return result(reason, None)
    busy = _busy_for(view.running, now, finished, running_left or {}, durations)
    # The tasks ahead the dashboard holds take as long as tasks alike them;
    # the others (the server counts more) as long as tasks alike this one.
    known = [
        finished.durations(Phase.RUN, group=group, simulator=t.simulator, project=t.project)
        or durations
        for t in queued[:ahead]
    ]
    more = ahead - len(known)
    low = starts_after(
        [span.low for span in busy], machines, [d.low for d in known], more, durations.low
    )
    high = starts_after(
        [span.high for span in busy], machines, [d.high for d in known], more, durations.high
    )
    return result(reason, _span(low, high))


# -- project ---------------------------------------------------------------------------


def project_eta(
    *,
    now: datetime,
    waiting: int,
    running_left: Sequence[Span | None],
    durations: Durations | None,
    machines: int | None = None,
) -> ProjectEta:
    """When a project's ``waiting`` tasks and running ones are all done.

    ``running_left``: a finish estimate per running task (``None`` where
    unknown); ``durations``: how long one of its tasks runs (its finished
    tasks', or :meth:`~.durations.Durations.average` of the project's
    statistics); ``machines``: how many of its tasks run at once, by default
    as many as run now.
    """
    running = len(running_left)
    parallel = machines if machines is not None and machines > 0 else running or None

    def result(span: Span | None) -> ProjectEta:
        return ProjectEta(now, span, waiting, running, parallel, durations)

    if waiting <= 0 and running == 0:
        return result(Span(0.0, 0.0))
    if durations is None:
        if waiting > 0 or any(span is None for span in running_left):
            return result(None)
        known = [span for span in running_left if span is not None]
        return result(_span(max(s.low for s in known), max(s.high for s in known)))
    if parallel is None:
        return result(None)
    busy = [span if span is not None else Span(0.0, durations.typical) for span in running_left]
    low = all_done_in([span.low for span in busy], parallel, waiting, durations.low)
    high = all_done_in([span.high for span in busy], parallel, waiting, durations.high)
    return result(_span(low, high))
