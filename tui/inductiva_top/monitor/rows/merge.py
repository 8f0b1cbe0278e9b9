"""Pages of a view filtered by several status codes, merged from one stream per code.

The API filters by one ``status`` at a time. A view of several codes is the
merge of one server-sorted stream per code: its total is the sum of theirs,
and its page ``p`` needs the first ``p * page_size`` rows of each stream,
merged by the sort key. Cost grows with the depth of the page and the number
of codes, never with the number of tasks; the usual views (the first pages)
cost one request per code.

NULL sort values are taken to sort first in ascending order (as SQLite, the
embedded server, sorts them); a server that sorts them differently still gets
every row, only NULL rows may land at the other end.
"""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any, Protocol

from inductiva_top.api.models import Task, TaskPage
from inductiva_top.monitor.rows.sorting import sort_value

__all__ = ["MAX_PER_PAGE", "TaskLister", "merged_page"]

MAX_PER_PAGE = 500
"""The API's largest ``per_page``."""


class TaskLister(Protocol):
    """What listing needs of :class:`~inductiva_top.api.client.InductivaClient`."""

    async def list_tasks(
        self,
        *,
        page: int = 1,
        per_page: int = 50,
        status: str | Sequence[str] | None = None,
        project: str | None = None,
        active: bool | None = None,
        task_id_filter: str | None = None,
        sort: Sequence[str] = (),
    ) -> TaskPage: ...


def _key(field: str, now: datetime) -> Callable[[Task], tuple[int, Any, float]]:
    """The merge order: the server's value (NULL first), ties by creation time as it breaks them."""

    def key(task: Task) -> tuple[int, Any, float]:
        value = sort_value(field, task, now)
        created = task.create_time.timestamp() if task.create_time else 0.0
        return (0, "", created) if value is None else (1, value, created)

    return key


async def _prefix(
    source: TaskLister, status: str, count: int, params: dict[str, Any]
) -> tuple[int, list[Task]]:
    """The first ``count`` rows of one status's stream, and that stream's total."""
    per_page = min(MAX_PER_PAGE, max(1, count))
    rows: list[Task] = []
    total = 0
    page = 1
    while True:  # at least one request: it also tells the stream's total
        result = await source.list_tasks(page=page, per_page=per_page, status=status, **params)
        total = result.total_size
        rows.extend(result.tasks)
        if len(rows) >= count or len(result.tasks) < per_page or len(rows) >= total:
            break
        page += 1
    return total, rows[:count]


def _flip(sort: Sequence[str]) -> list[str]:
    """The same sort keys in the other direction."""
    flipped = []
    for key in sort:
        field, _, direction = key.partition(":")
        flipped.append(f"{field}:{'asc' if direction == 'desc' else 'desc'}")
    return flipped


async def _merged_prefix(
    source: TaskLister,
    statuses: Sequence[str],
    count: int,
    sort: Sequence[str],
    params: dict[str, Any],
) -> tuple[int, list[Task]]:
    """The first ``count`` rows of the merged view under ``sort``, and its total."""
    streams = await asyncio.gather(
        *(_prefix(source, code, count, {**params, "sort": sort}) for code in statuses)
    )
    field, _, direction = (sort[0] if sort else "create_time:desc").partition(":")
    now = datetime.now(timezone.utc)
    merged = heapq.merge(
        *(rows for _, rows in streams), key=_key(field, now), reverse=direction == "desc"
    )
    return sum(total for total, _ in streams), list(merged)[:count]


async def merged_page(
    source: TaskLister,
    statuses: Sequence[str],
    page: int,
    page_size: int,
    *,
    project: str | None = None,
    active: bool | None = None,
    task_id_filter: str | None = None,
    sort: Sequence[str] = (),
    total_hint: int | None = None,
) -> TaskPage:
    """Page ``page`` (1-based) of the merged view of ``statuses``.

    With ``total_hint`` (the view's size from an earlier page), a page in the
    second half is read from the other end (the sort flipped), so both ends
    of a long view are cheap; only its middle costs rows down to the page.
    """
    start, end = (page - 1) * page_size, page * page_size
    params: dict[str, Any] = {
        "project": project,
        "active": active,
        "task_id_filter": task_id_filter,
    }
    order = list(sort) or ["create_time:desc"]
    if total_hint is not None and start > total_hint // 2:
        from_end = max(0, total_hint - start)
        total, rows = await _merged_prefix(source, statuses, from_end, _flip(order), params)
        if total == total_hint:
            tail = rows[max(0, total - end) : total - start]
            return TaskPage(total_size=total, tasks=list(reversed(tail)))
        # The view changed size meanwhile: read it from the top instead.
    total, rows = await _merged_prefix(source, statuses, end, order, params)
    return TaskPage(total_size=total, tasks=rows[start:end])
