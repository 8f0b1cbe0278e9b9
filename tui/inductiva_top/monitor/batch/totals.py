"""The totals of a view: every task the table's filters match, not just the rows on screen.

Counts by status kind, total cost, compute time and the median time tasks
waited in their queue, from a bounded number of requests:

* filtered to one project: its runs as rows (``GET
  /projects/{name}/tasks_info``, one request, a status filter of one code
  passed on), the other filters applied here;
* otherwise (or where that route is missing, or its rows carry no status):
  ``GET /tasks`` page by page (:data:`PAGE` tasks a page, one stream per
  status code, newest first), at most :data:`MAX_TASKS` tasks; past that the
  totals are those of the newest :data:`MAX_TASKS` and say so. A ``/``
  search is matched here on every task read: the API cannot search names or
  metadata.

:func:`view_totals` yields a :class:`Totals` after every page, so a caller
can show the progress, and stops when cancelled (a new filter).

Compute time is what finished computations took (the API's
``computation_seconds``); the queue wait is counted for tasks that have left
their queue. Either is missing where the API does not send it (the real
API's ``tasks_info`` has no queue time).
"""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from inductiva_top.api.errors import NotFound
from inductiva_top.api.models import ProjectTaskInfo, Task
from inductiva_top.monitor import fmt
from inductiva_top.monitor.batch.bars import KindCounts
from inductiva_top.monitor.batch.source import BatchSource
from inductiva_top.monitor.rows.merge import MAX_PER_PAGE
from inductiva_top.monitor.rows.window import TaskQuery
from inductiva_top.monitor.statuses import StatusKind, is_terminal, status_info

__all__ = ["MAX_TASKS", "PAGE", "Totals", "info_matches", "view_totals"]

PAGE = MAX_PER_PAGE
"""Tasks per ``GET /tasks`` page when counting (the API's largest)."""

MAX_TASKS = 20_000
"""Most tasks paged through for one view's totals (40 requests of :data:`PAGE`)."""

NEWEST_FIRST = ("create_time:desc",)


@dataclass
class Totals:
    """What the tasks of a view add up to (so far, while :attr:`complete` is False)."""

    counts: KindCounts = field(default_factory=KindCounts)
    cost: float = 0.0
    compute_seconds: float = 0.0
    waits: list[float] = field(default_factory=list)
    seen: int = 0
    """Tasks counted (those the search matched, when the view has one)."""
    scanned: int = 0
    """Tasks read from the pages so far (the server cannot search: every task of the view)."""
    expected: int | None = None
    """How many tasks the view has, once known."""
    complete: bool = False
    capped: bool = False
    """Only the newest :data:`MAX_TASKS` were counted."""
    from_project: bool = False
    """Counted from the project's runs (one request) rather than pages of tasks."""
    requests: int = 0
    """Requests the count took so far."""

    def snapshot(self) -> Totals:
        """A copy, as it stands now (the count goes on in the original)."""
        return replace(self, waits=list(self.waits))

    @property
    def median_wait(self) -> float | None:
        """The median queue wait of the tasks that have left their queue."""
        return statistics.median(self.waits) if self.waits else None

    def _add(
        self, status: str, cost: float | None, compute: float | None, wait: float | None
    ) -> None:
        self.counts = self.counts + KindCounts({status_info(status).kind: 1})
        self.seen += 1
        self.cost += cost or 0.0
        self.compute_seconds += compute or 0.0
        if wait is not None:
            self.waits.append(wait)

    def add_info(self, row: ProjectTaskInfo) -> None:
        """Count one run of ``tasks_info``."""
        self._add(row.status or "", row.estimated_computation_cost, row.computation_time,
                  row.queue_time)  # fmt: skip

    def add_task(self, task: Task, now: datetime) -> None:
        """Count one task of ``GET /tasks``."""
        waiting = status_info(task.status).kind is StatusKind.WAITING
        wait = None if waiting else fmt.queue_wait(task, now)
        compute = task.metrics.computation_seconds if task.metrics else None
        self._add(task.status, task.estimated_computation_cost, compute, wait)


def info_matches(row: ProjectTaskInfo, query: TaskQuery) -> bool:
    """Whether a run of ``tasks_info`` is in the view of ``query`` (its project aside)."""
    status = row.status or ""
    if query.statuses and status not in query.statuses:
        return False
    if query.active and is_terminal(status):
        return False
    search = query.searched
    if not search:
        return True
    # The search's own rules (monitor/rows/search.py), on the run as a task.
    metadata = {key: str(value) for key, value in row.parameters.items() if value is not None}
    task = Task(
        task_id=row.task_id or "",
        status=status,
        project=query.project,
        simulator=row.simulator,
        task_metadata=metadata,
    )
    return search.matches(task)


async def _from_project(source: BatchSource, query: TaskQuery) -> Totals | None:
    """The totals from the project's runs; ``None`` where the API cannot give them."""
    assert query.project is not None
    codes = sorted(query.statuses)
    try:
        rows = await source.project_tasks_info(
            query.project, select="all", status=codes[0] if len(codes) == 1 else None
        )
    except NotFound:
        return None
    if rows and all(row.status is None for row in rows):
        return None  # no status in its rows (the official export's columns only)
    totals = Totals(from_project=True, requests=1)
    for row in rows:
        if info_matches(row, query):
            totals.add_info(row)
    totals.expected, totals.complete = totals.seen, True
    return totals


async def _pages(source: BatchSource, query: TaskQuery, now: datetime) -> AsyncIterator[Totals]:
    codes: Sequence[str | None] = sorted(query.statuses) or [None]

    totals = Totals()

    async def page_of(code: str | None, page: int) -> tuple[int, list[Task]]:
        totals.requests += 1
        got = await source.list_tasks(
            page=page,
            per_page=PAGE,
            status=code,
            project=query.project,
            active=True if query.active else None,
            sort=NEWEST_FIRST,
        )
        return got.total_size, list(got.tasks)

    firsts = await asyncio.gather(*(page_of(code, 1) for code in codes))
    totals.expected = sum(size for size, _ in firsts)
    totals.capped = totals.expected > MAX_TASKS
    counted: set[str] = set()

    search = query.searched

    def take(tasks: list[Task]) -> None:
        for task in tasks:
            # A task created while paging shifts the pages: never count one twice.
            if task.task_id not in counted and len(counted) < MAX_TASKS:
                counted.add(task.task_id)
                totals.scanned += 1
                if not search or search.matches(task):
                    totals.add_task(task, now)

    for _, tasks in firsts:
        take(tasks)
    yield totals.snapshot()
    for code, (size, _) in zip(codes, firsts, strict=True):
        page = 2
        while (page - 1) * PAGE < size and len(counted) < MAX_TASKS:
            _, tasks = await page_of(code, page)
            if not tasks:
                break
            take(tasks)
            page += 1
            yield totals.snapshot()
    totals.complete = True
    yield totals


async def view_totals(
    source: BatchSource, query: TaskQuery, now: datetime
) -> AsyncIterator[Totals]:
    """The totals of ``query``'s view, after each request; the last one is complete.

    ``now`` dates the queue waits of tasks seen still queued (they are not
    counted). :class:`~inductiva_top.api.errors.ApiError` propagates.
    """
    if query.project is not None:
        totals = await _from_project(source, query)
        if totals is not None:
            yield totals
            return
    async for totals in _pages(source, query, now):
        yield totals
