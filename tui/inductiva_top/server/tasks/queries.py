"""Read-only queries behind ``GET /tasks`` (projects: :mod:`.projects`).

``GET /tasks`` answers straight from stored JSON text (finished tasks'
documents are spliced into the body as stored, without parsing) because it
is the hot path: with 100,000 tasks a page must come back in a few
milliseconds. Every filter and sort has an index ending in
``(create_time, seq)``, so a page needs no sort step over the whole table.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from inductiva_top.server.tasks.sortkeys import QUEUE, SORTABLE, Ticking

MAX_PAGE = 2**31 - 1
"""Pages beyond this cannot hold tasks; the bound keeps offsets inside SQLite's integers."""

SORT_FIELDS: tuple[str, ...] = (*SORTABLE, QUEUE)
"""Sort fields ``GET /tasks`` accepts (see :mod:`~inductiva_top.server.tasks.sortkeys`).

Ties are broken by creation time (then insertion order) in the direction of
the last sort key, so one index scan answers the page: ``status:asc`` lists
each status oldest first, ``status:desc`` newest first. Without ``sort`` the
order is ``create_time:desc``. NULL values sort first in ascending order.
A ticking value (run and total seconds) and the queue position are sorted
by on their own, not combined with other keys.
"""


class BadQuery(ValueError):
    """A query parameter that cannot be honoured; the message says why."""


@dataclass(frozen=True)
class TaskQuery:
    """Filters, order and page of a task listing."""

    page: int = 1
    per_page: int = 50
    status: str | None = None
    project: str | None = None
    active: bool | None = None
    task_id_filter: str | None = None
    sort: tuple[tuple[str, bool], ...] = field(default_factory=tuple)
    """(sort field, descending) pairs, most significant first."""


def parse_sort(values: list[str] | None) -> tuple[tuple[str, bool], ...]:
    """``["status:asc", "create_time:desc"]`` -> field/direction pairs."""
    result: list[tuple[str, bool]] = []
    for value in values or []:
        for item in value.split(","):
            name, _, order = item.strip().partition(":")
            if not name:
                continue
            if name not in SORT_FIELDS:
                raise BadQuery(
                    f"cannot sort by {name!r}; sortable fields: {', '.join(sorted(SORT_FIELDS))}"
                )
            order = order.lower() or "asc"
            if order not in ("asc", "desc"):
                raise BadQuery(f"sort order of {name!r} must be 'asc' or 'desc', not {order!r}")
            result.append((name, order == "desc"))
    alone = [name for name, _ in result if _sorts_alone(name)]
    if alone and len(result) > 1:
        raise BadQuery(f"sort by {alone[0]!r} cannot be combined with other sort keys")
    return tuple(result)


QUICK_OFFSET = 1_000
"""Listings starting this far in or further step over many index entries (see :func:`is_quick`)."""


def _sorts_alone(name: str) -> bool:
    """Whether the sort ``name`` is computed per request (the queue, a ticking field): it
    cannot be combined with other keys, and no index serves it."""
    return name == QUEUE or isinstance(SORTABLE[name], Ticking)


def is_quick(query: TaskQuery) -> bool:
    """Whether a listing reads only a short run of one index (well under a millisecond).

    That is a page starting less than :data:`QUICK_OFFSET` tasks in, sorted by
    stored fields (either direction): what every dashboard polls. Ticking and
    queue sorts and id searches scan or sort many rows (up to tens of
    milliseconds with 100,000 tasks); pages further in step over many index
    entries (the last ones too are not counted quick, though read from the end).
    """
    if query.sort and _sorts_alone(query.sort[0][0]):
        return False
    return not query.task_id_filter and (query.page - 1) * query.per_page < QUICK_OFFSET


def _where(query: TaskQuery) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if query.status is not None:
        clauses.append("status = ?")
        params.append(query.status)
    if query.project is not None:
        clauses.append("project = ?")
        params.append(query.project)
    if query.active is not None:
        clauses.append("is_terminated = ?")
        params.append(0 if query.active else 1)
    if query.task_id_filter:
        clauses.append("instr(task_id, ?) > 0")
        params.append(query.task_id_filter)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def _direction(descending: bool, reverse: bool) -> str:
    return "DESC" if descending != reverse else "ASC"


def _column(name: str) -> str:
    column = SORTABLE[name]
    if not isinstance(column, str):
        raise BadQuery(f"sort by {name!r} cannot be combined with other sort keys")
    return column


