"""What the dashboard knows, and the one poll tick that refreshes it.

:class:`DashboardState` owns the row window, the selected task's detail, the
active tasks, the queue positions of waiting rows on screen, the status
counts, the kills in flight and the fleet (:mod:`~inductiva_top.monitor.fleet`).
:meth:`DashboardState.tick` asks the API for exactly what is due (the visible
pages, the active tasks, the selected task, queue positions of visible
waiting tasks, the projects' status counts, the machine groups and now and
then the account) and merges the answers. Nothing here knows about Textual.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, TypeVar

from inductiva_top.api.errors import ApiError, NotFound
from inductiva_top.api.models import (
    Project,
    Task,
    TaskPage,
    TaskStatus,
    TaskWithStatusHistory,
)
from inductiva_top.monitor.fleet.tracker import FleetSource, FleetState
from inductiva_top.monitor.names import DEFAULT_NAME_KEYS, task_name
from inductiva_top.monitor.rows.locate import locate
from inductiva_top.monitor.rows.merge import TaskLister, merged_page
from inductiva_top.monitor.rows.search import SEARCH_SCAN
from inductiva_top.monitor.rows.window import (
    RowWindow,
    TaskQuery,
    keep_settled,
    same_but_clock,
    same_objects,
)
from inductiva_top.monitor.statuses import is_killable
from inductiva_top.monitor.task.queue import QueueView, queue_view

__all__ = ["ACTIVE_LIMIT", "DashboardState", "KillOutcome", "TaskSource", "count_statuses"]

ACTIVE_LIMIT = 100
"""How many active tasks one tick asks for (one page)."""

QUEUE_PROBES = 10
"""Most queue positions (one request each) asked in one tick."""

PROJECTS_PAGE = 100
"""Projects per request (the API's largest page)."""

PROJECT_PAGES = 10
"""Most project pages one tick reads: the counts of more projects than that are partial."""

WAITING_CODES = frozenset({"pending-input", "submitted", "in-queue"})
"""Statuses whose tasks have a position in their machine group's queue."""

T = TypeVar("T")


class TaskSource(TaskLister, Protocol):
    """The part of :class:`~inductiva_top.api.client.InductivaClient` the dashboard uses."""

    async def get_task(self, task_id: str) -> TaskWithStatusHistory: ...

    async def get_status(self, task_id: str) -> TaskStatus: ...

    async def kill(self, task_id: str) -> TaskStatus: ...

    async def list_projects(
        self, *, page: int = 1, per_page: int = 100, project_type: str | None = None
    ) -> list[Project]: ...


def count_statuses(projects: Iterable[Project]) -> dict[str, int]:
    """Task counts by status code, summed over the projects' ``task_status_overview``."""
    counts: dict[str, int] = {}
    for project in projects:
        for code, count in (project.task_status_overview or {}).items():
            if count:
                counts[code] = counts.get(code, 0) + count
    return counts


@dataclass(frozen=True)
class KillOutcome:
    """What one kill request did: the new status, or the error's one-line message."""

    task_id: str
    status: str | None = None
    error: str | None = None


async def _gather(calls: Sequence[Awaitable[T]]) -> list[T]:
    """Run ``calls`` together; if any fails, wait for the rest, then raise the first error."""
    results = await asyncio.gather(*calls, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return list(results)  # type: ignore[arg-type]


def _retrieve(future: asyncio.Future[TaskWithStatusHistory]) -> None:
    """Mark a finished request's error as seen (asyncio would log it as never retrieved)."""
    if not future.cancelled():
        future.exception()


@dataclass
class DashboardState:
    """The dashboard's data, refreshed one tick at a time."""

    source: TaskSource
    window: RowWindow = field(default_factory=RowWindow)
    first_visible: int = 0
    last_visible: int = 0
    selected_id: str | None = None
    selected: TaskWithStatusHistory | None = None
    active: list[Task] = field(default_factory=list)
    active_total: int = 0
    """How many tasks are active in all (``active`` holds at most :data:`ACTIVE_LIMIT`)."""
    queue_ahead: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    projects: list[Project] = field(default_factory=list)
    """The projects the last tick listed (their status counts are :attr:`counts`)."""
    kills: dict[str, str] = field(default_factory=dict)
    ticks: int = 0
    followup: bool = False
    """Set when a tick fetched only a new view's rows and the rest is due right away."""
    name_keys: tuple[str, ...] = DEFAULT_NAME_KEYS
    """The metadata keys that name a task (the ``name_keys`` setting)."""
    fleet: FleetState = field(default_factory=FleetState)
    """The machine groups and the account, refreshed by the same tick (when the source has them)."""
    _prefetched: tuple[TaskQuery, asyncio.Future[tuple[int, TaskPage]]] | None = field(
        default=None, repr=False, compare=False
    )
    _detail_asked: tuple[str, asyncio.Future[TaskWithStatusHistory]] | None = field(
        default=None, repr=False, compare=False
    )
    """The last ``GET /tasks/<id>`` sent, and for which task (see :meth:`load_detail`)."""

    # -- what the UI sets ------------------------------------------------------

    def select(self, task_id: str | None) -> None:
        """The cursor moved to ``task_id``: forget the old task's detail until it is fetched."""
        self.selected_id = task_id
        self.selected = None

    def take_selected(self, task: TaskWithStatusHistory) -> bool:
        """Keep ``task`` as the selected task's detail; False (dropped) if the cursor moved on."""
        if task.task_id != self.selected_id:
            return False
        self.selected = task
        return True

    def take_followup(self) -> bool:
        """Whether the rest of a new view is due right away (asked once per new view)."""
        due, self.followup = self.followup, False
        return due

    def set_visible(self, first: int, last: int) -> bool:
        """The rows on screen; returns True when some of them are not fetched yet."""
        self.first_visible, self.last_visible = first, max(first, last)
        return bool(self.window.missing_pages(self.first_visible, self.last_visible))

    def set_query(self, query: TaskQuery) -> bool:
        """New filters or sort; True when they differ (the window is emptied)."""
        return self.window.set_query(query)

    # -- the tick ----------------------------------------------------------------

    def prefetch(self) -> None:
        """Ask for the first page of the current view now (call within the running loop).

        The app calls this before its screen is composed, so the request is on
        the wire while the screen is built; the first tick takes its answer
        instead of asking again.
        """
        query = self.window.query
        self._prefetched = (query, asyncio.ensure_future(self.fetch_page(query, 1)))

    def drop_prefetch(self) -> None:
        """Cancel a prefetch no tick took (the app is closing)."""
        if self._prefetched is not None:
            self._prefetched[1].cancel()
            self._prefetched = None

    def _page_fetches(
        self, query: TaskQuery, pages: Iterable[int]
    ) -> list[Awaitable[tuple[int, TaskPage]]]:
        """The requests of ``pages``; a prefetched first page is taken, not asked again."""
        prefetched, self._prefetched = self._prefetched, None
        fetches: list[Awaitable[tuple[int, TaskPage]]] = []
        for page in pages:
            if page == 1 and prefetched is not None and prefetched[0] == query:
                fetches.append(prefetched[1])
                prefetched = None
            else:
                fetches.append(self.fetch_page(query, page))
        if prefetched is not None:  # for another view than the one now shown
            prefetched[1].cancel()
        return fetches

    async def fetch_page(self, query: TaskQuery, page: int) -> tuple[int, TaskPage]:
        """Page ``page`` of ``query`` (server-side filters and sort; the search aside)."""
        hint = self.window.total if query == self.window.query else None
        return page, await self._list(query, page, self.window.page_size, total_hint=hint)

    async def _list(
        self,
        query: TaskQuery,
        page: int,
        per_page: int,
        *,
        id_word: str | None = None,
        total_hint: int | None = None,
    ) -> TaskPage:
        """Page ``page`` of ``query``'s server-side view, ids holding ``id_word`` if given.

        Several status codes are merged from one request per code (the API
        filters by one code at a time).
        """
        statuses = sorted(query.statuses)
        project = query.project
        active = True if query.active else None
        sort = query.sort_params
        if len(statuses) > 1:
            return await merged_page(
                self.source,
                statuses,
                page,
                per_page,
                project=project,
                active=active,
                task_id_filter=id_word,
                sort=sort,
                total_hint=total_hint,
            )
        return await self.source.list_tasks(
            page=page,
            per_page=per_page,
            status=statuses[0] if statuses else None,
            project=project,
            active=active,
            task_id_filter=id_word,
            sort=sort,
        )

    async def fetch_search(self, query: TaskQuery) -> tuple[TaskPage, list[Task]]:
        """A search's scan (the first :data:`SEARCH_SCAN` tasks of the view, and its size)
        and the server's id matches (when the search is one word), in the view's order."""
        word = query.searched.id_word
        calls = [self._list(query.base, 1, SEARCH_SCAN)]
        if word is not None:
            calls.append(self._list(query.base, 1, SEARCH_SCAN, id_word=word))
        pages = await _gather(calls)
        return pages[0], list(pages[1].tasks) if len(pages) > 1 else []

    async def _fetch_rows(self, query: TaskQuery) -> Callable[[], bool]:
        """Fetch the rows due for ``query``; the returned call stores them (whether changed)."""
        if query.searched:
            self.drop_prefetch()
            scan, by_id = await self.fetch_search(query)
            return lambda: self.window.store_search(query, scan.tasks, by_id, scan.total_size)
        pages = self.window.pages_for(self.first_visible, self.last_visible)
        fetched = await _gather(self._page_fetches(query, pages))

        def store() -> bool:
            changed = False
            for page, result in fetched:
                changed |= self.window.store(query, page, result)
            return changed

        return store

    async def load_detail(self, task_id: str) -> TaskWithStatusHistory:
        """``task_id``'s detail; joins the request for it already in flight, if any.

        The cursor's load and a refresh both want the selected task's detail:
        at launch (and after every new view) the cursor lands on the first row
        as the follow-up refresh starts, and the two sent the same request at
        once (issue 16). Each caller waits through a shield, so a newer cursor
        move cancelling its load does not cancel the refresh's wait too.
        """
        asked = self._detail_asked
        if asked is None or asked[0] != task_id or asked[1].done():
            future = asyncio.ensure_future(self.source.get_task(task_id))
            # A request whose only waiter was cancelled still ends; its error is nobody's.
            future.add_done_callback(_retrieve)
            asked = self._detail_asked = (task_id, future)
        return await asyncio.shield(asked[1])

    async def _fetch_selected(self) -> tuple[str | None, TaskWithStatusHistory | None]:
        """The selected task's detail (None when it is gone), and which task was asked for."""
        asked = self.selected_id
        if asked is None:
            return None, None
        try:
            return asked, await self.load_detail(asked)
        except NotFound:
            return asked, None

    async def _fetch_active(self) -> TaskPage:
        return await self.source.list_tasks(page=1, per_page=ACTIVE_LIMIT, active=True)

    async def tick(self) -> bool:
        """Fetch what is due and merge it; True when anything on screen changed.

        An :class:`ApiError` from any request propagates after the others
        finish, leaving the previous data in place (the caller marks it stale).
        """
        query = self.window.query
        if self.window.total is None:
            # A new view: show its rows first; the rest follows at once.
            (await self._fetch_rows(query))()
            self.followup = True
            return True
        self.ticks += 1
        # The counts come with the rows, so the header never contradicts the table.
        fetched, active, selected, projects, fleet = await asyncio.gather(
            self._fetch_rows(query),
            self._fetch_active(),
            self._fetch_selected(),
            self._fetch_projects(),
            self._fetch_fleet(),
            return_exceptions=True,
        )
        # Every request has finished; now the first failure fails the tick.
        if isinstance(fetched, BaseException):
            raise fetched
        if isinstance(active, BaseException):
            raise active
        if isinstance(selected, BaseException):
            raise selected
        if isinstance(projects, BaseException):
            raise projects
        if isinstance(fleet, BaseException):
            raise fleet
        changed = fetched()
        changed |= self._merge_active(active)
        changed |= self._merge_selected(*selected)
        counts = count_statuses(projects)
        changed |= counts != self.counts
        self.counts = counts
        self.projects = projects
        changed |= await self._refresh_queue()
        changed |= self._settle_kills()
        self.fleet.observe_queues(self.active, self.fleet.clock())
        return changed | fleet

    async def _fetch_fleet(self) -> bool:
        """The fleet's refresh, when the source describes machine groups (an API client does)."""
        if not isinstance(self.source, FleetSource):
            return False
        return await self.fleet.refresh(self.source)

    @property
    def active_complete(self) -> bool:
        """Whether :attr:`active` holds every active task (else counts from it are lower bounds)."""
        return len(self.active) >= self.active_total

    async def _fetch_projects(self) -> list[Project]:
        """Every project (their status counts), one request unless there are over a hundred."""
        projects: list[Project] = []
        for page in range(1, PROJECT_PAGES + 1):
            found = await self.source.list_projects(page=page, per_page=PROJECTS_PAGE)
            projects.extend(found)
            if len(found) < PROJECTS_PAGE:
                break
        return projects

    def _merge_active(self, page: TaskPage) -> bool:
        tasks = keep_settled(self.active, page.tasks)
        changed = not same_objects(tasks, self.active)
        self.active = tasks
        self.active_total = page.total_size
        return changed

    def _merge_selected(self, asked: str | None, selected: TaskWithStatusHistory | None) -> bool:
        if asked != self.selected_id:
            # The cursor moved while the request was in flight: what it found
            # (or did not) is about another task; the new one's is fetched apart.
            return False
        if selected is None:  # nothing selected, or the task is gone
            changed, self.selected = self.selected is not None, None
            return changed
        before = self.selected
        if before is not None and same_but_clock(before, selected):
            self.take_selected(before)
            return False
        return self.take_selected(selected) and selected != before

    def waiting_visible(self) -> list[Task]:
        """Waiting tasks among the rows on screen."""
        return [
            task
            for _, task in self.window.rows(self.first_visible, self.last_visible)
            if task.status in WAITING_CODES
        ]

    async def _refresh_queue(self) -> bool:
        """Ask the queue position of waiting tasks on screen (and only those).

        At most :data:`QUEUE_PROBES` per tick, taken in turns, so a screen
        full of waiting tasks does not multiply the cost of a refresh.
        """
        waiting = [task.task_id for task in self.waiting_visible()]
        probes = waiting
        if len(waiting) > QUEUE_PROBES:
            start = (self.ticks * QUEUE_PROBES) % len(waiting)
            probes = (waiting + waiting)[start : start + QUEUE_PROBES]
        statuses = await _gather([self.source.get_status(task_id) for task_id in probes])
        ahead = {task_id: n for task_id, n in self.queue_ahead.items() if task_id in waiting}
        for status in statuses:
            if status.position_in_queue is not None:
                ahead[status.id] = status.position_in_queue.tasks_ahead
            else:
                ahead.pop(status.id, None)
        changed = ahead != self.queue_ahead
        self.queue_ahead = ahead
        return changed

    # -- kills -------------------------------------------------------------------

    async def kill(
        self, task_ids: Sequence[str], *, on_pending: Callable[[], None] | None = None
    ) -> list[KillOutcome]:
        """Ask the API to kill each task once; a failure is reported, never retried.

        Rows show ``pending-kill`` from the moment of asking (see
        :meth:`row_status`) until the server reports the outcome.
        ``on_pending`` runs once the tasks are marked and before any request
        goes out, so the UI can show the mark at once.
        """
        for task_id in task_ids:
            self.kills[task_id] = "pending-kill"
        if on_pending is not None:
            on_pending()

        async def one(task_id: str) -> KillOutcome:
            try:
                status = await self.source.kill(task_id)
            except ApiError as error:
                self.kills.pop(task_id, None)
                return KillOutcome(task_id, error=str(error))
            self.kills[task_id] = status.status
            return KillOutcome(task_id, status=status.status)

        return list(await asyncio.gather(*(one(task_id) for task_id in task_ids)))

    def _settle_kills(self) -> bool:
        """Forget kills whose rows now show a terminal status."""
        done = [
            task_id
            for task_id in self.kills
            if (task := self.task(task_id)) is not None and task.is_terminated
        ]
        for task_id in done:
            del self.kills[task_id]
        return bool(done)

    def killable(self, task_ids: Iterable[str]) -> list[str]:
        """Those of ``task_ids`` the dashboard holds in a status a kill applies to."""
        return [
            task_id
            for task_id in task_ids
            if (task := self.task(task_id)) is not None and is_killable(self.row_status(task))
        ]

    # -- fetched on demand -------------------------------------------------------

    async def fetch_row_of(self, task: Task, query: TaskQuery) -> None:
        """Fetch the page of ``query`` that holds ``task`` (after a sort moved it).

        Nothing is fetched when the task's row is loaded already, when it is
        not in the view, or when the view changed meanwhile.
        """
        window = self.window
        if query.searched:
            return  # a search's rows are all at hand
        index = await locate(self.source, query, task, page_size=window.page_size)
        if index is None or window.query != query or window.index_of(task.task_id) is not None:
            return
        page = index // window.page_size + 1
        _, result = await self.fetch_page(query, page)
        window.store(query, page, result)

    async def queue_of(self, task_id: str, now: datetime) -> QueueView:
        """Where ``task_id`` stands in its queue: the server's count, the rest from active tasks."""
        status = await self.source.get_status(task_id)
        task = await self.source.get_task(task_id)
        ahead = status.position_in_queue.tasks_ahead if status.position_in_queue else None
        group = await self.fleet.group_of(task, self.source)
        # Built after the last request, from the active list of the latest refresh: the
        # one the table beside shows (not one a refresh replaced while asking).
        return self.fleet.explained(queue_view(task, self.active, ahead, now), group)

    def queue_again(self, view: QueueView, now: datetime) -> QueueView:
        """``view`` built again from this refresh: the task's copy and the active list the
        table shows now; the server's count and the group as they were last asked."""
        task = self.task(view.task.task_id) or view.task
        again = queue_view(task, self.active, view.tasks_ahead, now)
        return self.fleet.explained(again, view.described)

    async def fetch_each(self, task_ids: Iterable[str]) -> list[TaskWithStatusHistory]:
        """Each of ``task_ids`` the API returns, one request at a time.

        A task whose request fails is left out: the poll loop reports API
        trouble, and whoever asked can ask again later.
        """
        fetched: list[TaskWithStatusHistory] = []
        for task_id in task_ids:
            with contextlib.suppress(ApiError):
                fetched.append(await self.source.get_task(task_id))
        return fetched

    # -- what the dashboard holds ------------------------------------------------

    def held_tasks(self) -> list[Task]:
        """Every task the dashboard holds, once: the fetched rows, the selected task, the
        active ones. A task held twice is given as the later of these (the freshest) says."""
        held = {task.task_id: task for task in self.window.loaded_tasks()}
        if self.selected is not None:
            held[self.selected.task_id] = self.selected
        held.update((task.task_id, task) for task in self.active)
        return list(held.values())

    def task(self, task_id: str) -> Task | None:
        """The freshest copy of ``task_id`` the dashboard holds."""
        if self.selected is not None and self.selected.task_id == task_id:
            return self.selected
        for task in self.active:
            if task.task_id == task_id:
                return task
        index = self.window.index_of(task_id)
        return None if index is None else self.window.row(index)

    def names_of(self, task_ids: Iterable[str]) -> dict[str, str | None]:
        """Each of ``task_ids`` the dashboard holds, with its name (None: no name, or not held)."""
        return {task_id: task_name(self.task(task_id), self.name_keys) for task_id in task_ids}

    def row_status(self, task: Task) -> str:
        """The status to show for ``task``: a kill in flight shows until the server catches up."""
        pending = self.kills.get(task.task_id)
        if pending is not None and not task.is_terminated:
            return pending
        return task.status
