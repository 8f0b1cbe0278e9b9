"""The recently finished tasks a dashboard has seen, and what their durations say.

:class:`FinishedTasks` keeps, per machine group, the most recent finished
tasks it is shown (a bounded number), as :class:`Sample` s. Asked for the
durations of a phase (:class:`Phase`) for a task of some simulator and
project, it looks at the group's recent successes in tiers, most alike
first: same simulator and project, same simulator, same project, the whole
group (:class:`Scope`). The first tier with at least :data:`MIN_SAMPLES`
durations answers; else the whole group does, however few it holds; with
none at all the answer is ``None``, and an estimate built on it says
"unknown".

Only successes give durations (a failed task often stops early and says
little about how long the next one runs); every finished task that held a
machine counts when measuring how many of a group's tasks ran at once.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from inductiva_top.api.models import Task
from inductiva_top.monitor.statuses import StatusKind, is_terminal, status_info

__all__ = [
    "HIGH_QUANTILE",
    "LOW_QUANTILE",
    "MIN_SAMPLES",
    "RECENT",
    "Durations",
    "FinishedTasks",
    "Phase",
    "Sample",
    "Scope",
    "quantile",
    "spread",
]

MIN_SAMPLES = 3
"""Durations a tier needs before it answers instead of a broader one."""

RECENT = 20
"""The most recent durations of a tier that count: the batch of now, not of last month."""

LOW_QUANTILE = 0.1
HIGH_QUANTILE = 0.9
"""An estimate's range is from the 10th to the 90th percentile of what it is based on.

The 20th to 80th held the truth in 20-44 % of the estimates the benchmark
scored (``bench/estimates.py``): a range a reader can trust has to be wider."""


class Phase(Enum):
    """Which part of a task's life a duration measures."""

    RUN = "run"
    """Picked by a machine until finished: how long it holds the machine."""
    COMPUTE = "compute"
    """The simulator's command, start to end."""
    FINALIZE = "finalize"
    """From the command's end to the task's end (outputs compressed and uploaded)."""


class Scope(Enum):
    """Which finished tasks a duration estimate is based on."""

    SIMULATOR_AND_PROJECT = "same simulator and project"
    SIMULATOR = "same simulator"
    PROJECT = "same project"
    GROUP = "same machine group"
    AVERAGE = "the project's average"
    """Not from samples: one average duration (a project's statistics)."""


def _seconds(start: datetime, end: datetime) -> float:
    return max(0.0, (end - start).total_seconds())


@dataclass(frozen=True, slots=True)
class Sample:
    """One finished task that ran, as far as durations are concerned."""

    task_id: str
    group: str | None
    simulator: str | None
    project: str | None
    started: datetime
    ended: datetime
    compute_seconds: float | None
    finalize_seconds: float | None
    succeeded: bool

    @property
    def run_seconds(self) -> float:
        """From being picked by a machine to the end."""
        return _seconds(self.started, self.ended)

    def seconds(self, phase: Phase) -> float | None:
        """This task's duration of ``phase``, if known."""
        if phase is Phase.RUN:
            return self.run_seconds
        if phase is Phase.COMPUTE:
            return self.compute_seconds
        return self.finalize_seconds

    @classmethod
    def from_task(cls, task: Task) -> Sample | None:
        """The sample of a finished task, or ``None`` when it never ran or is not finished."""
        if not is_terminal(task.status, task.is_terminated):
            return None
        started = task.start_time or task.computation_start_time
        ended = task.end_time or task.computation_end_time
        if started is None or ended is None or ended < started:
            return None
        compute: float | None = None
        if task.metrics is not None and task.metrics.computation_seconds is not None:
            compute = max(0.0, task.metrics.computation_seconds)
        elif task.computation_start_time and task.computation_end_time:
            compute = _seconds(task.computation_start_time, task.computation_end_time)
        finalize: float | None = None
        if task.computation_end_time is not None and task.end_time is not None:
            finalize = _seconds(task.computation_end_time, task.end_time)
        return cls(
            task_id=task.task_id,
            group=task.machine_group,
            simulator=task.simulator,
            project=task.project,
            started=started,
            ended=ended,
            compute_seconds=compute,
            finalize_seconds=finalize,
            succeeded=status_info(task.status).kind is StatusKind.SUCCESS,
        )


def quantile(ordered: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) of sorted values, interpolated between neighbours."""
    if not ordered:
        raise ValueError("quantile of no values")
    position = q * (len(ordered) - 1)
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    weight = position - below
    return ordered[below] * (1 - weight) + ordered[above] * weight


def spread(ordered: Sequence[float]) -> tuple[float, float]:
    """The (low, high) range of sorted durations that the next one should fall in.

    The quantiles of few durations understate how far the next one may be
    from them (of ``n`` durations, the next falls outside their extremes
    with a chance of 2/(n+1)), so the range is stretched by (n+1)/n: a
    range from one task is half to twice its duration, from twenty barely
    more than their quantiles.
    """
    n = len(ordered)
    stretch = (n + 1) / n
    return quantile(ordered, LOW_QUANTILE) / stretch, quantile(ordered, HIGH_QUANTILE) * stretch


@dataclass(frozen=True)
class Durations:
    """What some finished tasks' durations (in seconds) say about the next one."""

    low: float
    """The 10th percentile, lowered when there are few (:func:`spread`)."""
    typical: float
    """The median."""
    high: float
    """The 90th percentile, raised when there are few (:func:`spread`)."""
    count: int
    """How many durations; 0 for an average given as one number."""
    scope: Scope
    ordered: tuple[float, ...] = ()
    """The durations themselves, shortest first (empty for an average)."""

    @classmethod
    def of(cls, seconds: Iterable[float], scope: Scope) -> Durations | None:
        """The durations of ``seconds``, or ``None`` when there are none."""
        ordered = tuple(sorted(seconds))
        if not ordered:
            return None
        low, high = spread(ordered)
        return cls(
            low=low,
            typical=quantile(ordered, 0.5),
            high=high,
            count=len(ordered),
            scope=scope,
            ordered=ordered,
        )

    @classmethod
    def average(cls, seconds: float) -> Durations:
        """One average duration (a project's statistics): low, typical and high alike."""
        value = max(0.0, seconds)
        return cls(low=value, typical=value, high=value, count=0, scope=Scope.AVERAGE)

    def remaining_after(self, elapsed: float) -> tuple[float, float] | None:
        """(low, high) seconds left for a task that has run ``elapsed`` seconds.

        From the durations longer than ``elapsed`` (what finished tasks that
        got this far took), less ``elapsed``. ``None`` when none got this far:
        the task is overdue and nothing here says when it ends.
        """
        if not self.ordered:
            left = self.typical - elapsed
            return None if left < 0 else (left, left)
        longer = [seconds - elapsed for seconds in self.ordered if seconds >= elapsed]
        if not longer:
            return None
        return spread(longer)


