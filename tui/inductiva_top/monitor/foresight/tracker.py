"""What the dashboard foresees of the tasks it holds, kept up to date refresh by refresh.

:class:`Foresight` is fed after each poll (:meth:`Foresight.observe`: the
held tasks and the server's queue places) and by the panes (the running
task's last line of output for its progress, the runner's
``output_update.csv`` for when its output last changed). It keeps, per task
id, the start estimate of each waiting task and the finish estimate of each
running one, the header's history, and says which running tasks are
stalled. The UI reads it; nothing here knows about Textual.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from inductiva_top.api.models import Task
from inductiva_top.monitor.foresight.durations import FinishedTasks
from inductiva_top.monitor.foresight.estimates import (
    FinishEstimate,
    GroupFacts,
    Span,
    StartEstimate,
    estimate_finish,
    estimate_start,
)
from inductiva_top.monitor.foresight.header_history import HeaderHistory
from inductiva_top.monitor.foresight.progress import ProgressReading, ProgressTracker
from inductiva_top.monitor.foresight.resources import OutputUpdates, is_stalled
from inductiva_top.monitor.statuses import StatusKind, status_info

__all__ = ["Foresight", "left_of"]


def left_of(span: Span, at: datetime, now: datetime) -> Span:
    """``span`` (seconds from ``at``) as seconds from ``now``; an end already past is 0."""
    gone = max(0.0, (now - at).total_seconds())
    return Span(max(0.0, span.low - gone), max(0.0, span.high - gone))


class Foresight:
    """Start and finish estimates, progress, output ages and history of the held tasks."""

    def __init__(self, started: datetime, *, stall_after: float) -> None:
        self.finished = FinishedTasks()
        self.history = HeaderHistory(started)
        self.stall_after = stall_after
        """Seconds without new output (``stall_after``); 0 never marks a task stalled."""
        self.starts: dict[str, StartEstimate] = {}
        """Waiting task id -> when it should start (as of the last refresh)."""
        self.finishes: dict[str, FinishEstimate] = {}
        """Running task id -> when it should end (as of the last refresh)."""
        self.outputs: dict[str, OutputUpdates] = {}
        """Task id -> when its output last changed (``output_update.csv``)."""
        self.groups: Mapping[str, GroupFacts] = {}
        """Machine group name or id -> what the fleet knows of it (its size first of all)."""
        self._progress: dict[str, ProgressTracker] = {}
        self._running: dict[str, Task] = {}

    def observe(
        self,
        held: Iterable[Task],
        queue_ahead: Mapping[str, int],
        now: datetime,
        groups: Mapping[str, GroupFacts] | None = None,
    ) -> None:
        """One refresh: the tasks the dashboard holds (each once), the server's ``tasks_ahead`` and,
        where the fleet lists them, the machine groups' facts
        (:meth:`~inductiva_top.monitor.fleet.tracker.FleetState.facts`)."""
        if groups is not None:
            self.groups = groups
        tasks = list(held)
        self.finished.observe(tasks)
        running = [t for t in tasks if status_info(t.status).kind is StatusKind.RUNNING]
        finishes: dict[str, FinishEstimate] = {}
        for task in running:
            estimate = estimate_finish(
                task, now=now, finished=self.finished, progress=self.progress(task.task_id)
            )
            if estimate is not None:
                finishes[task.task_id] = estimate
        self.finishes = finishes
        # Only waiting and running tasks shape a queue: each estimate looks at them alone.
        queued = [t for t in tasks if status_info(t.status).kind is StatusKind.WAITING]
        in_play = queued + running
        left = self._running_left(now)
        starts: dict[str, StartEstimate] = {}
        for task in queued:
            start = self.start_of(task, in_play, queue_ahead.get(task.task_id), now, left)
            if start is not None:
                starts[task.task_id] = start
        self.starts = starts
        self._running = {task.task_id: task for task in running}
        # What is known of tasks no longer running goes (a dashboard runs for days).
        for kept in (self._progress, self.outputs):
            for task_id in [key for key in kept if key not in self._running]:
                del kept[task_id]

    def _running_left(self, now: datetime) -> dict[str, Span]:
        return {
            task_id: left_of(estimate.span, estimate.at, now)
            for task_id, estimate in self.finishes.items()
            if estimate.span is not None
        }

    def start_of(
        self,
        task: Task,
        held: Iterable[Task],
        tasks_ahead: int | None,
        now: datetime,
        running_left: Mapping[str, Span] | None = None,
    ) -> StartEstimate | None:
        """When the waiting ``task`` should start, among the ``held`` tasks; ``None`` if not
        waiting. The running tasks' finish estimates of the last refresh are used
        (``running_left``: those already brought to ``now``)."""
        if status_info(task.status).kind is not StatusKind.WAITING:
            return None
        group = task.machine_group
        return estimate_start(
            task,
            now=now,
            finished=self.finished,
            held=held,
            tasks_ahead=tasks_ahead,
            facts=self.groups.get(group) if group is not None else None,
            running_left=running_left if running_left is not None else self._running_left(now),
        )

    def running_left(self, now: datetime) -> dict[str, list[Span]]:
        """By project, seconds left (from ``now``) of its running tasks with a finish
        estimate: what the project board's ETA takes from the dashboard."""
        left: dict[str, list[Span]] = {}
        for task_id, span in self._running_left(now).items():
            task = self._running.get(task_id)
            if task is not None and task.project:
                left.setdefault(task.project, []).append(span)
        return left

    def record_counts(self, now: datetime, counts: Mapping[str, int]) -> None:
        """The header's status counts of one refresh, for its history.

        None yet (no refresh has brought them) is not a count of zero: the
        tasks finished before the dashboard started would count as finishes.
        """
        if counts:
            self.history.record(now, counts)

    def note_line(self, task_id: str, line: str, at: datetime) -> None:
        """The newest line of a running task's output (read at ``at``), for its progress."""
        if task_id not in self._running:
            return
        self._progress.setdefault(task_id, ProgressTracker()).observe(at, line)

    def note_output_update(self, task_id: str, lines: Iterable[str]) -> bool:
        """Lines of the task's ``output_update.csv``; returns whether its output moved."""
        if task_id not in self._running:
            return False
        return self.outputs.setdefault(task_id, OutputUpdates()).feed_lines(lines)

    def progress(self, task_id: str) -> ProgressReading | None:
        """The task's own progress as last read, if its output shows any."""
        tracker = self._progress.get(task_id)
        return tracker.reading if tracker is not None else None

    def output_age(self, task_id: str, now: datetime) -> float | None:
        """Seconds since the task's output last changed; ``None`` when not known."""
        updates = self.outputs.get(task_id)
        return updates.age(now) if updates is not None else None

    def stalled(self, task: Task, now: datetime) -> bool:
        """Whether the running ``task``'s output has not changed for :attr:`stall_after`.

        Only once something is known of its output (a task never asked about
        is not called stalled on the strength of silence nobody checked).
        """
        updates = self.outputs.get(task.task_id)
        if updates is None or task.task_id not in self._running:
            return False
        last = updates.last.time if updates.last is not None else None
        return is_stalled(last, now, self.stall_after, since=task.computation_start_time)

    def running_ids(self, limit: int) -> list[str]:
        """Up to ``limit`` running task ids, the longest running first (most likely stalled)."""

        def since(task: Task) -> float:
            when = task.computation_start_time or task.start_time
            return when.timestamp() if when is not None else float("inf")

        ordered = sorted(self._running.values(), key=since)
        return [task.task_id for task in ordered[:limit]]
