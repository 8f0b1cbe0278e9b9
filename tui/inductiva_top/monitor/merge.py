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
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from inductiva_top.api.models import Task, TaskPage

__all__ = ["MAX_PER_PAGE", "merged_page"]

MAX_PER_PAGE = 500
"""The API's largest ``per_page``."""


class _Lister(Protocol):
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


def _key(field: str) -> Any:
    def key(task: Task) -> tuple[int, Any]:
        value = getattr(task, field, None)
        if value is None:
            return (0, "")
        if isinstance(value, datetime):
            return (1, value.timestamp())
        return (1, value)

    return key


async def _prefix(
    source: _Lister, status: str, count: int, params: dict[str, Any]
) -> tuple[int, list[Task]]:
    """The first ``count`` rows of one status's stream, and that stream's total."""
    per_page = min(MAX_PER_PAGE, max(1, count))
    rows: list[Task] = []
    total = 0
    page = 1
    while len(rows) < count:
        result = await source.list_tasks(page=page, per_page=per_page, status=status, **params)
        total = result.total_size
        rows.extend(result.tasks)
        if len(result.tasks) < per_page or len(rows) >= total:
            break
        page += 1
    return total, rows[:count]


async def merged_page(
    source: _Lister,
    statuses: Sequence[str],
    page: int,
    page_size: int,
    *,
    project: str | None = None,
    active: bool | None = None,
    task_id_filter: str | None = None,
    sort: Sequence[str] = (),
) -> TaskPage:
    """Page ``page`` (1-based) of the merged view of ``statuses``."""
    end = page * page_size
    params: dict[str, Any] = {
        "project": project,
        "active": active,
        "task_id_filter": task_id_filter,
        "sort": sort,
    }
    streams = await asyncio.gather(*(_prefix(source, code, end, params) for code in statuses))
    total = sum(stream_total for stream_total, _ in streams)
    field, _, direction = (sort[0] if sort else "create_time:desc").partition(":")
    merged = heapq.merge(
        *(rows for _, rows in streams), key=_key(field), reverse=direction == "desc"
    )
    rows = list(merged)[(page - 1) * page_size : end]
    return TaskPage(total_size=total, tasks=rows)