def _order(query: TaskQuery, *, reverse: bool = False) -> str:
    """The ORDER BY of a listing; ``reverse`` gives the exact reverse order (it ends in ``seq``)."""
    columns = [(_column(name), desc) for name, desc in query.sort]
    terms = [f"{column} {_direction(desc, reverse)}" for column, desc in columns]
    tie = _direction(not query.sort or query.sort[-1][1], reverse)
    if "create_time" not in {column for column, _ in columns}:
        terms.append(f"create_time {tie}")
    terms.append(f"seq {tie}")
    return " ORDER BY " + ", ".join(terms)


def _ticking_sql(
    ticking: Ticking, where: str, params: list[Any], descending: bool, reverse: bool, now: float
) -> tuple[str, list[Any]]:
    """Seq ids in order of a ticking value: stored, ticking and missing rows merged.

    Three index-ordered parts that SQLite merges: rows whose value is stored,
    rows whose value ticks (computed from ``now``; only live tasks), rows
    with none (NULL, taken in index order).
    """
    both = f"{where} AND" if where else " WHERE"
    column, live = ticking.column, ticking.live
    order = _direction(descending, reverse)
    # Only fixed column names are formatted into the SQL; values are bound parameters.
    sql = (
        f"SELECT seq, {column} AS k, create_time AS c FROM tasks{both} {column} IS NOT NULL "  # noqa: S608
        f"UNION ALL SELECT seq, ? - {ticking.start}, create_time FROM tasks{both} "
        f"{column} IS NULL AND ({live}) "
        f"UNION ALL SELECT seq, {column}, create_time FROM tasks{both} "
        f"{column} IS NULL AND NOT ({live}) "
        f"ORDER BY 2 {order}, 3 {order}, 1 {order} LIMIT ? OFFSET ?"
    )
    return sql, [*params, now, *params, *params]


def _queue_seqs(conn: sqlite3.Connection, query: TaskQuery, offset: int, limit: int) -> list[int]:
    """A page in queue order: waiting tasks by their place in their group's queue, then the rest.

    Ascending lists the next to run first and every other task after them,
    oldest first; descending is the exact reverse. The waiting tasks are few,
    so their places are worked out here; the rest comes off the
    ``create_time`` index.
    """
    where, params = _where(query)
    both = f"{where} AND" if where else " WHERE"
    # A task's place counts every task ahead in its group, shown or filtered out.
    places = conn.execute(
        "SELECT seq, ROW_NUMBER() OVER (PARTITION BY machine_group ORDER BY queue_seq), "
        "create_time FROM tasks WHERE status = 'submitted'"
    ).fetchall()
    # Only fixed column names are formatted into the SQL; values are bound parameters.
    shown = {
        int(row[0])
        for row in conn.execute(f"SELECT seq FROM tasks{both} status = 'submitted'", params)  # noqa: S608
    }
    waiting = [
        int(seq)
        for seq, _, _ in sorted(places, key=lambda row: (row[1], row[2], row[0]))
        if seq in shown
    ]
    descending = query.sort[0][1]
    rest_order = "DESC" if descending else "ASC"
    rest_sql = (
        f"SELECT seq FROM tasks{both} status != 'submitted' "  # noqa: S608
        f"ORDER BY create_time {rest_order}, seq {rest_order} LIMIT ? OFFSET ?"
    )
    first = list(reversed(waiting)) if descending else waiting
    if not descending:
        head = first[offset : offset + limit]
        rest_offset = max(0, offset - len(first))
        rest = conn.execute(rest_sql, [*params, limit - len(head), rest_offset]).fetchall()
        return head + [int(row[0]) for row in rest]
    rest_total = _count(conn, f"{both} status != 'submitted'", params)
    rest = (
        conn.execute(rest_sql, [*params, limit, offset]).fetchall() if offset < rest_total else []
    )
    seqs = [int(row[0]) for row in rest]
    start = max(0, offset - rest_total)
    return seqs + first[start : start + limit - len(seqs)]


_COUNTS: dict[int, tuple[sqlite3.Connection, int, dict[tuple[str, tuple[Any, ...]], int]]] = {}
_COUNTS_LOCK = threading.Lock()


