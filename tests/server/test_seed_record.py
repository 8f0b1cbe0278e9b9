"""The seeder's fast records are the runner's records, and its bulk load leaves a sound store."""

from __future__ import annotations

import json
import random
import signal
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from inductiva_top.server.layout import DataDir
from inductiva_top.server.schemas import TaskOperation
from inductiva_top.server.seed.fill import machine_for, seed
from inductiva_top.server.seed.plan import US, plan_tasks
from inductiva_top.server.seed.record import PlainRecord, iso_time
from inductiva_top.server.seed.task import NewRecord, build_task
from inductiva_top.server.statuses import TERMINAL
from inductiva_top.server.tasks import db
from inductiva_top.server.tasks.store import TaskStore, row_from_documents
from tests.server.model_record import ModelRecord

NOW = 1_790_000_000.0


def _same_text(row: dict[str, Any]) -> dict[str, Any]:
    """The row with its documents re-encoded (key order kept; small floats spelled one way)."""
    return {
        key: json.dumps(json.loads(value)) if key in ("doc", "history") else value
        for key, value in row.items()
    }


def _built(new: NewRecord, count: int, *, archives: bool) -> list[tuple[dict[str, Any], Any]]:
    planned = plan_tasks(random.Random(5), count, 6, NOW, 21.0, 0)
    machine = machine_for(5)
    built = []
    for number, item in enumerate(planned):
        # Every seventh task is too close to "now" and is drawn again, shrunk to fit.
        budget = 600 * US if number % 7 == 0 else int(NOW * US) - item.create_us
        rng = random.Random(f"5/{number}")
        built.append(
            build_task(rng, item.plan, item.create_us, budget, machine, archives=archives, new=new)
        )
    return built


def test_plain_records_are_what_the_runners_functions_record() -> None:
    """Every path of the seeder, through PlainRecord and through lifecycle/steps on the models."""
    plain = _built(PlainRecord, 700, archives=False)
    models = _built(ModelRecord, 700, archives=False)
    assert [_same_text(row) for row, _ in plain] == [_same_text(row) for row, _ in models]
    docs = [json.loads(row["doc"]) for row, _ in plain]
    histories = [json.loads(row["history"]) for row, _ in plain]
    # The comparison covered every ending and every kind of run the seeder writes.
    assert {doc["status"] for doc in docs} == {code.value for code in TERMINAL}
    seen = {entry["status"] for history in histories for entry in history}
    assert {"executer-terminated", "spot-instance-preempted", "pending-kill"} <= seen
    details = " ".join(doc["error_detail"] or "" for doc in docs)
    for text in ("could not be started", "not a valid zip", "No space left", "time to live"):
        assert text in details
    assert any(doc["executer"] and doc["executer"]["error_detail"] for doc in docs)


def test_plain_records_with_output_archives_are_the_runners_records_too() -> None:
    plain = _built(PlainRecord, 40, archives=True)
    models = _built(ModelRecord, 40, archives=True)
    assert [(_same_text(row), archive) for row, archive in plain] == [
        (_same_text(row), archive) for row, archive in models
    ]
    assert any(archive is not None for _, archive in plain)


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 8, 24, 8, 10, 31, 635178, tzinfo=timezone.utc),
        datetime(2026, 8, 24, 8, 10, 31, tzinfo=timezone.utc),  # a whole second: no fraction
        datetime(2026, 12, 31, 23, 59, 59, 5, tzinfo=timezone.utc),
        datetime(2028, 2, 29, 0, 0, 0, 120000, tzinfo=timezone.utc),
    ],
)
def test_times_are_written_as_the_models_write_them(moment: datetime) -> None:
    micro = (moment - datetime(1970, 1, 1, tzinfo=timezone.utc)) // timedelta(microseconds=1)
    dumped = TaskOperation(name="exec_command", alias="-", start_timestamp=moment, status="OK")
    assert iso_time(micro) == dumped.model_dump(mode="json")["start_timestamp"]


def _schema(path: Path) -> list[tuple[str, str, str | None]]:
    with sqlite3.connect(path) as conn:
        return list(conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name"))


def _journal(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return str(conn.execute("PRAGMA journal_mode").fetchone()[0])


def test_a_bulk_loaded_data_dir_has_every_index_and_its_wal_back(tmp_path: Path) -> None:
    empty = TaskStore(tmp_path / "empty.sqlite3")
    empty.close()
    fresh, again = DataDir(tmp_path / "fresh"), DataDir(tmp_path / "again")
    seed(fresh, tasks=120, seed=2, now=NOW)
    seed(again, tasks=50, seed=2, now=NOW)
    seed(again, tasks=70, seed=9, now=NOW)  # into a data dir with tasks: indexes kept throughout
    for data in (fresh, again):
        assert _schema(data.database) == _schema(tmp_path / "empty.sqlite3")
        assert _journal(data.database) == "wal"
    with sqlite3.connect(fresh.database) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        plan = conn.execute(
            "EXPLAIN QUERY PLAN SELECT task_id FROM tasks WHERE status = 'failed' "
            "ORDER BY create_time DESC LIMIT 5"
        ).fetchall()
        assert "tasks_status" in str([tuple(step) for step in plan])


def _row(number: int) -> dict[str, Any]:
    task_id = f"t{number:024d}"
    doc = {
        "task_id": task_id,
        "status": "success",
        "is_terminated": True,
        "project": "p",
        "simulator": "s",
        "create_time": "2026-08-24T08:10:31Z",
        "end_time": "2026-08-24T08:11:31Z",
    }
    return row_from_documents(doc, [])


def test_an_interrupted_bulk_load_keeps_what_it_wrote_with_its_indexes(tmp_path: Path) -> None:
    path = tmp_path / "tasks.sqlite3"
    store = TaskStore(path)
    try:
        with pytest.raises(KeyboardInterrupt), store.bulk_load():
            store.insert_rows([_row(n) for n in range(30)])
            raise KeyboardInterrupt
        with store.transaction() as conn:
            assert conn.execute("SELECT COUNT(*) FROM tasks").fetchone()[0] == 30
    finally:
        store.close()
    empty = TaskStore(tmp_path / "empty.sqlite3")
    empty.close()
    assert _schema(path) == _schema(tmp_path / "empty.sqlite3")
    assert _journal(path) == "wal"


def test_a_bulk_load_wants_the_stores_only_connection(tmp_path: Path) -> None:
    store = TaskStore(tmp_path / "tasks.sqlite3")
    try:
        store.reader()
        with pytest.raises(RuntimeError, match="only connection"), store.bulk_load():
            pass
    finally:
        store.close()


def test_a_ctrl_c_during_the_index_rebuild_waits_for_it() -> None:
    handled: list[str] = []
    # Python's own Ctrl+C handler, whatever an earlier test or the test runner left.
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt), db._sigint_held_back():
            signal.raise_signal(signal.SIGINT)
            handled.append("after the signal")  # the rebuild goes on
    finally:
        signal.signal(signal.SIGINT, before)
    assert handled == ["after the signal"]


def test_a_held_back_ctrl_c_goes_where_it_went_before() -> None:
    # Ignored before (as a test runner's worker may have it): still ignored after.
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with db._sigint_held_back():
            signal.raise_signal(signal.SIGINT)
        assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, before)