class FinishedTasks:
    """The finished tasks a dashboard has seen, per machine group, newest kept.

    Feed it every task the dashboard receives (:meth:`observe`); it keeps
    those that finished after running, at most ``per_group`` per machine
    group (the most recently ended).
    """

    def __init__(self, per_group: int = 200) -> None:
        if per_group < 1:
            raise ValueError(f"per_group must be at least 1, got {per_group}")
        self.per_group = per_group
        self._groups: dict[str | None, dict[str, Sample]] = {}
        self._answers: dict[tuple[Phase, str | None, str | None, str | None], Durations | None] = {}
        """Answers of :meth:`durations` since the samples last changed: a refresh asks the
        same question for every task ahead of every waiting task."""
        self._parallel: dict[str | None, int | None] = {}
        """Answers of :meth:`parallelism` since the samples last changed."""

    def __len__(self) -> int:
        return sum(len(samples) for samples in self._groups.values())

    def observe(self, tasks: Iterable[Task]) -> int:
        """Take the finished tasks among ``tasks``; returns how many were new."""
        added = 0
        for task in tasks:
            sample = Sample.from_task(task)
            if sample is None:
                continue
            group = self._groups.setdefault(sample.group, {})
            if sample.task_id not in group:
                added += 1
            if group.get(sample.task_id) != sample:
                self._answers.clear()
                self._parallel.clear()
            group[sample.task_id] = sample
            if len(group) > self.per_group:
                oldest = min(group.values(), key=lambda kept: kept.ended)
                del group[oldest.task_id]
        return added

    def samples(self, group: str | None) -> list[Sample]:
        """The kept samples of ``group``, newest first."""
        kept = self._groups.get(group, {}).values()
        return sorted(kept, key=lambda sample: sample.ended, reverse=True)

    def durations(
        self,
        phase: Phase,
        *,
        group: str | None,
        simulator: str | None,
        project: str | None,
    ) -> Durations | None:
        """Durations of ``phase`` for a task of ``simulator`` and ``project`` in ``group``.

        From the most alike tier with :data:`MIN_SAMPLES` recent successes,
        else the whole group's; ``None`` without a single one.
        """
        question = (phase, group, simulator, project)
        if question not in self._answers:
            self._answers[question] = self._durations(phase, group, simulator, project)
        return self._answers[question]

    def _durations(
        self, phase: Phase, group: str | None, simulator: str | None, project: str | None
    ) -> Durations | None:
        successes = [sample for sample in self.samples(group) if sample.succeeded]
        tiers: tuple[tuple[Scope, bool, bool], ...] = (
            (Scope.SIMULATOR_AND_PROJECT, True, True),
            (Scope.SIMULATOR, True, False),
            (Scope.PROJECT, False, True),
        )
        for scope, by_simulator, by_project in tiers:
            if (by_simulator and simulator is None) or (by_project and project is None):
                continue
            alike = [
                seconds
                for sample in successes
                if (not by_simulator or sample.simulator == simulator)
                and (not by_project or sample.project == project)
                and (seconds := sample.seconds(phase)) is not None
            ][:RECENT]
            if len(alike) >= MIN_SAMPLES:
                return Durations.of(alike, scope)
        every = [s for sample in successes if (s := sample.seconds(phase)) is not None]
        return Durations.of(every[:RECENT], Scope.GROUP)

    def project_durations(self, project: str, phase: Phase = Phase.RUN) -> Durations | None:
        """Durations of ``phase`` of ``project``'s recent successes, in any machine group."""
        successes = sorted(
            (
                sample
                for group in self._groups.values()
                for sample in group.values()
                if sample.succeeded and sample.project == project
            ),
            key=lambda sample: sample.ended,
            reverse=True,
        )
        seconds = [s for sample in successes if (s := sample.seconds(phase)) is not None]
        return Durations.of(seconds[:RECENT], Scope.PROJECT)

    def parallelism(self, group: str | None) -> int | None:
        """The most of ``group``'s kept tasks that ran at the same time; ``None`` without any."""
        if group not in self._parallel:
            self._parallel[group] = self._parallelism(group)
        return self._parallel[group]

    def _parallelism(self, group: str | None) -> int | None:
        events: list[tuple[datetime, int]] = []
        for sample in self._groups.get(group, {}).values():
            # An end sorts before a start at the same instant: a machine freed
            # and taken again is one machine, not two.
            events.append((sample.started, 1))
            events.append((sample.ended, -1))
        if not events:
            return None
        events.sort()
        running = most = 0
        for _, step in events:
            running += step
            most = max(most, running)
        return max(most, 1)
