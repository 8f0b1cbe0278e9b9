"""The project board's rows: one per project of ``GET /projects``, busiest first.

Everything comes from the one listing: the status overview (counts by kind
and the bar), ``statistics`` (success rate, average duration) and
``estimated_computation_cost``. ``time`` is the finished tasks' summed
duration (how many finished times the API's average duration); it is what
the API's statistics give, from creation to end, queue included.

The ETA to finish (:func:`~inductiva_top.monitor.foresight.estimates.project_eta`):
the running tasks end when their finish estimates say, where the dashboard
holds them (``running_left``: from how long they have run); the others within
one average duration (the low end: now; the high end: a whole one, since how
long they have run is not in the listing), then the waiting ones run in turns
on as many machines as the project was seen running at once lately
(:class:`Parallelism`), each for the project's average duration. Unknown
before any task finished (no average) or while nothing runs and nothing was
seen running (no idea of its machines).

Where the listing alone is used, the same counts give the same span a minute
later; :class:`Deadlines` remembers when the project was due by the ETA made
when its counts last changed, and past that the row says how late it is
(``late 2m``) instead of a span that is no longer true.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from inductiva_top.api.models import Project
from inductiva_top.monitor import fmt
from inductiva_top.monitor.batch.bars import KindCounts
from inductiva_top.monitor.foresight.durations import Durations
from inductiva_top.monitor.foresight.estimates import ProjectEta, Span, project_eta
from inductiva_top.monitor.statuses import StatusKind

__all__ = [
    "PARALLELISM_WINDOW",
    "Deadlines",
    "Parallelism",
    "ProjectRow",
    "board_rows",
    "eta_text",
    "project_row",
    "project_state",
    "row_eta_text",
]

PARALLELISM_WINDOW = 120.0
"""Seconds of refreshes over which the most running tasks of a project count as its machines."""


@dataclass(frozen=True)
class ProjectRow:
    """One project as the board shows it."""

    name: str
    counts: KindCounts
    total: int
    success_rate: float | None
    cost: float | None
    time_seconds: float | None
    """The finished tasks' summed duration (finished x the average), queue included."""
    average_seconds: float | None
    eta: ProjectEta
    created_at: datetime | None
    late_seconds: float | None = None
    """How far past the finish its ETA promised when its counts last changed (None: not late)."""

    @property
    def active(self) -> bool:
        """Some of its tasks run or wait."""
        return self.counts.active > 0


class Parallelism:
    """The most tasks of each project seen running at once over the last refreshes.

    A project between two tasks (one ended, the next not started yet) still
    has its machines: the recent maximum says how many, where the count of
    this instant would say none.
    """

    def __init__(self, window: float = PARALLELISM_WINDOW) -> None:
        self.window = window
        self._seen: dict[str, deque[tuple[float, int]]] = {}

    def observe(self, running: Mapping[str, int], now: float) -> None:
        """Running counts by project at ``now`` (monotonic seconds)."""
        for name, count in running.items():
            seen = self._seen.setdefault(name, deque())
            seen.append((now, count))
            while seen and seen[0][0] < now - self.window:
                seen.popleft()

    def machines(self, name: str) -> int | None:
        """The most of ``name``'s tasks seen running lately; ``None`` when none ran."""
        most = max((count for _, count in self._seen.get(name, ())), default=0)
        return most or None


def project_state(project: Project) -> object:
    """What changes in a project when one of its runs does."""
    return (project.num_tasks, project.task_status_overview, project.estimated_computation_cost)


class Deadlines:
    """When each project was due to finish, by the ETA made when its counts last changed."""

    def __init__(self) -> None:
        self._due: dict[str, tuple[object, float | None]] = {}

    def late(self, project: Project, eta: ProjectEta, now: float) -> float | None:
        """Seconds ``project`` is past its due time at ``now`` (epoch seconds); None if not late."""
        state = project_state(project)
        seen = self._due.get(project.name)
        if seen is None or seen[0] != state:
            due = now + eta.span.high if eta.span is not None else None
            self._due[project.name] = (state, due)
        else:
            due = seen[1]
        finished = eta.waiting <= 0 and eta.running == 0
        if due is None or eta.span is None or finished or now <= due:
            return None
        return now - due


def project_row(
    project: Project,
    now: datetime,
    machines: int | None = None,
    running_left: Sequence[Span] = (),
) -> ProjectRow:
    """``project`` as a board row; ``machines``: how many of its tasks run at once;
    ``running_left``: seconds left, from ``now``, of those of its running tasks the
    dashboard estimates (the rest are taken to end within one average duration)."""
    counts = KindCounts.of_overview(project.task_status_overview)
    statistics = project.statistics
    average = statistics.avg_task_duration_seconds if statistics is not None else None
    success = statistics.success_rate if statistics is not None else None
    if success is None:
        success = counts.success_rate
    running = counts[StatusKind.RUNNING]
    eta = project_eta(
        now=now,
        waiting=counts[StatusKind.WAITING],
        running_left=[*running_left[:running], *[None] * (running - len(running_left))],
        durations=Durations.average(average) if average is not None else None,
        machines=max(machines or 0, running) or None,
    )
    return ProjectRow(
        name=project.name,
        counts=counts,
        total=project.num_tasks if project.num_tasks is not None else counts.total,
        success_rate=success,
        cost=project.estimated_computation_cost,
        time_seconds=average * counts.done if average is not None else None,
        average_seconds=average,
        eta=eta,
        created_at=project.created_at,
    )


def _activity(row: ProjectRow) -> tuple[bool, int, int, float, str]:
    created = row.created_at.timestamp() if row.created_at is not None else 0.0
    return (
        not row.active,
        -row.counts[StatusKind.RUNNING],
        -row.counts[StatusKind.WAITING],
        -created,
        row.name,
    )


def board_rows(
    projects: Iterable[Project],
    now: datetime,
    parallelism: Parallelism | None = None,
    deadlines: Deadlines | None = None,
    running_left: Mapping[str, Sequence[Span]] | None = None,
) -> list[ProjectRow]:
    """The board's rows: projects with running or waiting tasks first (most running,
    then most waiting), then the others, newest first. ``running_left``: by project,
    what :func:`project_row` takes."""
    rows = []
    for project in projects:
        row = project_row(
            project,
            now,
            parallelism.machines(project.name) if parallelism else None,
            (running_left or {}).get(project.name, ()),
        )
        if deadlines is not None:
            row = replace(row, late_seconds=deadlines.late(project, row.eta, now.timestamp()))
        rows.append(row)
    return sorted(rows, key=_activity)


def row_eta_text(row: ProjectRow) -> str:
    """The row's ETA, or ``late 2m`` once past what it promised while nothing changed."""
    if row.late_seconds is not None:
        return f"late {fmt.compact_duration(row.late_seconds)}"
    return eta_text(row.eta)


def eta_text(eta: ProjectEta) -> str:
    """``done``, ``unknown``, ``~4m`` or ``3m-5m``: the time left to finish."""
    if eta.waiting <= 0 and eta.running == 0:
        return "done"
    if eta.span is None:
        return "unknown"
    low, high = fmt.compact_duration(eta.span.low), fmt.compact_duration(eta.span.high)
    return f"~{high}" if low == high else f"{low}-{high}"
