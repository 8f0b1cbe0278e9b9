"""The SQLite file: connections, schema and migrations.

The schema version is ``PRAGMA user_version``. Each entry of
:data:`MIGRATIONS` takes the database from version *i* to *i + 1*; opening a
data dir runs the missing ones in one transaction, so a newer release opens
an older data dir. A data dir written by a *newer* release is refused with a
clear message instead of being misread.

Layout: the ``tasks`` table keeps the columns that listing filters and sorts
on, each backed by an index ending in ``(create_time, seq)``, so a page of
any one filter or sort comes straight off an index without a sort step (the
default index also covers ``task_id`` for the id-substring filter, and the
project index covers the project overview, statistics and cost); everything else of a task is one
JSON document (``doc``) and its status history another (``history``), so a
listing never parses histories.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from inductiva_top.server.tasks.sortkeys import SORT_COLUMNS, sort_columns

_V1 = """
CREATE TABLE tasks (
    seq INTEGER PRIMARY KEY,
    task_id TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    is_terminated INTEGER NOT NULL,
    project TEXT NOT NULL,
    simulator TEXT NOT NULL,
    machine_group TEXT NOT NULL,
    create_time REAL NOT NULL,
    input_submit_time REAL,
    start_time REAL,
    computation_start_time REAL,
    computation_end_time REAL,
    end_time REAL,
    queue_seq INTEGER,
    pgid INTEGER,
    pg_create_time REAL,
    num_retries INTEGER NOT NULL DEFAULT 0,
    doc TEXT NOT NULL,
    history TEXT NOT NULL
);
CREATE INDEX tasks_create ON tasks (create_time, seq, task_id);
CREATE INDEX tasks_status ON tasks (status, create_time, seq);
CREATE INDEX tasks_project ON tasks (project, create_time, seq);
CREATE INDEX tasks_project_status ON tasks (project, status, end_time, create_time);
CREATE INDEX tasks_active ON tasks (is_terminated, create_time, seq);
CREATE INDEX tasks_simulator ON tasks (simulator, create_time, seq);
CREATE INDEX tasks_group ON tasks (machine_group, create_time, seq);
CREATE INDEX tasks_end ON tasks (end_time, create_time, seq);
CREATE INDEX tasks_queue ON tasks (machine_group, queue_seq) WHERE status = 'submitted';
CREATE INDEX tasks_on_machine ON tasks (pgid) WHERE pgid IS NOT NULL;

CREATE TABLE projects (
    name TEXT PRIMARY KEY,
    id TEXT NOT NULL,
    project_type TEXT NOT NULL DEFAULT 'project',
    created_at REAL NOT NULL,
    metadata TEXT NOT NULL DEFAULT '{}'
);

CREATE TABLE machine_groups (
    name TEXT PRIMARY KEY,
    slots INTEGER NOT NULL,
    machine_type TEXT NOT NULL,
    created_at REAL NOT NULL
);

CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO counters (name, value) VALUES ('queue_seq', 0);
"""

# Version 2: every time column the client may sort by gets an index.
_V2 = """
CREATE INDEX tasks_start ON tasks (start_time, create_time, seq);
CREATE INDEX tasks_input_submit ON tasks (input_submit_time, create_time, seq);
CREATE INDEX tasks_computation_start ON tasks (computation_start_time, create_time, seq);
CREATE INDEX tasks_computation_end ON tasks (computation_end_time, create_time, seq);
CREATE INDEX tasks_retries ON tasks (num_retries, create_time, seq);
"""

# Version 3: costs. Each task's ``estimated_computation_cost`` becomes a column
# (``cost``), and the project index covers it, so a project's totals are one
# index scan; machine groups get a rate, an idle limit, a lifecycle status and
# what they have cost (this incarnation, and earlier ones of the same name).
_V3 = """
ALTER TABLE tasks ADD COLUMN cost REAL NOT NULL DEFAULT 0;
UPDATE tasks SET cost = COALESCE(json_extract(doc, '$.estimated_computation_cost'), 0);
DROP INDEX tasks_project_status;
CREATE INDEX tasks_project_status ON tasks (project, status, end_time, create_time, cost);
ALTER TABLE machine_groups ADD COLUMN incarnation TEXT NOT NULL DEFAULT '';
ALTER TABLE machine_groups ADD COLUMN cost_per_hour REAL NOT NULL DEFAULT 0;
ALTER TABLE machine_groups ADD COLUMN max_idle_time REAL;
ALTER TABLE machine_groups ADD COLUMN status TEXT NOT NULL DEFAULT 'started';
ALTER TABLE machine_groups ADD COLUMN terminated_at REAL;
ALTER TABLE machine_groups ADD COLUMN cost REAL NOT NULL DEFAULT 0;
ALTER TABLE machine_groups ADD COLUMN past_cost REAL NOT NULL DEFAULT 0;
UPDATE machine_groups SET incarnation = lower(hex(randomblob(16)))
"""

Migration = Callable[[sqlite3.Connection], None]

# Version 4: sort values derived from the document (sortkeys.py), each with its index
# (and one for the cost, one for the queue sort's tasks that do not wait).
_V4_COLUMNS = """
ALTER TABLE tasks ADD COLUMN status_rank INTEGER;
ALTER TABLE tasks ADD COLUMN machine_type TEXT;
ALTER TABLE tasks ADD COLUMN run_seconds REAL;
ALTER TABLE tasks ADD COLUMN total_seconds REAL
"""
_V4_INDEXES = """
CREATE INDEX tasks_status_rank ON tasks (status_rank, create_time, seq);
CREATE INDEX tasks_machine_type ON tasks (machine_type, create_time, seq);
CREATE INDEX tasks_cost ON tasks (cost, create_time, seq);
CREATE INDEX tasks_run ON tasks
    (run_seconds, create_time, seq, is_terminated, computation_start_time);
