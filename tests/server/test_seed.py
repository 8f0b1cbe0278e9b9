"""``inductiva-top seed``: seeded tasks as a real server serves them, and as it would store them."""

from __future__ import annotations

import itertools
import json
import sqlite3
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from inductiva_top.api.models import Task as ClientTask
from inductiva_top.cli import main
from inductiva_top.monitor.rows.sorting import sort_value
from inductiva_top.server.layout import DataDir
from inductiva_top.server.schemas import TaskWithStatusHistory
from inductiva_top.server.seed.fill import SeedError, seed
from inductiva_top.server.statuses import TERMINAL, TaskStatusCode
from inductiva_top.server.tasks import db, queries
from inductiva_top.server.tasks.store import row_from_documents
from tests.conftest import ServerProcess

S = TaskStatusCode
COUNT = 300
NOW = 1_790_000_000.0  # a fixed "now", so the seeded tasks are the same every run
DAYS = 21.0


def _time(text: str | None) -> float | None:
    if text is None:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


@pytest.fixture(scope="module")
def seeded_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A real server on a data dir seeded with :data:`COUNT` tasks in 5 projects."""
    root = tmp_path_factory.mktemp("seeded") / "data"
    result = seed(DataDir(root), tasks=COUNT, projects=5, seed=7, days=DAYS, now=NOW)
    assert (result.tasks, result.projects, result.seed) == (COUNT, 5, 7)
    server = ServerProcess(root).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def all_tasks(seeded_server: ServerProcess) -> list[dict[str, Any]]:
    with seeded_server.client() as client:
        page = client.get("/tasks", params={"per_page": 500}).json()
    assert page["total_size"] == COUNT
    tasks: list[dict[str, Any]] = page["tasks"]
    return tasks


def _page(server: ServerProcess, **params: Any) -> dict[str, Any]:
    with server.client() as client:
        response = client.get("/tasks", params=params)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


def test_every_final_state_and_resubmissions_are_there(all_tasks: list[dict[str, Any]]) -> None:
    assert len(all_tasks) == COUNT
    assert {task["status"] for task in all_tasks} == {code.value for code in TERMINAL}
    assert all(task["is_terminated"] for task in all_tasks)
    assert any(task["num_retries"] > 0 for task in all_tasks)
    assert len({task["simulator"] for task in all_tasks}) >= 4
    assert len({task["machine_group_name"] for task in all_tasks}) >= 3
    assert len({task["project"] for task in all_tasks}) == 5
    assert len({task["task_id"] for task in all_tasks}) == COUNT
    failed = [task for task in all_tasks if task["status"] == "failed"]
    assert any("exit code" in task["error_detail"] for task in failed)
    broken = [task for task in all_tasks if task["status"] == "executer-failed"]
    assert all(task["executer"] is None or task["executer"]["error_detail"] for task in broken)


def test_tasks_ended_in_the_weeks_before_now(all_tasks: list[dict[str, Any]]) -> None:
    for task in all_tasks:
        created, ended = _time(task["create_time"]), _time(task["end_time"])
        assert created is not None and ended is not None
        assert NOW - DAYS * 86_400 <= created < ended < NOW
        assert task["duration_seconds"] == task["metrics"]["total_seconds"]
        assert task["duration_seconds"] == pytest.approx(ended - created, abs=1e-5)


def test_default_order_is_newest_first_and_pages_slice_it(
    seeded_server: ServerProcess, all_tasks: list[dict[str, Any]]
) -> None:
    created = [task["create_time"] for task in all_tasks]
    assert created == sorted(created, reverse=True)
    deep = _page(seeded_server, page=4, per_page=50)
    assert deep["total_size"] == COUNT
    assert [t["task_id"] for t in deep["tasks"]] == [t["task_id"] for t in all_tasks[150:200]]


def test_status_and_project_filters_agree_with_the_full_listing(
    seeded_server: ServerProcess, all_tasks: list[dict[str, Any]]
) -> None:
    by_status = Counter(task["status"] for task in all_tasks)
    for code, count in by_status.items():
        page = _page(seeded_server, status=code, per_page=500)
        assert page["total_size"] == count
        assert {task["status"] for task in page["tasks"]} == {code}
    by_project = Counter(task["project"] for task in all_tasks)
    for name, count in by_project.items():
        page = _page(seeded_server, project=name, per_page=500)
        assert page["total_size"] == count
        assert {task["project"] for task in page["tasks"]} == {name}
    one = all_tasks[0]
    both = _page(seeded_server, project=one["project"], status=one["status"], per_page=500)
    expected = [
        t for t in all_tasks if (t["project"], t["status"]) == (one["project"], one["status"])
    ]
    assert [t["task_id"] for t in both["tasks"]] == [t["task_id"] for t in expected]
    assert _page(seeded_server, active="true")["total_size"] == 0


@pytest.mark.parametrize(
    "field",
    [
        "end_time",
        "status",
        "project",
        "simulator",
        "task_id",
        "machine_type",
        "computation_seconds",
        "total_seconds",
        "estimated_computation_cost",
    ],
)
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_sorts_order_the_whole_listing(
    seeded_server: ServerProcess, field: str, order: str
) -> None:
    """As the client reads the order (status: active, failed, finished; NULL first)."""
    page = _page(seeded_server, sort=f"{field}:{order}", per_page=500)
    assert page["total_size"] == COUNT
    now = datetime.now(timezone.utc)
    values = []
    for doc in page["tasks"]:
        value = sort_value(field, ClientTask.model_validate(doc), now)
        values.append((0, "") if value is None else (1, value))
    assert values == sorted(values, reverse=order == "desc")


@pytest.mark.parametrize(
    "sort", [None, "status:asc", "end_time:desc", "project:desc", "computation_seconds:desc"]
)
def test_pages_tile_the_listing_in_both_halves(
    seeded_server: ServerProcess, sort: str | None
) -> None:
    order = {"sort": sort} if sort else {}
    whole = [t["task_id"] for t in _page(seeded_server, per_page=500, **order)["tasks"]]
    paged: list[str] = []
    with seeded_server.client() as client:
        for number in range(1, COUNT // 7 + 3):
            page = client.get("/tasks", params={"page": number, "per_page": 7, **order}).json()
            assert page["total_size"] == COUNT
            paged.extend(task["task_id"] for task in page["tasks"])
    assert paged == whole


def _check_history(task: dict[str, Any]) -> None:
    history = task["status_history"]
    assert history[0]["status"] == "pending-input"
    assert history[0]["timestamp"] == task["create_time"]
    assert history[-1]["status"] == task["status"]
    assert history[-1]["end_timestamp"] is None
    assert history[-1]["timestamp"] == task["end_time"]
    for entry, after in itertools.pairwise(history):
        assert entry["end_timestamp"] == after["timestamp"]
        assert _time(entry["timestamp"]) <= _time(after["timestamp"])  # type: ignore[operator]
    for entry in history:
        start, end = _time(entry["timestamp"]), _time(entry["end_timestamp"])
        assert entry["alias"] and entry["description"]
        previous = start
        for operation in entry["operations"]:
            begun, done = _time(operation["start_timestamp"]), _time(operation["end_timestamp"])
            assert begun is not None and done is not None and previous is not None
            assert previous <= begun <= done
            assert end is None or done <= end
            assert operation["status"] in ("OK", "FAILED")
            if operation["name"] == "exec_command":
                assert operation["attributes"]["command"]
            previous = done
    retries = sum(
        e["status"] in ("executer-terminated", "spot-instance-preempted") for e in history
    )
    assert retries == task["num_retries"]
    ran = [e for e in history if e["status"] == "computation-started"]
    if task["computation_start_time"] is not None:
        assert ran[-1]["timestamp"] == task["computation_start_time"]
    if task["status"] == "success":
        names = [op["name"] for entry in history[-4:] for op in entry["operations"]]
        assert names == [
            "download_input",
            "uncompress_input",
            "exec_command",
            "compress_output",
            "upload_output",
        ]
        metrics = task["metrics"]
        assert metrics["output_total_files"] > 0 and metrics["output_size_bytes"] > 0
        assert metrics["computation_seconds"] == pytest.approx(
            _time(task["computation_end_time"]) - _time(task["computation_start_time"]),  # type: ignore[operator]
            abs=1e-5,
        )


def test_histories_are_well_formed(
    seeded_server: ServerProcess, all_tasks: list[dict[str, Any]]
) -> None:
    sample: dict[str, list[str]] = {}
    for task in all_tasks:
        sample.setdefault(task["status"], []).append(task["task_id"])
    retried = [task["task_id"] for task in all_tasks if task["num_retries"]][:5]
    ids = [task_id for ids in sample.values() for task_id in ids[:6]] + retried
    seen: set[str] = set()
    with seeded_server.client() as client:
        for task_id in ids:
            detail = client.get(f"/tasks/{task_id}").json()
            _check_history(detail)
            seen.update(entry["status"] for entry in detail["status_history"])
    assert {"executer-terminated", "spot-instance-preempted", "pending-kill"} <= seen


def test_project_overviews_add_up(
    seeded_server: ServerProcess, all_tasks: list[dict[str, Any]]
) -> None:
    with seeded_server.client() as client:
        projects = client.get("/projects", params={"per_page": 100}).json()
        for project in projects:
            overview = project["task_status_overview"]
            assert sum(overview.values()) == project["num_tasks"]
            expected = Counter(t["status"] for t in all_tasks if t["project"] == project["name"])
            assert overview == dict(expected)
            one = client.get(f"/projects/{project['name']}").json()
            assert one["num_tasks"] == project["num_tasks"]
    assert sum(project["num_tasks"] for project in projects) == COUNT


def test_seeding_a_running_servers_data_dir_is_refused(seeded_server: ServerProcess) -> None:
    with pytest.raises(SeedError, match="stop that server first"):
        seed(DataDir(seeded_server.data_dir), tasks=5, seed=8)
    assert _page(seeded_server)["total_size"] == COUNT


def _stored(root: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(root / "tasks.sqlite3") as conn:
        return list(conn.execute("SELECT doc, history FROM tasks ORDER BY seq"))


def test_stored_rows_are_what_the_store_writes_for_the_server_models(tmp_path: Path) -> None:
    seed(DataDir(tmp_path / "data"), tasks=150, projects=3, seed=11, now=NOW)
    with sqlite3.connect(tmp_path / "data" / "tasks.sqlite3") as conn:
        conn.row_factory = sqlite3.Row
        rows = [dict(row) for row in conn.execute("SELECT * FROM tasks ORDER BY seq")]
    assert len(rows) == 150
    for row in rows:
        task = TaskWithStatusHistory.model_validate(
            {**json.loads(row["doc"]), "status_history": json.loads(row["history"])}
        )
        expected = row_from_documents(
            task.model_dump(mode="json", exclude={"status_history", "machine_operations", "steps"}),
            [entry.model_dump(mode="json") for entry in task.status_history],
            queue_seq=row["queue_seq"],
        )
        # The seeder's JSON encoder spells small floats its own way (2.1e-5):
        # the documents must parse to the same values, the other columns be equal.
        for column in ("doc", "history"):
            assert json.loads(row[column]) == json.loads(expected.pop(column))
        assert {key: row[key] for key in expected} == expected
        assert (row["queue_seq"] is None) == (task.input_submit_time is None)


def test_the_same_seed_gives_the_same_tasks_and_a_reseed_is_refused(tmp_path: Path) -> None:
    first, second = DataDir(tmp_path / "a"), DataDir(tmp_path / "b")
    seed(first, tasks=60, seed=3, now=NOW)
    seed(second, tasks=60, seed=3, now=NOW)
    assert _stored(first.root) == _stored(second.root)
    with pytest.raises(SeedError, match="another --seed"):
        seed(first, tasks=60, seed=3, now=NOW)
    assert len(_stored(first.root)) == 60
    seed(first, tasks=40, seed=4, now=NOW)
    assert len(_stored(first.root)) == 100


def test_seed_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "data"
    assert main(["seed", "--tasks", "25", "--projects", "2", "--data-dir", str(root)]) == 0
    out = capsys.readouterr().out
    assert "added 25 finished tasks in" in out and "--seed " in out
    assert len(_stored(root)) == 25
    with pytest.raises(SystemExit) as exit_info:
        main(["seed", "--tasks", "-3", "--data-dir", str(root)])
    assert exit_info.value.code == 2
    assert "--tasks" in capsys.readouterr().err


def test_seeded_tasks_outputs_are_real_archives_with_the_figures_their_metrics_say(
    seeded_server: ServerProcess, all_tasks: list[dict[str, Any]]
) -> None:
    stored = [task for task in all_tasks if task["metrics"]["output_size_bytes"] is not None]
    assert {task["status"] for task in stored} >= {"success", "failed", "killed"}
    with seeded_server.client() as client:
        for task in stored:
            task_id, metrics = task["task_id"], task["metrics"]
            path = f"{task_id}/output.zip"
            listing = client.get(
                "/storage/zip-contents",
                params={"path": path, "zip_relative_path": "artifacts/", "recursive": True},
            )
            assert listing.status_code == 200, listing.text
            members = listing.json()["contents"]
            names = {member["name"] for member in members}
            assert {"stdout.txt", "stderr.txt", "system_metrics.csv"} <= names
            assert len(members) == metrics["output_total_files"]
            assert sum(m["size"] for m in members) == metrics["output_size_bytes"]
            assert listing.json()["size"] == metrics["output_size_bytes"]
        success, zipped = next(
            (task["task_id"], task["metrics"]["output_zipped_size_bytes"])
            for task in stored
            if task["status"] == "success"
        )
        urls = client.get(
            "/storage/signed-urls",
            params={"paths": f"{success}/output.zip", "operation": "download"},
        ).json()
        assert urls[0] is not None and len(client.get(urls[0]).content) == zipped
        kill = client.post(f"/tasks/{success}/kill").json()
        status = client.get(f"/tasks/{success}/status").json()
    assert kill["status"] == "success"
    assert status == {
        "id": success,
        "status": "success",
        "position_in_queue": None,
        "is_terminated": True,
    }


def test_a_seed_without_archives_claims_outputs_it_does_not_store(tmp_path: Path) -> None:
    data = DataDir(tmp_path / "data")
    seed(data, tasks=30, seed=1, now=NOW, archives=False)
    with sqlite3.connect(data.database) as conn:
        sizes = [
            json.loads(doc)["metrics"]["output_size_bytes"]
            for (doc,) in conn.execute("SELECT doc FROM tasks")
        ]
    assert any(size is not None for size in sizes)
    assert not list(data.storage.glob("*/output.zip"))


def test_archives_do_not_change_what_happens_to_a_task(tmp_path: Path) -> None:
    """The seeder's draws are the same with archives or without: only outputs (and the time
    compressing them takes) differ."""
    with_archives, without = DataDir(tmp_path / "one"), DataDir(tmp_path / "two")
    seed(with_archives, tasks=40, seed=3, now=NOW, archives=True)
    seed(without, tasks=40, seed=3, now=NOW, archives=False)

    def outcomes(root: Path) -> list[tuple[str, str, str]]:
        with sqlite3.connect(root / "tasks.sqlite3") as conn:
            return list(
                conn.execute("SELECT task_id, status, machine_group FROM tasks ORDER BY seq")
            )

    assert outcomes(with_archives.root) == outcomes(without.root)


def test_remembered_counts_follow_commits_of_other_connections(tmp_path: Path) -> None:
    data = DataDir(tmp_path / "data")
    seed(data, tasks=30, seed=1, now=NOW)
    conn = db.connect(data.database)
    try:
        failed = queries.TaskQuery(status="failed")
        assert queries.list_tasks(conn, queries.TaskQuery())[0] == 30
        before = queries.list_tasks(conn, failed)[0]
        assert queries.list_tasks(conn, queries.TaskQuery())[0] == 30  # remembered
        seed(data, tasks=20, seed=2, now=NOW)  # another connection commits
        assert queries.list_tasks(conn, queries.TaskQuery())[0] == 50
        with sqlite3.connect(data.database) as other:
            expected = other.execute("SELECT COUNT(*) FROM tasks WHERE status = 'failed'")
            assert queries.list_tasks(conn, failed)[0] == expected.fetchone()[0] >= before
    finally:
        conn.close()


def test_worker_processes_write_the_same_tasks(tmp_path: Path) -> None:
    alone, pooled = DataDir(tmp_path / "one"), DataDir(tmp_path / "two")
    seed(alone, tasks=2_100, seed=5, now=NOW, workers=1)  # two chunks of work
    seed(pooled, tasks=2_100, seed=5, now=NOW, workers=2)
    assert _stored(alone.root) == _stored(pooled.root)
