"""Projects on a real server: totals from their tasks, runs as parameter rows, metadata, moves."""

from __future__ import annotations

import statistics
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from inductiva_top.server.schemas import Task, TaskRequest
from inductiva_top.server.statuses import TaskStatusCode as S
from inductiva_top.server.tasks import lifecycle, projects
from inductiva_top.server.tasks.projects import COMPUTATION_TIME, COST, QUEUE_TIME
from inductiva_top.server.tasks.store import TaskStore, row_from_documents
from tests.conftest import ServerProcess
from tests.server.task_helpers import create, submit, task, wait_status

FIXED = ["task_id", "status", "simulator", "machine_type", COMPUTATION_TIME, QUEUE_TIME, COST]


def get(client: httpx.Client, path: str, **params: Any) -> Any:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_totals_come_from_the_projects_tasks(module_server: ServerProcess) -> None:
    with module_server.client() as client:
        created = client.post(
            "/local/machine-groups",
            json={"name": "billed", "slots": 2, "cost_per_hour": 3600.0},
        )
        assert created.status_code == 201, created.text
        ids = [
            submit(client, ["sleep", "0.3"], project="totals", group="billed"),
            submit(client, ["true"], project="totals", group="billed"),
            submit(client, ["false"], project="totals", group="billed"),
        ]
        docs = [wait_status(client, task_id) for task_id in ids]
        create(client, ["true"], project="totals")  # waiting for its inputs
        project = get(client, "/projects/totals")
    assert [doc["status"] for doc in docs] == ["success", "success", "failed"]
    assert project["num_tasks"] == 4
    assert project["task_status_overview"] == {"success": 2, "failed": 1, "pending-input": 1}
    # $1 a second on the machine: each task's cost is the time it held one.
    costs = [doc["estimated_computation_cost"] for doc in docs]
    assert costs[0] >= 0.3 and all(cost > 0 for cost in costs)
    assert project["estimated_computation_cost"] == pytest.approx(sum(costs), abs=1e-5)
    durations = [doc["duration_seconds"] for doc in docs]
    assert project["statistics"] == pytest.approx(
        {
            "success_rate": 2 / 3,
            "avg_task_duration_seconds": statistics.mean(durations),
            "avg_task_compute_cost": statistics.mean(costs),
        },
        abs=1e-5,
    )


def test_a_new_project_has_no_statistics_and_a_taken_name_is_refused(
    module_server: ServerProcess,
) -> None:
    with module_server.client() as client:
        made = client.post("/projects", json={"name": "empty-one", "project_type": "benchmark"})
        again = client.post("/projects", json={"name": "empty-one"})
        listed = get(client, "/projects", project_type="benchmark")
    assert made.status_code == 200, made.text
    project = made.json()
    assert (project["num_tasks"], project["statistics"]) == (0, None)
    assert project["task_status_overview"] == {}
    assert again.status_code == 409
    assert "empty-one" in [p["name"] for p in listed]


def _sweep(client: httpx.Client, project: str) -> list[str]:
    """Four runs over alpha x resolution; one fails, one has an extra key."""
    runs = [
        ({"name": "a1-r8", "alpha": "0.1", "resolution": "8"}, ["true"]),
        ({"name": "a1-r16", "alpha": "0.1", "resolution": "16", "note": "rerun"}, ["true"]),
        ({"name": "a2-r8", "alpha": "0.2", "resolution": "8"}, ["false"]),
        ({"name": "a2-r16", "alpha": "0.2", "resolution": "16", "status": "mine"}, ["true"]),
    ]
    ids = [submit(client, command, project=project, metadata=meta) for meta, command in runs]
    for task_id in ids:
        wait_status(client, task_id)
    return ids


def test_tasks_info_gives_one_row_per_run_with_its_parameters(
    module_server: ServerProcess,
) -> None:
    with module_server.client() as client:
        ids = _sweep(client, "sweep-rows")
        rows = get(client, "/projects/sweep-rows/tasks_info", select="all")
        failed = get(client, "/projects/sweep-rows/tasks_info", status="failed")
        docs = [task(client, task_id) for task_id in ids]
    assert [row["task_id"] for row in rows] == ids  # in the order they were submitted
    # One set of keys for every row (a CSV export needs one header); a fixed
    # key wins over a metadata key of the same name.
    assert all(list(row) == [*FIXED, "name", "alpha", "resolution", "note"] for row in rows)
    assert [row["status"] for row in rows] == ["success", "success", "failed", "success"]
    assert [row["note"] for row in rows] == [None, "rerun", None, None]
    for row, doc in zip(rows, docs, strict=True):
        assert row["simulator"] == doc["simulator"]
        assert row["machine_type"] == doc["executer"]["vm_type"]
        assert row[COMPUTATION_TIME] == doc["metrics"]["computation_seconds"]
        assert row[QUEUE_TIME] == doc["metrics"]["queue_time_seconds"]
        assert row[COST] == doc["estimated_computation_cost"]
    assert [row["task_id"] for row in failed] == [ids[2]]


def test_tasks_info_distinct_keeps_what_varies(module_server: ServerProcess) -> None:
    with module_server.client() as client:
        _sweep(client, "sweep-distinct")
        rows = get(client, "/projects/sweep-distinct/tasks_info", select="distinct")
        one = get(client, "/projects/sweep-distinct/tasks_info", select="distinct", status="failed")
    # Same simulator and machine type everywhere: left out; the parameters stay.
    keys = set(rows[0])
    assert {"alpha", "resolution", "name", "note", "status", "task_id"} <= keys
    assert not keys & {"simulator", "machine_type"}
    assert {row["alpha"] for row in rows} == {"0.1", "0.2"}
    # A single row has nothing to compare with: it keeps every key.
    assert set(one[0]) >= {*FIXED, "alpha"}


