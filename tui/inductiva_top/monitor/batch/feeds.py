"""The one tick of the project board, the sweep table and the failures view.

Each is run by a :class:`~inductiva_top.monitor.poller.PollLoop` (the main
screen's machinery: pacing, back-off, stale data, F5), so an API error from a
tick marks the data stale and leaves the last rows in place.

* :class:`BoardFeed`: one ``GET /projects`` per refresh, whatever the
  number of tasks (the server sums them; at most the 100 newest projects).
* :class:`SweepFeed`: ``GET /projects/{name}`` per refresh (a constant few
  hundred bytes: status overview and cost), and the project's runs (``GET
  /projects/{name}/tasks_info?select=distinct``, a row per task) only when
  the project changed since they were fetched (or on F5), and then at most
  every ``ceil(rows / ROWS_PER_TICK)`` refreshes: a finished project costs
  one small request per refresh, a busy one of 10,000 runs a full reload
  every few refreshes rather than every one. The API pages neither route,
  and a sweep table needs every run (to group and sort by parameter).
* :class:`FailuresFeed`: the failed tasks of a view (a page per failure
  code), grouped by signature, and the stderr of those not read yet, a
  bounded number per refresh.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timezone

from inductiva_top.api.errors import NotFound
from inductiva_top.api.models import Project, Task
from inductiva_top.monitor.batch.bars import KindCounts
from inductiva_top.monitor.batch.board import (
    Deadlines,
    Parallelism,
    ProjectRow,
    board_rows,
    project_state,
)
from inductiva_top.monitor.batch.source import BatchSource
from inductiva_top.monitor.batch.sweep import SweepData, from_tasks, from_tasks_info
from inductiva_top.monitor.batch.triage import FailureGroup, group_failures, last_line
from inductiva_top.monitor.foresight.estimates import Span
from inductiva_top.monitor.rows.merge import MAX_PER_PAGE
from inductiva_top.monitor.rows.window import TaskQuery
from inductiva_top.monitor.state import TaskSource, count_statuses
from inductiva_top.monitor.statuses import FILTER_GROUPS, StatusKind

__all__ = [
    "FAILED_CODES",
    "MAX_FAILED",
    "PROJECTS_PER_PAGE",
    "ROWS_PER_TICK",
    "STDERR_PER_TICK",
    "BoardFeed",
    "FailuresFeed",
    "ReadStderr",
    "SweepFeed",
]

PROJECTS_PER_PAGE = 100
"""The API's largest page of projects: the board shows the newest 100."""

ROWS_PER_TICK = 2_000
"""Runs of a busy project worth reloading every refresh; more are reloaded less often."""

_EPOCH = datetime.fromtimestamp(0, timezone.utc)

NO_TASKS_INFO = "from the tasks' metadata: this API has no tasks_info for projects"
NO_STATUS = "from the tasks' metadata: this API's tasks_info has no status per run"


class BoardFeed:
    """The projects and the board's rows, refreshed by :meth:`tick`."""

    def __init__(
        self,
        source: BatchSource,
        clock: Callable[[], datetime],
        running_left: Callable[[datetime], Mapping[str, Sequence[Span]]] | None = None,
    ) -> None:
        self.source = source
        self._clock = clock
        self._running_left = running_left
        """By project, seconds left of the running tasks the dashboard estimates (at a time)."""
        self.projects: list[Project] | None = None
        self.rows: list[ProjectRow] = []
        self.parallelism = Parallelism()
        self.deadlines = Deadlines()

    @property
    def counts(self) -> dict[str, int]:
        """Task counts by status code over every project listed (for the header)."""
        return count_statuses(self.projects or [])

    @property
    def truncated(self) -> bool:
        """The API has more projects than one page of them."""
        return self.projects is not None and len(self.projects) >= PROJECTS_PER_PAGE

    async def tick(self) -> bool:
        """One ``GET /projects``; True when a project changed."""
        projects = await self.source.list_projects(per_page=PROJECTS_PER_PAGE)
        now = self._clock()
        self.parallelism.observe({p.name: _running(p) for p in projects}, now.timestamp())
        changed = projects != self.projects
        self.projects = projects
        left = self._running_left(now) if self._running_left is not None else None
        self.rows = board_rows(projects, now, self.parallelism, self.deadlines, left)
        return changed


def _running(project: Project) -> int:
    return KindCounts.of_overview(project.task_status_overview)[StatusKind.RUNNING]