def _count(conn: sqlite3.Connection, where: str, params: list[Any]) -> int:
    """``COUNT(*)`` of a filter, remembered per connection until the database changes.

    Counting is most of a page's cost with 100,000 tasks (the whole index
    range of the filter is read; ~12 ms for ``status=success`` alone), and
    dashboards poll the same listing every few seconds. ``PRAGMA
    data_version`` changes on a read connection whenever another connection
    has committed, so a remembered count is used only while it is exact.
    """
    version = int(conn.execute("PRAGMA data_version").fetchone()[0])
    key = (where, tuple(params))
    with _COUNTS_LOCK:
        entry = _COUNTS.get(id(conn))
        if entry is not None and entry[0] is conn and entry[1] == version:
            found = entry[2].get(key)
            if found is not None:
                return found
    # Only fixed column names are formatted into the SQL; values are bound parameters.
    total = int(conn.execute(f"SELECT COUNT(*) FROM tasks{where}", params).fetchone()[0])  # noqa: S608
    with _COUNTS_LOCK:
        entry = _COUNTS.get(id(conn))
        if entry is None or entry[0] is not conn or entry[1] != version:
            if len(_COUNTS) >= 256:  # connections of closed stores
                _COUNTS.clear()
            entry = _COUNTS[id(conn)] = (conn, version, {})
        if len(entry[2]) < 1024:
            entry[2][key] = total
    return total


def _page_rows(
    conn: sqlite3.Connection, query: TaskQuery, now: float
) -> tuple[int, list[tuple[str, float, int]]]:
    where, params = _where(query)
    # Only fixed column names are formatted into the SQL; values are bound parameters.
    total = _count(conn, where, params)
    offset = (query.page - 1) * query.per_page
    first = query.sort[0] if query.sort else None
    if first is not None and first[0] == QUEUE:
        seqs = _queue_seqs(conn, query, offset, query.per_page)
        return total, _documents(conn, seqs)
    limit, reverse = query.per_page, False
    if total // 2 < offset < total:
        # OFFSET steps over index entries one by one: a page in the far half
        # is read from the other end (the last page of 100,000 tasks then
        # skips none instead of 99,950), then put back in order.
        limit = min(query.per_page, total - offset)
        offset, reverse = total - offset - limit, True
    # First the page's row ids (the sort never carries the large documents),
    # then the documents of just those rows.
    ticking = SORTABLE[first[0]] if first is not None else None
    if isinstance(ticking, Ticking) and first is not None:
        sql, args = _ticking_sql(ticking, where, params, first[1], reverse, now)
        rows = conn.execute(sql, [*args, limit, offset])
    else:
        rows = conn.execute(
            f"SELECT seq FROM tasks{where}{_order(query, reverse=reverse)} LIMIT ? OFFSET ?",  # noqa: S608
            [*params, limit, offset],
        )
    seqs = [int(row[0]) for row in rows]
    if reverse:
        seqs.reverse()
    return total, _documents(conn, seqs)


def _documents(conn: sqlite3.Connection, seqs: list[int]) -> list[tuple[str, float, int]]:
    """The stored documents of ``seqs``, in that order."""
    if not seqs:
        return []
    marks = ", ".join("?" for _ in seqs)
    found = {
        int(seq): (str(doc), float(created), int(done))
        for seq, doc, created, done in conn.execute(
            f"SELECT seq, doc, create_time, is_terminated FROM tasks WHERE seq IN ({marks})",  # noqa: S608
            seqs,
        )
    }
    return [found[seq] for seq in seqs if seq in found]


def _live_text(doc_text: str, create_time: float, terminated: int, now: float) -> str:
    if terminated:
        return doc_text  # stored exactly as served: no parse, no re-encode
    doc = json.loads(doc_text)
    doc["duration_seconds"] = round(now - create_time, 6)
    return json.dumps(doc, separators=(",", ":"))


def list_tasks(
    conn: sqlite3.Connection, query: TaskQuery, now: datetime | None = None
) -> tuple[int, list[dict[str, Any]]]:
    """``(total_size, tasks)`` of one page; tasks are wire dicts."""
    now_ts = (now or datetime.now(timezone.utc)).timestamp()
    total, rows = _page_rows(conn, query, now_ts)
    return total, [json.loads(_live_text(d, c, t, now_ts)) for d, c, t in rows]


def page_json(conn: sqlite3.Connection, query: TaskQuery, now: datetime | None = None) -> str:
    """The JSON body of ``GET /tasks`` (``{"total_size", "tasks"}``), built from stored text."""
    now_ts = (now or datetime.now(timezone.utc)).timestamp()
    total, rows = _page_rows(conn, query, now_ts)
    tasks = ",".join(_live_text(d, c, t, now_ts) for d, c, t in rows)
    return f'{{"total_size":{total},"tasks":[{tasks}]}}'


def live_doc(doc: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """Fill the fields of a stored document that depend on the current time."""
    created = doc.get("create_time")
    if created and not doc.get("is_terminated"):
        start = datetime.fromisoformat(str(created).replace("Z", "+00:00"))
        now_ts = (now or datetime.now(timezone.utc)).timestamp()
        doc["duration_seconds"] = round(now_ts - start.timestamp(), 6)
    return doc