def test_tasks_info_refuses_what_it_cannot_answer(module_server: ServerProcess) -> None:
    with module_server.client() as client:
        missing = client.get("/projects/no-such-project/tasks_info")
        create(client, ["true"], project="sweep-bad")
        bad_select = client.get("/projects/sweep-bad/tasks_info", params={"select": "some"})
        bad_status = client.get("/projects/sweep-bad/tasks_info", params={"status": "done"})
    assert missing.status_code == 404
    assert bad_select.status_code == 422
    assert bad_status.status_code == 422


def test_project_metadata_put_replaces_and_patch_merges(module_server: ServerProcess) -> None:
    with module_server.client() as client:
        create(client, ["true"], project="with-meta")
        put = client.put("/projects/with-meta/metadata", json={"owner": "ana", "study": "s1"})
        patch = client.patch("/projects/with-meta/metadata", json={"study": "s2", "rev": "3"})
        merged = get(client, "/projects/with-meta/metadata")
        client.put("/projects/with-meta/metadata", json={"only": "this"})
        replaced = get(client, "/projects/with-meta")["project_metadata"]
        missing = [
            client.get("/projects/nope/metadata").status_code,
            client.put("/projects/nope/metadata", json={}).status_code,
            client.patch("/projects/nope/metadata", json={}).status_code,
        ]
    assert (put.json(), patch.json()) == ({}, {})
    assert merged == {"owner": "ana", "study": "s2", "rev": "3"}
    assert replaced == {"only": "this"}
    assert missing == [404, 404, 404]


def test_tasks_move_between_projects(module_server: ServerProcess) -> None:
    with module_server.client() as client:
        task_id = submit(client, ["true"], project="move-from")
        wait_status(client, task_id)
        client.post("/projects", json={"name": "move-to"})
        added = client.post(f"/projects/move-to/task/{task_id}/add")
        moved_to = task(client, task_id)["project"]
        to_count = get(client, "/projects/move-to")["num_tasks"]
        from_count = get(client, "/projects/move-from")["num_tasks"]
        not_there = client.post(f"/projects/move-from/task/{task_id}/remove")
        removed = client.post(f"/projects/move-to/task/{task_id}/remove")
        after_remove = task(client, task_id)["project"]
        refused = [
            client.post(f"/projects/no-such/task/{task_id}/add").status_code,
            client.post("/projects/move-to/task/no-such-task/add").status_code,
        ]
    assert (added.status_code, added.json()) == (200, {})
    assert (moved_to, to_count) == ("move-to", 1)
    assert from_count == 0
    assert not_there.status_code == 404
    assert removed.status_code == 200
    assert after_remove == "default"
    assert refused == [404, 404]


def _row(task_id: str, project: str, code: S, cost: float, seconds: float) -> dict[str, Any]:
    request = TaskRequest(simulator="sim", project=project, extra_params={"command": ["x"]})
    start = lifecycle.utcnow()
    record = lifecycle.new_task(task_id, request, "default", start)
    record.task.estimated_computation_cost = cost
    if code is not S.PENDING_INPUT:
        lifecycle.enter(record, code, start + timedelta(seconds=seconds))
    doc = record.task.model_dump(mode="json", exclude={"status_history"})
    Task.model_validate(doc)
    return row_from_documents(doc, [])


def test_totals_of_ten_thousand_tasks_are_one_covering_index_scan(tmp_path: Path) -> None:
    store = TaskStore(tmp_path / "t.sqlite3")
    codes = [S.SUCCESS, S.FAILED, S.SUBMITTED, S.KILLED]
    rows = [
        _row(f"t{i:05d}", "big", codes[i % 4], cost=0.01 * (i % 7), seconds=10 + i % 5)
        for i in range(10_000)
    ]
    store.insert_rows(rows)
    conn = store.reader()
    plan = " ".join(
        str(step[3])
        for step in conn.execute(
            "EXPLAIN QUERY PLAN SELECT status, COUNT(*), SUM(end_time - create_time), SUM(cost) "
            "FROM tasks WHERE project = ? GROUP BY status",
            ("big",),
        )
    )
    project = projects.get_project(conn, "big")
    store.close()
    assert "COVERING INDEX tasks_project_status" in plan
    assert project is not None
    assert project["num_tasks"] == 10_000
    assert project["task_status_overview"] == {
        "success": 2500,
        "failed": 2500,
        "submitted": 2500,
        "killed": 2500,
    }
    assert project["estimated_computation_cost"] == pytest.approx(sum(r["cost"] for r in rows))
    finished = [r for r in rows if r["status"] != "submitted"]
    # Figures are rounded to the microsecond or micro-dollar, as the API sends them.
    assert project["statistics"] == pytest.approx(
        {
            "success_rate": 1 / 3,
            "avg_task_compute_cost": statistics.mean(r["cost"] for r in finished),
            "avg_task_duration_seconds": statistics.mean(
                r["end_time"] - r["create_time"] for r in finished
            ),
        },
        abs=1e-6,
    )


def test_distinct_drops_keys_equal_in_every_row() -> None:
    rows = [
        {"task_id": "a", "simulator": "s", "alpha": "1", "note": None},
        {"task_id": "b", "simulator": "s", "alpha": "2", "note": None},
    ]
    assert projects.distinct(rows) == [
        {"task_id": "a", "alpha": "1"},
        {"task_id": "b", "alpha": "2"},
    ]
    assert projects.distinct(rows[:1]) == rows[:1]
    assert projects.distinct([]) == []