class SweepFeed:
    """One project and its runs as a sweep table, refreshed by :meth:`tick`."""

    def __init__(self, source: BatchSource, name: str) -> None:
        self.source = source
        self.name = name
        self.project: Project | None = None
        self.data: SweepData | None = None
        self.note = ""
        """Where the rows came from when not from ``tasks_info`` (else empty)."""
        self._derive = False
        self._rows_due = True
        self._rows_state: object = None
        self._waited = 0

    def reload_rows(self) -> None:
        """Fetch the runs at the next tick, whatever the pace (F5)."""
        self._rows_due = True

    def _due(self, project: Project) -> bool:
        if self._rows_due or self.data is None:
            return True
        if project_state(project) == self._rows_state:
            return False
        self._waited += 1
        return self._waited >= max(1, math.ceil(len(self.data.rows) / ROWS_PER_TICK))

    async def tick(self) -> bool:
        """The project, and its runs when due; True when either changed."""
        project = await self.source.get_project(self.name)
        changed = project != self.project
        self.project = project
        if self._due(project):
            data = await self._rows(project)
            changed |= data != self.data
            self.data = data
            self._rows_due, self._rows_state, self._waited = False, project_state(project), 0
        return changed

    async def _rows(self, project: Project) -> SweepData:
        if not self._derive:
            try:
                infos = await self.source.project_tasks_info(self.name, select="distinct")
            except NotFound:
                self._derive, self.note = True, NO_TASKS_INFO
            else:
                data = from_tasks_info(self.name, infos, project)
                if data is not None:
                    return data
                self._derive, self.note = True, NO_STATUS
        return from_tasks(self.name, await self._tasks())

    async def _tasks(self) -> list[Task]:
        """Every task of the project, page by page (only where ``tasks_info`` will not do)."""
        tasks: list[Task] = []
        page = 1
        while True:
            got = await self.source.list_tasks(
                page=page, per_page=MAX_PER_PAGE, project=self.name, sort=("create_time:asc",)
            )
            tasks.extend(got.tasks)
            if not got.tasks or len(tasks) >= got.total_size:
                return tasks
            page += 1


FAILED_CODES: tuple[str, ...] = FILTER_GROUPS["failed"]
"""Every failure code: what the failures view lists."""

MAX_FAILED = 2_000
"""Most failed tasks the failures view reads (the newest): four pages of the API's largest."""

STDERR_PER_TICK = 24
"""Most stderr files read in one refresh (a few range requests each), newest failures first."""

STDERR_AT_ONCE = 4
"""Stderr files read at the same time."""

ReadStderr = Callable[[Task], Awaitable[str | None]]
"""Reads the end of a finished task's stderr (None: it has none, or it cannot be read)."""


class FailuresFeed:
    """The failed tasks of a view, grouped by signature, refreshed by :meth:`tick`.

    Per refresh: a page of the newest failed tasks per failure code the view
    allows (the API filters one status at a time), more pages only when there
    are more, up to :data:`MAX_FAILED`; then the stderr of at most
    :data:`STDERR_PER_TICK` tasks not read yet, each read once. A task whose
    stderr is not read yet is grouped by the rest of its signature, and
    :attr:`unread` says how many are left.
    """

    def __init__(self, source: TaskSource, query: TaskQuery, read_stderr: ReadStderr) -> None:
        self.source = source
        self.query = query
        self._read = read_stderr
        self.tasks: list[Task] | None = None
        self.stderr: dict[str, str | None] = {}
        """The end of each read task's stderr, by id (None: none, or unreadable)."""
        self.groups: list[FailureGroup] = []
        self.total = 0
        """How many failed tasks the view has (more than :attr:`tasks` past :data:`MAX_FAILED`)."""

    @property
    def codes(self) -> tuple[str, ...]:
        """The failure codes the view's status filter allows (every one when it has none)."""
        wanted = self.query.statuses
        return tuple(c for c in FAILED_CODES if not wanted or c in wanted)

    @property
    def unread(self) -> int:
        """Failed tasks whose stderr is not read yet."""
        return sum(1 for task in self.tasks or () if task.task_id not in self.stderr)

    def last_lines(self) -> dict[str, str | None]:
        """The last line of each read stderr, by task id."""
        return {task_id: last_line(text) for task_id, text in self.stderr.items()}

    async def tick(self) -> bool:
        """Read the failed tasks, and some stderr; True when the groups changed."""
        tasks: dict[str, Task] = {}
        total = 0
        search = self.query.searched
        for code in self.codes:
            page = 1
            while True:
                got = await self.source.list_tasks(
                    page=page,
                    per_page=MAX_PER_PAGE,
                    status=code,
                    project=self.query.project,
                    sort=("create_time:desc",),
                )
                if page == 1:
                    total += got.total_size
                for task in got.tasks:
                    # The API cannot search names or metadata: a ``/`` search applies here.
                    if not search or search.matches(task):
                        tasks.setdefault(task.task_id, task)
                full = page * MAX_PER_PAGE >= got.total_size or not got.tasks
                if full or len(tasks) >= MAX_FAILED:
                    break
                page += 1
        newest = sorted(tasks.values(), key=lambda t: t.create_time or _EPOCH, reverse=True)
        # A search is matched here: its total is what matched among the tasks read.
        self.tasks = newest[:MAX_FAILED]
        self.total = total if not search else len(tasks)
        await self._read_some()
        groups = group_failures(self.tasks, self.last_lines())
        changed = groups != self.groups
        self.groups = groups
        return changed

    async def _read_some(self) -> None:
        unread = [t for t in self.tasks or () if t.task_id not in self.stderr][:STDERR_PER_TICK]
        gate = asyncio.Semaphore(STDERR_AT_ONCE)

        async def one(task: Task) -> None:
            async with gate:
                self.stderr[task.task_id] = await self._read(task)

        await asyncio.gather(*(one(task) for task in unread))
