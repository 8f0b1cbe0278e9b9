"""The task table's row window: which server pages to ask for, and what they held.

The table never holds every task. It shows rows ``first..last`` of the
server's sorted, filtered list; this module maps that range to the server's
pages (``page``/``per_page`` of ``GET /tasks``), keeps the pages fetched for
the current query, and forgets them when the query (filters or sort) changes.
Cost per refresh therefore depends on the rows on screen, never on how many
tasks exist.

A search (``/``, :mod:`~inductiva_top.monitor.rows.search`) is the exception: the
API cannot filter by name or metadata, so the rows are then those of a scan
(the first :data:`~inductiva_top.monitor.rows.search.SEARCH_SCAN` tasks of the
view, plus the server's id matches) that meet the search, filtered here. A
new search text re-filters the scan at once, without asking the server.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace

from inductiva_top.api.models import Task, TaskPage
from inductiva_top.monitor.rows.search import Search, haystack
from inductiva_top.monitor.rows.sorting import SORT_FIELDS
from inductiva_top.monitor.statuses import describe_codes, is_terminal

__all__ = ["RowWindow", "SortKey", "TaskQuery", "keep_settled", "same_but_clock", "same_objects"]

CLOCK_ONLY = "duration_seconds"
"""What the API moves with the clock alone while a task lives: its age so far. The
dashboard counts a live task's times from its start times (:mod:`~inductiva_top.monitor.fmt`)."""


def same_but_clock(held: Task, fresh: Task) -> bool:
    """Whether ``fresh`` says what ``held`` says, but for what only the clock moves.

    Fifty running tasks are fifty changed tasks in every answer of the API:
    their durations so far. Taken as news, the poll would never slow down and
    every row would be measured and drawn anew each refresh.
    """
    if held == fresh:
        return True
    if type(held) is not type(fresh) or is_terminal(fresh.status, fresh.is_terminated):
        return False
    return {**held.__dict__, CLOCK_ONLY: None} == {**fresh.__dict__, CLOCK_ONLY: None}


def keep_settled(held: Sequence[Task], fresh: Sequence[Task]) -> list[Task]:
    """``fresh``, with each task :func:`same_but_clock` as the one ``held`` kept as it was
    (the same object: what was drawn or measured of it still holds)."""
    by_id = {task.task_id: task for task in held}
    kept = []
    for task in fresh:
        old = by_id.get(task.task_id)
        kept.append(old if old is not None and same_but_clock(old, task) else task)
    return kept


def same_objects(one: Sequence[Task], other: Sequence[Task]) -> bool:
    """Whether two lists hold the very same task objects, in the same order."""
    return len(one) == len(other) and all(a is b for a, b in zip(one, other, strict=True))


@dataclass(frozen=True)
class SortKey:
    """One sort criterion: a task field and a direction."""

    field: str
    descending: bool = False

    @property
    def param(self) -> str:
        """The wire form: ``create_time:desc``."""
        return f"{self.field}:{'desc' if self.descending else 'asc'}"

    def flipped(self) -> SortKey:
        """The same field in the other direction."""
        return replace(self, descending=not self.descending)


DEFAULT_SORT: tuple[SortKey, ...] = (SortKey("create_time", descending=True),)


