"""The one tick of the project board and of the sweep table.

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
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime

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
from inductiva_top.monitor.merge import MAX_PER_PAGE
from inductiva_top.monitor.state import count_statuses
from inductiva_top.monitor.statuses import StatusKind

__all__ = ["PROJECTS_PER_PAGE", "ROWS_PER_TICK", "BoardFeed", "SweepFeed"]

PROJECTS_PER_PAGE = 100
"""The API's largest page of projects: the board shows the newest 100."""

ROWS_PER_TICK = 2_000
"""Runs of a busy project worth reloading every refresh; more are reloaded less often."""

NO_TASKS_INFO = "from the tasks' metadata: this API has no tasks_info for projects"
NO_STATUS = "from the tasks' metadata: this API's tasks_info has no status per run"


class BoardFeed:
    """The projects and the board's rows, refreshed by :meth:`tick`."""

    def __init__(self, source: BatchSource, clock: Callable[[], datetime]) -> None:
        self.source = source
        self._clock = clock
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
        self.rows = board_rows(projects, now, self.parallelism, self.deadlines)
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
