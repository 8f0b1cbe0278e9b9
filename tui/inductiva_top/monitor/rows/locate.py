"""Find a task's row in a server-sorted list without fetching the list.

After a sort change the cursor should stay on its task, which may now be
anywhere among 100,000 rows. The server only pages, so this bisects: it asks
for single rows (``per_page=1``) and compares their sort value with the
task's, about ``log2(total)`` tiny requests, then reads the page(s) where the
value starts to find the exact row among ties. Where NULLs sort is learnt
from the ends of the list. Returns None when the task is not found (the
server's collation differs, the task left the view): the caller then keeps
the cursor on a neighbour.
"""

from __future__ import annotations

from datetime import datetime, timezone

from inductiva_top.api.models import Task
from inductiva_top.monitor.rows.merge import TaskLister
from inductiva_top.monitor.rows.sorting import SortValue, sort_value
from inductiva_top.monitor.rows.window import TaskQuery

__all__ = ["locate"]


class _Probe:
    """Single-row and page reads of one query's sorted list."""

    def __init__(self, source: TaskLister, query: TaskQuery) -> None:
        self.source = source
        self.query = query
        self.requests = 0
        self.total = 0

    async def page(self, page: int, per_page: int) -> list[Task]:
        self.requests += 1
        self.total, rows = await self._page(page, per_page)
        return rows

    async def _page(self, page: int, per_page: int) -> tuple[int, list[Task]]:
        result = await self.source.list_tasks(
            page=page,
            per_page=per_page,
            status=next(iter(self.query.statuses), None),
            project=self.query.project,
            active=True if self.query.active else None,
            sort=self.query.sort_params,
        )
        return result.total_size, list(result.tasks)

    async def row(self, index: int) -> Task | None:
        rows = await self.page(index + 1, 1)
        return rows[0] if rows else None


async def locate(
    source: TaskLister,
    query: TaskQuery,
    task: Task,
    *,
    page_size: int = 50,
    scan_pages: int = 2,
) -> int | None:
    """The row index of ``task`` in ``query``'s sorted list, or None.

    A view of several status codes (merged by the client) is not searched.
    """
    if not query.sort or len(query.statuses) > 1:
        return None
    key = query.sort[0]
    now = datetime.now(timezone.utc)

    def _value(row: Task, field: str) -> SortValue:
        return sort_value(field, row, now)

    target = _value(task, key.field)
    if target is None:
        return None
    probe = _Probe(source, query)
    first = await probe.row(0)
    total = probe.total
    last = await probe.row(total - 1) if total > 0 else None
    if first is None or last is None:
        return None
    nulls_first = _value(first, key.field) is None

    def before(row: Task) -> bool:
        """Whether ``row`` sorts strictly before the target value."""
        value = _value(row, key.field)
        if value is None:
            return nulls_first
        try:
            return bool(value > target) if key.descending else bool(value < target)  # type: ignore[operator]
        except TypeError:
            return False

    low, high = 0, total
    while low < high:
        middle = (low + high) // 2
        row = await probe.row(middle)
        if row is None:
            return None
        if before(row):
            low = middle + 1
        else:
            high = middle
    # ``low`` is the first row with the target value; ties follow it.
    page = low // page_size + 1
    for offset in range(scan_pages):
        rows = await probe.page(page + offset, page_size)
        for position, row in enumerate(rows):
            if row.task_id == task.task_id:
                return (page + offset - 1) * page_size + position
        if not rows or _value(rows[-1], key.field) != target:
            break
    return None