@dataclass(frozen=True)
class TaskQuery:
    """Filters and sort of the task list.

    ``statuses`` empty means every status; ``active`` True keeps only
    non-terminal tasks. The server applies all of them but ``search`` (the
    ``/`` text), which is matched on a scan of the view (:class:`RowWindow`).
    """

    statuses: frozenset[str] = frozenset()
    project: str | None = None
    active: bool = False
    search: str = ""
    sort: tuple[SortKey, ...] = DEFAULT_SORT

    @property
    def base(self) -> TaskQuery:
        """The view without its search: what the server filters and sorts."""
        return replace(self, search="") if self.search else self

    @property
    def searched(self) -> Search:
        """The search, parsed."""
        return Search.parse(self.search)

    def sorted_by(self, field_name: str) -> TaskQuery:
        """Sort by ``field_name``; asking again for the current field flips it."""
        current = self.sort[0] if self.sort else None
        if current is not None and current.field == field_name:
            return replace(self, sort=(current.flipped(),))
        # Times, durations and money read best newest/largest first; names alphabetically.
        known = SORT_FIELDS.get(field_name)
        descending = known is not None and known.descending_first
        return replace(self, sort=(SortKey(field_name, descending),))

    def sort_step(self, fields: Sequence[str], step: int) -> TaskQuery:
        """Sorted by the field ``step`` places along ``fields`` from the current one (wrapping).

        Unchanged when ``fields`` is empty; from a sort on none of ``fields``
        either way lands on the first one.
        """
        if not fields:
            return self
        current = self.sort[0].field if self.sort else None
        index = fields.index(current) if current in fields else -step
        return self.sorted_by(fields[(index + step) % len(fields)])

    @property
    def sort_params(self) -> tuple[str, ...]:
        """The ``sort`` query values, in priority order."""
        return tuple(key.param for key in self.sort)

    def describe(self) -> list[str]:
        """Short labels of the active filters, for the always-visible filter bar."""
        parts: list[str] = []
        if self.active:
            parts.append("active only")
        if self.statuses:
            parts.append("status: " + describe_codes(self.statuses))
        if self.project:
            parts.append(f"project: {self.project}")
        if self.searched:
            parts.append(f"search: {self.search.strip()}")
        return parts


@dataclass
class _Page:
    tasks: list[Task]
    generation: int


