"""Every sort of ``GET /tasks``: the server's order is the order the client merges and locates by.

Tasks in every phase (waiting in two queues, preparing, computing, finished,
killed mid-run, failed) with machines and costs; each sort field the client
knows, both ways, read whole and page by page (pages in the far half are read
from the other end), must come back ordered by the client's own
:func:`~inductiva_top.monitor.rows.sorting.sort_value`, ties by creation time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from inductiva_top.api.models import Task
from inductiva_top.monitor import statuses as client_statuses
from inductiva_top.monitor.rows.sorting import QUEUE, SORT_FIELDS, sort_value
from inductiva_top.server import statuses as server_statuses
from inductiva_top.server.schemas import Executer, TaskRequest
from inductiva_top.server.statuses import TaskStatusCode as S
from inductiva_top.server.tasks import db, lifecycle, queries
from inductiva_top.server.tasks.sortkeys import SORT_COLUMNS
from inductiva_top.server.tasks.store import TaskStore

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
NOW = T0 + timedelta(hours=2)


def _executer(vm: str, hosts: int = 1) -> Executer:
    return Executer(
        uuid="m",
        cpu_count_logical=4,
        cpu_count_physical=2,
        memory=1,
        n_mpi_hosts=hosts,
        vm_type=vm,
        host_type="local",
    )


def _task(
    n: int, path: list[S], *, group: str = "default", cost: float | None = None, vm: str = ""
) -> lifecycle.TaskRecord:
    """Task ``n``, created ``n`` minutes after T0, taken through ``path`` a minute per step."""
    at = T0 + timedelta(minutes=n)
    request = TaskRequest(
        simulator=f"sim{n % 3}", project=f"p{n % 2}", extra_params={"command": ["x"]}
    )
    record = lifecycle.new_task(f"task{n:02d}", request, group, at)
    for step, code in enumerate(path, start=1):
        lifecycle.enter(record, code, at + timedelta(minutes=step * (1 + n % 4)))
        if code is S.STARTED and vm:
            record.task.executer = _executer(vm, hosts=1 + n % 2)
    record.task.estimated_computation_cost = cost
    return record


WAIT = [S.SUBMITTED]
RUN = [S.SUBMITTED, S.STARTED, S.COMPUTATION_STARTED]
DONE = [*RUN, S.COMPUTATION_ENDED, S.SUCCESS]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TaskStore]:
    store = TaskStore(tmp_path_factory.mktemp("sorts") / "t.sqlite3")
    records = [
        _task(0, DONE, vm="local-std", cost=0.5),
        _task(1, [*RUN, S.FAILED], vm="local-std", cost=0.25),
        _task(2, [*RUN, S.PENDING_KILL, S.KILLED], vm="local-highmem", cost=0.0),
        _task(3, DONE, group="big", vm="local-highmem", cost=2.0),
        _task(4, RUN, vm="local-std", cost=0.1),
        _task(5, RUN, group="big", vm="local-highmem"),
        _task(6, [S.SUBMITTED, S.STARTED], vm="local-std"),
        _task(7, DONE, vm="gcp", cost=0.5),
        _task(8, WAIT),
        _task(9, WAIT, group="big"),
        _task(10, WAIT),
        _task(11, []),  # pending-input
        _task(12, WAIT, group="big"),
        _task(13, [S.SUBMITTED, S.KILLED]),
        _task(14, [*RUN, S.COMPUTATION_ENDED], vm="local-std", cost=1.0),
    ]
    for seq, record in enumerate(records):
        if record.status is S.SUBMITTED:
            record.queue_seq = 100 - seq  # FIFO order differs from creation order
    store.insert_many(records)
    yield store
    store.close()


def _listed(store: TaskStore, sort: str, *, per_page: int = 100) -> list[Task]:
    query = queries.TaskQuery(per_page=per_page, sort=queries.parse_sort([sort]))
    tasks: list[Task] = []
    page = 1
    while True:
        total, found = queries.list_tasks(store.reader(), replace(query, page=page), NOW)
        tasks.extend(Task.model_validate(doc) for doc in found)
        if len(tasks) >= total or not found:
            return tasks
        page += 1


def _key(value: Any, task: Task) -> tuple[int, Any, float]:
    created = task.create_time.timestamp() if task.create_time else 0.0
    return (0, "", created) if value is None else (1, value, created)


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("field", sorted(set(SORT_FIELDS) - {QUEUE}))
def test_every_sort_is_the_clients_order(store: TaskStore, field: str, descending: bool) -> None:
    sort = f"{field}:{'desc' if descending else 'asc'}"
    whole = _listed(store, sort)
    assert len(whole) == 15
    keys = [_key(sort_value(field, task, NOW), task) for task in whole]
    assert keys == sorted(keys, reverse=descending), sort
    # Page by page (pages past the middle are read from the other end): the same rows.
    assert [t.task_id for t in _listed(store, sort, per_page=4)] == [t.task_id for t in whole]


def test_status_sorts_active_then_failed_then_finished(store: TaskStore) -> None:
    order = [task.status for task in _listed(store, "status:asc")]
    assert order.index("computation-started") < order.index("submitted") < order.index("failed")
    assert order.index("failed") < order.index("killed") < order.index("success")


def test_the_server_and_the_client_share_the_status_order() -> None:
    server = [code.value for code in server_statuses.SORT_ORDER]
    assert server == [code for code in client_statuses.SORT_ORDER if code in server]
    assert set(server) == {code.value for code in S}


def test_queue_sort_lists_the_next_to_run_first(store: TaskStore) -> None:
    ascending = _listed(store, f"{QUEUE}:asc")
    waiting = [t for t in ascending if t.status == "submitted"]
    assert ascending[: len(waiting)] == waiting
    places = [
        store.tasks_ahead(t.machine_group_name or "", store.get(t.task_id).queue_seq or 0)
        for t in waiting
    ]
    assert places == sorted(places) == [0, 0, 1, 1]
    rest = ascending[len(waiting) :]
    assert rest == sorted(rest, key=lambda t: t.create_time or T0)
    paged = _listed(store, f"{QUEUE}:asc", per_page=3)
    assert [t.task_id for t in paged] == [t.task_id for t in ascending]
    descending = _listed(store, f"{QUEUE}:desc", per_page=3)
    assert [t.task_id for t in descending] == [t.task_id for t in reversed(ascending)]


def test_ticking_and_queue_sorts_stand_alone() -> None:
    with pytest.raises(queries.BadQuery, match="cannot be combined"):
        queries.parse_sort(["total_seconds:desc", "status:asc"])
    with pytest.raises(queries.BadQuery, match="cannot be combined"):
        queries.parse_sort([f"status:asc,{QUEUE}:asc"])


def test_an_older_data_dir_gets_its_sort_columns_filled(tmp_path: Path, store: TaskStore) -> None:
    path = tmp_path / "old.sqlite3"
    old = TaskStore(path)
    old.insert_many(store.get(f"task{n:02d}") for n in range(15))
    old.close()
    conn = db.connect(path)
    read = f"SELECT task_id, {', '.join(SORT_COLUMNS)} FROM tasks ORDER BY seq"
    expected = conn.execute(read).fetchall()
    # Back to version 3: no derived columns, no indexes version 4 made.
    for index in re.findall(r"CREATE INDEX (\w+)", db._V4_INDEXES):
        conn.execute(f"DROP INDEX {index}")
    for column in SORT_COLUMNS:
        conn.execute(f"ALTER TABLE tasks DROP COLUMN {column}")
    conn.execute("PRAGMA user_version = 3")
    assert db.migrate(conn) == 3
    again = conn.execute(read).fetchall()
    assert [tuple(row) for row in again] == [tuple(row) for row in expected]
    assert any(row[4] is not None for row in again) and any(row[2] for row in again)
    conn.close()