CREATE INDEX tasks_total ON tasks (total_seconds, create_time, seq, is_terminated);
CREATE INDEX tasks_create_status ON tasks (create_time, seq, status)
"""


def _script(sql: str) -> Migration:
    def run(conn: sqlite3.Connection) -> None:
        for statement in sql.split(";"):
            if statement.strip():
                conn.execute(statement)

    return run


def _v4(conn: sqlite3.Connection) -> None:
    _script(_V4_COLUMNS)(conn)
    rows = conn.execute(
        "SELECT seq, doc, create_time, computation_start_time, computation_end_time, end_time "
        "FROM tasks"
    )
    assignments = ", ".join(f"{column} = :{column}" for column in SORT_COLUMNS)
    conn.executemany(
        f"UPDATE tasks SET {assignments} WHERE seq = :seq",  # noqa: S608 (fixed column names)
        (
            {
                "seq": seq,
                **sort_columns(
                    json.loads(doc),
                    create=create,
                    computation_start=computation_start,
                    computation_end=computation_end,
                    end=end,
                ),
            }
            for seq, doc, create, computation_start, computation_end, end in rows.fetchall()
        ),
    )
    _script(_V4_INDEXES)(conn)


MIGRATIONS: list[Migration] = [_script(_V1), _script(_V2), _script(_V3), _v4]
"""Migration *i* takes the schema from version *i* to *i + 1*."""

SCHEMA_VERSION = len(MIGRATIONS)


class DatabaseTooNew(RuntimeError):
    """The data dir was written by a newer release of the server."""


def connect(path: Path) -> sqlite3.Connection:
    """A connection with the settings every connection of the server uses."""
    conn = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    # Only takes effect on a new file: task rows are a few KB, and larger
    # pages keep most of them out of overflow chains (smaller file, faster bulk loads).
    conn.execute("PRAGMA page_size = 16384")
    _durable(conn)
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def _durable(conn: sqlite3.Connection) -> None:
    """The journal settings every connection of the server writes with."""
    conn.execute("PRAGMA journal_mode = WAL")
    # NORMAL is durable across a process crash in WAL mode (only a power
    # loss can drop the last commits), which is the crash this server promises to survive.
    conn.execute("PRAGMA synchronous = NORMAL")


_BULK_CACHE_KIB = 256 * 1024
"""Page cache while bulk loading: the default 2 MiB spills the tasks indexes' pages on
every chunk; 256 MiB holds them for a million tasks."""

_BULK_MMAP_BYTES = 1 << 40
"""Reads through a memory map while bulk loading: rebuilding each index scans the whole
table, and a map spares a system call and a copy per page read."""


@contextmanager
def bulk_load(conn: sqlite3.Connection) -> Iterator[None]:
    """Settings on ``conn`` while it loads many rows into ``tasks`` (a seed).

    A large page cache keeps the indexes' pages in memory. When the table
    holds no tasks yet there is nothing to lose, so meanwhile the journal
    is kept in memory and nothing waits for the disk (each page is written
    once, not to the WAL and then again to the file), and the ``tasks``
    indexes are dropped and built again at the end (one sorted pass each,
    instead of 20 index inserts per row). A Ctrl+C rolls back the
    transaction it interrupts, and one during the rebuild is held back until
    the rebuild is done, so the table never stays without its indexes; a
    hard kill or a power loss meanwhile can leave the file unusable. The
    connection's usual settings (:func:`connect`'s) are restored after. No
    other connection may be open on the file (WAL mode cannot be left
    otherwise): the caller holds the data dir and reads nothing through
    another connection.
    """
    cache = int(conn.execute("PRAGMA cache_size").fetchone()[0])
    conn.execute(f"PRAGMA cache_size = -{_BULK_CACHE_KIB}")
    try:
        if conn.execute("SELECT EXISTS (SELECT 1 FROM tasks)").fetchone()[0]:
            yield
        else:
            with _unjournaled_without_indexes(conn):
                yield
    finally:
        conn.execute(f"PRAGMA cache_size = {cache}")


@contextmanager
def _unjournaled_without_indexes(conn: sqlite3.Connection) -> Iterator[None]:
    indexes = conn.execute(
        "SELECT name, sql FROM sqlite_master "
        "WHERE type = 'index' AND tbl_name = 'tasks' AND sql IS NOT NULL"
    ).fetchall()
    mmap = int(conn.execute("PRAGMA mmap_size").fetchone()[0])
    conn.execute("PRAGMA journal_mode = MEMORY")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute(f"PRAGMA mmap_size = {_BULK_MMAP_BYTES}")
    try:
        _script("".join(f"DROP INDEX {name};" for name, _ in indexes))(conn)
        yield
    finally:
        with _sigint_held_back():
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    _script("".join(f"{sql};" for _, sql in indexes))(conn)
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            finally:
                conn.execute(f"PRAGMA mmap_size = {mmap}")
                _durable(conn)


@contextmanager
def _sigint_held_back() -> Iterator[None]:
    """A Ctrl+C meanwhile is handled after (only the main thread can hold it back)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda number, _frame: caught.append(number))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        # Delivered again to whatever handled it before: Python's KeyboardInterrupt,
        # the default (end the process) or an ignore set by whoever runs us.
        signal.raise_signal(signal.SIGINT)


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the schema up to :data:`SCHEMA_VERSION`; returns the version found."""
    found = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if found > SCHEMA_VERSION:
        raise DatabaseTooNew(
            f"this data dir has schema version {found}, newer than this release "
            f"understands ({SCHEMA_VERSION}); upgrade inductiva-top or use another --data-dir"
        )
    if found == SCHEMA_VERSION:
        return found
    conn.execute("BEGIN IMMEDIATE")
    try:
        for version in range(found, SCHEMA_VERSION):
            MIGRATIONS[version](conn)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return found