@dataclass
class RowWindow:
    """Pages of the current query's task list, fetched on demand.

    Rows are 0-based; server pages are 1-based. ``total`` is ``None`` until
    the first page of a query arrives.
    """

    page_size: int = 50
    max_pages: int = 16
    query: TaskQuery = field(default_factory=TaskQuery)
    total: int | None = None
    _pages: dict[int, _Page] = field(default_factory=dict)
    _generation: int = 0
    _scan: list[tuple[Task, str]] | None = None
    """While searching: the scanned tasks with their :func:`haystack`; None until scanned."""
    _found: list[Task] = field(default_factory=list)
    """While searching: the scanned tasks the search matches, in the view's order."""
    scanned: int = 0
    """While searching: how many tasks of the view the scan held (the id matches aside)."""
    view_total: int | None = None
    """While searching: how many tasks the view holds, as the server counted them."""
    provisional: bool = False
    """While searching: the scan is the rows the view had loaded, until the server's comes."""

    def __post_init__(self) -> None:
        if self.page_size < 1:
            raise ValueError("page_size must be at least 1")

    @property
    def searching(self) -> bool:
        """Whether the rows are a search's, filtered here."""
        return bool(self.query.searched)

    def set_query(self, query: TaskQuery) -> bool:
        """Switch to ``query``; returns True if it changed.

        A new search text over the same scanned view re-filters the scan at
        once; any other change forgets every page (and the scan).
        """
        if query == self.query:
            return False
        same_view = query.base == self.query.base
        rescan = not (query.searched and self.searching and same_view)
        # A search of the view on screen starts from its loaded rows, so the first key
        # answers at once (and the cursor's task stays, if it matches) until the scan comes.
        held = list(self.loaded_tasks()) if query.searched and same_view and rescan else []
        total = self.total
        self.query = query
        if rescan or self._scan is None:
            self.invalidate()
            if held:
                self._keep_scan(held, total)
                self.provisional = True
        else:
            self._refilter()
        return True

    def invalidate(self) -> None:
        """Forget every page and the total; the next refresh fetches afresh."""
        self._pages.clear()
        self.total = None
        self._scan = None
        self._found = []
        self.scanned = 0
        self.view_total = None
        self.provisional = False

    def store_search(
        self,
        query: TaskQuery,
        scan: Sequence[Task],
        by_id: Sequence[Task],
        view_total: int | None = None,
    ) -> bool:
        """Keep a search's scan of ``query``'s view and the server's id matches; whether
        the rows changed.

        The scan is the first rows of the view in its order, so an id match
        it does not hold comes after all of them: the rows stay in the view's
        order. An answer for another view is dropped (a new search text over
        the same view is not another view).
        """
        if query.base != self.query.base or not self.searching:
            return False
        before = (self.total, list(self._found))
        held = {task.task_id for task in scan}
        tasks = [*scan, *(task for task in by_id if task.task_id not in held)]
        self._keep_scan(tasks, view_total, scanned=len(scan))
        self.provisional = False
        return before != (self.total, self._found)

    def _keep_scan(
        self, tasks: Sequence[Task], view_total: int | None, scanned: int | None = None
    ) -> None:
        self._scan = [(task, haystack(task)) for task in tasks]
        self.scanned = len(tasks) if scanned is None else scanned
        self.view_total = view_total
        self._refilter()

    def _refilter(self) -> None:
        search = self.query.searched
        self._found = [task for task, text in self._scan or () if search.matches(task, text)]
        self.total = len(self._found)

    def pages_for(self, first: int, last: int) -> list[int]:
        """The server pages (1-based) that hold rows ``first..last`` inclusive."""
        if last < first:
            return []
        first = max(first, 0)
        last = max(last, 0)
        if self.total is not None:
            if self.total == 0:
                return [1]
            last = min(last, self.total - 1)
            first = min(first, last)
        return list(range(first // self.page_size + 1, last // self.page_size + 2))

    def missing_pages(self, first: int, last: int) -> list[int]:
        """Pages of ``first..last`` not fetched yet for the current query.

        While searching, every row is at hand once the server's scan is: page 1 until then.
        """
        if self.searching:
            return [] if self._scan is not None and not self.provisional else [1]
        return [page for page in self.pages_for(first, last) if page not in self._pages]

    def store(self, query: TaskQuery, page: int, result: TaskPage) -> bool:
        """Keep ``result`` as ``page`` of ``query``; returns whether anything changed.

        A page for another query (an answer that raced a filter change) is
        dropped. When the total shrinks, pages past the new end are dropped.
        """
        if query != self.query or self.searching:
            return False
        self._generation += 1
        old = self._pages.get(page)
        tasks = list(result.tasks) if old is None else keep_settled(old.tasks, result.tasks)
        changed = (
            self.total != result.total_size or old is None or not same_objects(old.tasks, tasks)
        )
        self.total = result.total_size
        self._pages[page] = _Page(tasks, self._generation)
        last_page = max(1, -(-result.total_size // self.page_size))
        for stale in [p for p in self._pages if p > last_page]:
            del self._pages[stale]
        self._evict()
        return changed

    def _evict(self) -> None:
        """Keep at most ``max_pages`` pages, forgetting the least recently stored."""
        if len(self._pages) <= self.max_pages:
            return
        by_age = sorted(self._pages, key=lambda p: self._pages[p].generation)
        for page in by_age[: len(self._pages) - self.max_pages]:
            del self._pages[page]

    def row(self, index: int) -> Task | None:
        """The task at row ``index``, or None when its page is not fetched."""
        if index < 0 or (self.total is not None and index >= self.total):
            return None
        if self.searching:
            return self._found[index] if index < len(self._found) else None
        page = self._pages.get(index // self.page_size + 1)
        if page is None:
            return None
        offset = index % self.page_size
        return page.tasks[offset] if offset < len(page.tasks) else None

    def rows(self, first: int, last: int) -> Iterator[tuple[int, Task]]:
        """The fetched rows of ``first..last`` with their indexes."""
        for index in range(max(first, 0), last + 1):
            task = self.row(index)
            if task is not None:
                yield index, task

    def index_of(self, task_id: str) -> int | None:
        """Row index of ``task_id`` among the fetched pages, if it is there."""
        if self.searching:
            return next((i for i, task in enumerate(self._found) if task.task_id == task_id), None)
        for page_no, page in self._pages.items():
            for offset, task in enumerate(page.tasks):
                if task.task_id == task_id:
                    return (page_no - 1) * self.page_size + offset
        return None

    def loaded_tasks(self) -> Iterable[Task]:
        """Every fetched task (in page order); while searching, the rows found."""
        if self.searching:
            yield from self._found
            return
        for page_no in sorted(self._pages):
            yield from self._pages[page_no].tasks
