"""The task store: one writer, many readers, over one SQLite file in WAL mode.

Writes go through a single connection guarded by a lock (SQLite allows one
writer at a time anyway; serialising them here avoids ``database is locked``
retries). Every write that changes a task is a read-modify-write of its
record inside one ``BEGIN IMMEDIATE`` transaction, so concurrent requests and
the executor never lose each other's changes. Readers (request threads) use
their own connection per thread and never wait for the writer.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

from inductiva_top.server.schemas import TaskWithStatusHistory
from inductiva_top.server.statuses import ON_MACHINE, TaskStatusCode
from inductiva_top.server.tasks import db
from inductiva_top.server.tasks.lifecycle import TaskRecord
from inductiva_top.server.tasks.sortkeys import SORT_COLUMNS, sort_columns

T = TypeVar("T")

HISTORY_FIELDS = frozenset({"status_history", "machine_operations", "steps"})
"""Fields of a task kept in the row's ``history`` column (or not stored), not in its ``doc``."""

DEFAULT_GROUP = "default"
"""The machine group a task runs in when it names none (the server always has it)."""


class TaskNotFound(LookupError):
    """No task has this id."""


@dataclass(frozen=True)
class OnMachine:
    """A task an executor held, with the process group it may have left."""

    task_id: str
    status: TaskStatusCode
    pgid: int | None
    pg_create_time: float | None
    start_time: float | None
    """When the executor picked the task (Unix time)."""


