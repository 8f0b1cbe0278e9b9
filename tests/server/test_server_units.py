"""Unit tests of the server's pure parts: schema migrations, store, queries,
lifecycle rules, archives, auth, the data-dir lock and process recognition."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import time
import uuid
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psutil
import pytest

from inductiva_top.server import runtime
from inductiva_top.server.auth import BadKeyFile, load_or_create_api_key
from inductiva_top.server.files import archive
from inductiva_top.server.layout import DataDir
from inductiva_top.server.schemas import Task, TaskRequest, TaskWithStatusHistory
from inductiva_top.server.statuses import TaskStatusCode as S
from inductiva_top.server.statuses import sort_rank
from inductiva_top.server.tasks import db, lifecycle, processes, projects, queries
from inductiva_top.server.tasks.store import TaskNotFound, TaskStore, row_from_documents

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def record(task_id: str, *, project: str = "p", at: datetime = T0) -> lifecycle.TaskRecord:
    request = TaskRequest(simulator="sim", project=project, extra_params={"command": ["x"]})
    return lifecycle.new_task(task_id, request, "default", at)


# -- schema and migrations ---------------------------------------------------


def test_fresh_database_gets_the_current_schema(tmp_path: Path) -> None:
    conn = db.connect(tmp_path / "t.sqlite3")
    assert db.migrate(conn) == 0
    assert conn.execute("PRAGMA user_version").fetchone()[0] == db.SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.migrate(conn) == db.SCHEMA_VERSION  # a second open changes nothing


def test_a_newer_release_migrates_an_older_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "t.sqlite3"
    store = TaskStore(path)
    store.insert(record("old-task"))
    store.close()

    def add_column(conn: sqlite3.Connection) -> None:
        conn.execute("ALTER TABLE tasks ADD COLUMN note TEXT")

    monkeypatch.setattr(db, "MIGRATIONS", [*db.MIGRATIONS, add_column])
    monkeypatch.setattr(db, "SCHEMA_VERSION", len(db.MIGRATIONS))
    conn = db.connect(path)
    assert db.migrate(conn) == db.SCHEMA_VERSION - 1
    assert conn.execute("PRAGMA user_version").fetchone()[0] == db.SCHEMA_VERSION
    rows = conn.execute("SELECT task_id, note FROM tasks").fetchall()
    assert [tuple(row) for row in rows] == [("old-task", None)]


def test_a_version_1_data_dir_gains_the_sort_indexes(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite3"
    conn = db.connect(path)
    db.MIGRATIONS[0](conn)
    conn.execute("PRAGMA user_version = 1")
    conn.close()
    store = TaskStore(path)  # opening migrates
    store.insert(record("t1"))
    indexes = {row[0] for row in store.reader().execute("SELECT name FROM sqlite_master")}
    assert {"tasks_start", "tasks_retries"} <= indexes
    total, tasks = queries.list_tasks(
        store.reader(), queries.TaskQuery(sort=queries.parse_sort(["start_time:desc"]))
    )
    assert (total, [t["task_id"] for t in tasks]) == (1, ["t1"])
    store.close()


def test_a_data_dir_from_a_newer_release_is_refused(tmp_path: Path) -> None:
    conn = db.connect(tmp_path / "t.sqlite3")
    conn.execute("PRAGMA user_version = 99")
    with pytest.raises(db.DatabaseTooNew, match="newer than this release"):
        db.migrate(conn)


# -- lifecycle rules ---------------------------------------------------------


def test_entering_states_sets_timestamps_and_metrics() -> None:
    rec = record("t1")
    lifecycle.enter(rec, S.SUBMITTED, T0 + timedelta(seconds=1))
    lifecycle.enter(rec, S.STARTED, T0 + timedelta(seconds=4))
    lifecycle.start_operation(rec, lifecycle.OperationName.DOWNLOAD_INPUT, T0)
    lifecycle.enter(rec, S.COMPUTATION_STARTED, T0 + timedelta(seconds=5))
    lifecycle.enter(rec, S.COMPUTATION_ENDED, T0 + timedelta(seconds=15))
    lifecycle.enter(rec, S.SUCCESS, T0 + timedelta(seconds=16))
    task = rec.task
    assert task.is_terminated and task.status_alias == "Success"
    assert task.metrics is not None
    assert task.metrics.queue_time_seconds == 3
    assert task.metrics.computation_seconds == 10
    assert task.metrics.total_seconds == 16 == task.duration_seconds
    assert [h.end_timestamp is None for h in task.status_history] == [False] * 5 + [True]
    # An operation still open when its state ends is closed as failed.
    assert task.status_history[2].operations[0].status.value == "FAILED"
    Task.model_validate(task.model_dump())


def test_resubmit_counts_a_retry_and_keeps_the_queue_place() -> None:
    rec = record("t1")
    rec.queue_seq = 7
    lifecycle.enter(rec, S.SUBMITTED, T0)
    lifecycle.enter(rec, S.STARTED, T0)
    rec.pgid, rec.pg_create_time = 1234, 1.0
    lifecycle.resubmit(rec, T0 + timedelta(seconds=1), reason="lost")
    assert rec.status is S.SUBMITTED and rec.task.num_retries == 1
    assert rec.queue_seq == 7 and rec.pgid is None
    assert rec.task.start_time is None
    assert [h.status for h in rec.task.status_history][-2:] == [
        S.EXECUTER_TERMINATED,
        S.SUBMITTED,
    ]
    assert rec.task.status_history[-2].description == "lost"


# -- store and queries -------------------------------------------------------


def test_update_is_atomic_and_enqueue_orders_fifo(tmp_path: Path) -> None:
    store = TaskStore(tmp_path / "t.sqlite3")
    for name in ("a", "b", "c"):
        store.insert(record(name))
    for name in ("c", "a", "b"):
        store.update(name, lambda r: lifecycle.enter(r, S.SUBMITTED, T0), enqueue=True)
    assert store.queue_head("default", 10) == ["c", "a", "b"]
    assert [store.tasks_ahead("default", store.get(n).queue_seq or 0) for n in "cab"] == [0, 1, 2]

    def explode(rec: lifecycle.TaskRecord) -> None:
        lifecycle.enter(rec, S.KILLED, T0)
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        store.update("a", explode)
    assert store.get("a").status is S.SUBMITTED  # rolled back
    with pytest.raises(TaskNotFound):
        store.update("zzz", lambda r: None)
    store.close()


def test_bulk_rows_list_with_every_filter_and_sort(tmp_path: Path) -> None:
    store = TaskStore(tmp_path / "t.sqlite3")
    rows = []
    for i in range(30):
        rec = record(f"task{i:02d}", project=f"p{i % 3}", at=T0 + timedelta(minutes=i))
        if i % 2:
            lifecycle.enter(
                rec, S.FAILED if i % 3 else S.SUCCESS, T0 + timedelta(hours=1, minutes=-i)
            )
        doc = rec.task.model_dump(mode="json", exclude={"status_history"})
        rows.append(
            row_from_documents(doc, [h.model_dump(mode="json") for h in rec.task.status_history])
        )
    assert store.insert_rows(rows) == 30
    conn = store.reader()

    def ids(**kw: object) -> tuple[int, list[str]]:
        total, tasks = queries.list_tasks(conn, queries.TaskQuery(**kw), T0)  # type: ignore[arg-type]
        return total, [t["task_id"] for t in tasks]

    assert ids(per_page=3) == (30, ["task29", "task28", "task27"])
    assert ids(project="p1", per_page=2) == (10, ["task28", "task25"])
    assert ids(active=True)[0] == 15
    assert ids(task_id_filter="k1")[0] == 10
    assert ids(sort=(("end_time", True),), per_page=1)[1] == ["task01"]
    statuses = [
        t["status"]
        for t in queries.list_tasks(
            conn, queries.TaskQuery(sort=(("status", False),), per_page=30)
        )[1]
    ]
    assert statuses == sorted(statuses, key=sort_rank)  # the lifecycle order, not A-Z
    assert {p["name"] for p in projects.list_projects(conn, 1, 10, None)} == {"p0", "p1", "p2"}
    project = projects.get_project(conn, "p0")
    assert project is not None and project["num_tasks"] == 10
    store.close()


def test_sort_parsing() -> None:
    assert queries.parse_sort(["status:desc", "create_time"]) == (
        ("status", True),
        ("create_time", False),
    )
    assert queries.parse_sort(["project:asc,end_time:desc"]) == (
        ("project", False),
        ("end_time", True),
    )
    with pytest.raises(queries.BadQuery, match="cannot sort by 'colour'"):
        queries.parse_sort(["colour:asc"])
    with pytest.raises(queries.BadQuery, match="'asc' or 'desc'"):
        queries.parse_sort(["status:sideways"])


def test_stored_documents_validate_as_wire_models(tmp_path: Path) -> None:
    store = TaskStore(tmp_path / "t.sqlite3")
    store.insert(record("t1"))
    TaskWithStatusHistory.model_validate(store.get("t1").task.model_dump(mode="json"))
    store.close()


# -- archives ----------------------------------------------------------------


def test_unpack_puts_sim_dir_at_the_top_and_refuses_escapes(tmp_path: Path) -> None:
    good = tmp_path / "good.zip"
    with zipfile.ZipFile(good, "w") as z:
        z.writestr("sim_dir/a/b.txt", "x")
        z.writestr("sim_dir/", "")
    work = tmp_path / "work"
    archive.reset_dir(work)
    assert archive.unpack_input(good, work) == archive.Unpacked(files=1, bytes=1)
    assert (work / "a" / "b.txt").read_text() == "x"
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("sim_dir/../../escape.txt", "x")
    with pytest.raises(archive.BadInput, match="would leave the work dir"):
        archive.unpack_input(bad, work)
    assert not (tmp_path / "escape.txt").exists()
    (tmp_path / "junk.zip").write_bytes(b"not a zip")
    with pytest.raises(archive.BadInput, match="not a valid zip"):
        archive.unpack_input(tmp_path / "junk.zip", work)


def test_pack_skips_symlinks_and_publishes_atomically(tmp_path: Path) -> None:
    work = tmp_path / "work"
    (work / "sub").mkdir(parents=True)
    (work / "sub" / "out.txt").write_text("result")
    (tmp_path / "secret").write_text("not yours")
    (work / "link").symlink_to(tmp_path / "secret")
    target = tmp_path / "storage" / "t" / "output.zip"
    partial, packed = archive.pack_output(work, target)
    assert not target.exists() and partial.exists()
    archive.publish(partial, target)
    assert packed.files == 1 and packed.bytes == 6
    with zipfile.ZipFile(target) as z:
        # The directory entry tells the official client to extract only artifacts/.
        assert z.namelist() == ["artifacts/", "artifacts/sub/out.txt"]
        assert z.getinfo("artifacts/").is_dir()
    (target.parent / ("output.zip" + archive.PARTIAL_SUFFIX)).write_bytes(b"half")
    assert archive.remove_partials(tmp_path / "storage") == 1


# -- keys, locks, processes --------------------------------------------------


def test_api_key_file(tmp_path: Path) -> None:
    data = DataDir(tmp_path / "d")
    key = load_or_create_api_key(data)
    assert load_or_create_api_key(data) == key
    assert stat.S_IMODE(data.api_key_file.stat().st_mode) == 0o600
    data.api_key_file.write_text("bad key with spaces")
    with pytest.raises(BadKeyFile) as info:
        load_or_create_api_key(data)
    assert "bad key" not in str(info.value)


def test_data_dir_lock_is_exclusive(tmp_path: Path) -> None:
    data = DataDir(tmp_path / "d")
    lock = runtime.DataDirLock(data)
    lock.acquire()
    assert data.pid_file.read_text().strip() == str(os.getpid())
    with pytest.raises(runtime.DataDirBusy, match=f"pid {os.getpid()}"):
        runtime.check_free(data)
    lock.release()
    runtime.check_free(data)


def test_a_reused_group_id_is_left_alone() -> None:
    child = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        created = psutil.Process(child.pid).create_time()
        # Recorded as started later than this process: not the group we started.
        assert processes.kill_leftover_group(child.pid, created + 60) == 0
        assert child.poll() is None
        assert processes.kill_leftover_group(child.pid, created) == 1
        assert not psutil.pid_exists(child.pid)  # killed and (being our child) reaped
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_exit_descriptions() -> None:
    assert processes.describe_exit(3) == "exit code 3"
    assert processes.describe_exit(-9) == "signal SIGKILL (9)"


def test_leftovers_are_found_by_their_task_id_tag() -> None:
    # A tag of its own: the same test running at once in another worker or
    # checkout would otherwise kill (and count) this one's child.
    mine, other = f"task-a-{uuid.uuid4().hex}", f"task-b-{uuid.uuid4().hex}"
    env = processes.command_env(mine, None)
    assert env[processes.TASK_ID_VARIABLE] == mine
    child = subprocess.Popen(["sleep", "30"], env=env)
    try:
        process = psutil.Process(child.pid)
        # Until it has exec'd, a forked child still carries our environment, untagged.
        deadline = time.monotonic() + 30
        while process.environ().get(processes.TASK_ID_VARIABLE) != mine:
            assert time.monotonic() < deadline, "the child never ran with its tag"
            time.sleep(0.01)
        created = process.create_time()
        assert processes.kill_tagged(mine, created + 60) == 0  # started before: not ours
        assert processes.kill_tagged(other, created - 1) == 0
        assert child.poll() is None
        assert processes.kill_tagged(mine, created - 1) == 1
        assert not psutil.pid_exists(child.pid)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