def _epoch(value: Any) -> float | None:
    """Unix time of an ISO 8601 string (``Z`` or an offset) or a datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return float(value.timestamp())


def json_text(document: Any) -> str:
    """A document as the store writes it: compact JSON."""
    return json.dumps(document, separators=(",", ":"))


def row_from_documents(
    doc: Mapping[str, Any],
    history: Sequence[Mapping[str, Any]],
    *,
    queue_seq: int | None = None,
    pgid: int | None = None,
    pg_create_time: float | None = None,
    text: Callable[[Any], str] = json_text,
) -> dict[str, Any]:
    """A ``tasks`` row from JSON-ready documents, without model validation.

    ``doc`` is a task as the wire shows it (the fields of
    :class:`~inductiva_top.server.schemas.Task`, timestamps as ISO 8601
    strings) and ``history`` its ``status_history``. This is the fast path
    for bulk loads (``seed``); validate a sample with ``schemas.Task`` there.
    ``text`` writes each document as JSON.
    """
    create = _epoch(doc.get("create_time")) or 0.0
    computation_start = _epoch(doc.get("computation_start_time"))
    computation_end = _epoch(doc.get("computation_end_time"))
    end = _epoch(doc.get("end_time"))
    return {
        "task_id": doc["task_id"],
        "status": doc["status"],
        "is_terminated": int(bool(doc["is_terminated"])),
        "project": doc["project"],
        "simulator": doc["simulator"],
        "machine_group": doc.get("machine_group_name") or DEFAULT_GROUP,
        "create_time": create,
        "input_submit_time": _epoch(doc.get("input_submit_time")),
        "start_time": _epoch(doc.get("start_time")),
        "computation_start_time": computation_start,
        "computation_end_time": computation_end,
        "end_time": end,
        **sort_columns(
            doc,
            create=create,
            computation_start=computation_start,
            computation_end=computation_end,
            end=end,
        ),
        "queue_seq": queue_seq,
        "pgid": pgid,
        "pg_create_time": pg_create_time,
        "num_retries": int(doc.get("num_retries") or 0),
        "cost": float(doc.get("estimated_computation_cost") or 0.0),
        "doc": text(doc),
        "history": text(history),
    }


def row_of(record: TaskRecord) -> dict[str, Any]:
    """The ``tasks`` row of a record, as the store writes it (the seeder's workers too)."""
    task = record.task
    return row_from_documents(
        task.model_dump(mode="json", exclude=set(HISTORY_FIELDS)),
        [entry.model_dump(mode="json") for entry in task.status_history],
        queue_seq=record.queue_seq,
        pgid=record.pgid,
        pg_create_time=record.pg_create_time,
    )


_COLUMNS = [
    "task_id",
    "status",
    "is_terminated",
    "project",
    "simulator",
    "machine_group",
    "create_time",
    "input_submit_time",
    "start_time",
    "computation_start_time",
    "computation_end_time",
    "end_time",
    *SORT_COLUMNS,
    "queue_seq",
    "pgid",
    "pg_create_time",
    "num_retries",
    "cost",
    "doc",
    "history",
]
# Built from the fixed column list above; values are always bound parameters.
_INSERT = "INSERT INTO tasks ({}) VALUES ({})".format(  # noqa: S608
    ", ".join(_COLUMNS), ", ".join(":" + c for c in _COLUMNS)
)
_UPDATE = "UPDATE tasks SET {} WHERE task_id = :task_id".format(  # noqa: S608
    ", ".join(f"{c} = :{c}" for c in _COLUMNS if c != "task_id")
)


def record_from_row(row: sqlite3.Row) -> TaskRecord:
    """Rebuild a full record from a ``tasks`` row."""
    doc = json.loads(row["doc"])
    doc["status_history"] = json.loads(row["history"])
    return TaskRecord(
        task=TaskWithStatusHistory.model_validate(doc),
        queue_seq=row["queue_seq"],
        pgid=row["pgid"],
        pg_create_time=row["pg_create_time"],
    )


class TaskStore:
    """All reads and writes of tasks (projects: :mod:`.projects`; groups: :mod:`.groups`)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._writer = db.connect(path)
        db.migrate(self._writer)
        self._write_lock = threading.Lock()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()

    def close(self) -> None:
        """Close every connection of the store."""
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
        with self._write_lock:
            self._writer.close()

    # -- connections -------------------------------------------------------

    def reader(self) -> sqlite3.Connection:
        """This thread's read connection."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = db.connect(self._path)
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    @contextmanager
    def bulk_load(self) -> Iterator[None]:
        """Writes meanwhile load many tasks fast (:func:`.db.bulk_load`).

        Only for a process that holds the data dir and has read nothing
        through :meth:`reader` (no other connection may be open).
        """
        with self._readers_lock:
            if self._readers:
                raise RuntimeError("bulk_load needs the store's only connection")
        with db.bulk_load(self._writer):
            yield

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """The writer connection inside one immediate transaction."""
        with self._write_lock:
            self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield self._writer
            except BaseException:
                self._writer.execute("ROLLBACK")
                raise
            self._writer.execute("COMMIT")

    # -- tasks: writes -----------------------------------------------------

    def insert(self, record: TaskRecord) -> None:
        """Store a new task (and its project, if new)."""
        self.insert_many([record])

    def insert_many(self, records: Iterable[TaskRecord]) -> int:
        """Store many new tasks in one transaction; returns the count."""
        return self.insert_rows(row_of(record) for record in records)

    def insert_rows(self, rows_in: Iterable[Mapping[str, Any]]) -> int:
        """Store rows made by :func:`row_from_documents` in one transaction (bulk loads).

        Their projects are created as needed. Returns the count.
        """
        rows = list(rows_in)
        projects: dict[str, float] = {}
        for row in rows:
            created = projects.get(row["project"])
            if created is None or row["create_time"] < created:
                projects[row["project"]] = row["create_time"]
        with self.transaction() as conn:
            conn.executemany(_INSERT, rows)
            conn.executemany(
                "INSERT INTO projects (name, id, created_at) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET "
                "created_at = MIN(created_at, excluded.created_at)",
                [(name, str(uuid.uuid4()), created) for name, created in projects.items()],
            )
        return len(rows)

    def update(
        self, task_id: str, change: Callable[[TaskRecord], T], *, enqueue: bool = False
    ) -> T:
        """Apply ``change`` to a task's record atomically and store the result.

        With ``enqueue`` a task that never had a queue position gets the next
        one first (FIFO order is the order of these calls).
        Raises :class:`TaskNotFound`.
        """
        with self.transaction() as conn:
            row = conn.execute("SELECT * FROM tasks WHERE task_id = ?", (task_id,)).fetchone()
            if row is None:
                raise TaskNotFound(task_id)
            record = record_from_row(row)
            if enqueue and record.queue_seq is None:
                record.queue_seq = conn.execute(
                    "UPDATE counters SET value = value + 1 WHERE name = 'queue_seq' RETURNING value"
                ).fetchone()[0]
            result = change(record)
            conn.execute(_UPDATE, row_of(record))
        return result

    # -- tasks: reads ------------------------------------------------------

    def get(self, task_id: str) -> TaskRecord:
        """A task's full record; raises :class:`TaskNotFound`."""
        row = self.reader().execute("SELECT * FROM tasks WHERE task_id = ?", (task_id,)).fetchone()
        if row is None:
            raise TaskNotFound(task_id)
        return record_from_row(row)

    def tasks_ahead(self, group: str, queue_seq: int) -> int:
        """How many queued tasks of ``group`` are before ``queue_seq``."""
        row = (
            self.reader()
            .execute(
                "SELECT COUNT(*) FROM tasks WHERE status = 'submitted' AND machine_group = ? "
                "AND queue_seq < ?",
                (group, queue_seq),
            )
            .fetchone()
        )
        return int(row[0])

    def queued_count(self, group: str) -> int:
        """How many tasks of ``group`` wait in its queue."""
        row = (
            self.reader()
            .execute(
                "SELECT COUNT(*) FROM tasks WHERE status = 'submitted' AND machine_group = ?",
                (group,),
            )
            .fetchone()
        )
        return int(row[0])

    def queue_head(self, group: str, limit: int) -> list[str]:
        """The first ``limit`` queued task ids of ``group``, in FIFO order."""
        rows = (
            self.reader()
            .execute(
                "SELECT task_id FROM tasks WHERE status = 'submitted' AND machine_group = ? "
                "ORDER BY queue_seq LIMIT ?",
                (group, limit),
            )
            .fetchall()
        )
        return [str(row[0]) for row in rows]

    def waiting_in_group(self, group: str) -> list[str]:
        """Ids of the tasks of ``group`` that have not started yet."""
        rows = (
            self.reader()
            .execute(
                "SELECT task_id FROM tasks WHERE machine_group = ? "
                "AND status IN ('submitted', 'pending-input')",
                (group,),
            )
            .fetchall()
        )
        return [str(row[0]) for row in rows]

    def on_machine(self) -> list[OnMachine]:
        """Tasks an executor held (after a crash: the ones to recover)."""
        codes = sorted(code.value for code in ON_MACHINE)
        marks = ", ".join("?" for _ in codes)
        columns = "task_id, status, pgid, pg_create_time, start_time"
        sql = f"SELECT {columns} FROM tasks WHERE status IN ({marks})"  # noqa: S608
        rows = self.reader().execute(sql, codes).fetchall()
        return [OnMachine(str(r[0]), TaskStatusCode(r[1]), r[2], r[3], r[4]) for r in rows]

    def groups_with_queue(self) -> list[str]:
        """Machine groups that have queued tasks."""
        rows = (
            self.reader()
            .execute("SELECT DISTINCT machine_group FROM tasks WHERE status = 'submitted'")
            .fetchall()
        )
        return [str(row[0]) for row in rows]
