"""Export: page walking, CSV/JSON text, and safe file writing."""

from __future__ import annotations

import csv
import io
import json
import os
from datetime import datetime, timezone
from pathlib import Path

import pytest

from inductiva_top.api.models import Executer, Task, TaskPage
from inductiva_top.monitor.rows.export import (
    CSV_FIELDS,
    ExportError,
    default_export_path,
    fetch_all,
    render_csv,
    render_json,
    write_export,
)

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def task(n: int, **fields: object) -> Task:
    return Task(task_id=f"t{n:03d}", status="success", create_time=T0, **fields)  # type: ignore[arg-type]


def pager(tasks: list[Task], per_page: int, calls: list[int]):  # type: ignore[no-untyped-def]
    async def fetch(page: int) -> TaskPage:
        calls.append(page)
        start = (page - 1) * per_page
        return TaskPage(total_size=len(tasks), tasks=tasks[start : start + per_page])

    return fetch


async def test_fetch_all_walks_every_page_and_reports_progress() -> None:
    tasks = [task(n) for n in range(23)]
    calls: list[int] = []
    progress: list[tuple[int, int | None]] = []
    got = await fetch_all(
        pager(tasks, 10, calls), 10, on_progress=lambda n, t: progress.append((n, t))
    )
    assert [t.task_id for t in got] == [t.task_id for t in tasks]
    assert calls == [1, 2, 3]
    assert progress == [(10, 23), (20, 23), (23, 23)]


async def test_fetch_all_stops_at_the_total_without_an_extra_request() -> None:
    calls: list[int] = []
    got = await fetch_all(pager([task(n) for n in range(20)], 10, calls), 10)
    assert len(got) == 20
    assert calls == [1, 2]


async def test_fetch_all_of_an_empty_view() -> None:
    calls: list[int] = []
    assert await fetch_all(pager([], 10, calls), 10) == []
    assert calls == [1]


async def test_fetch_all_drops_tasks_pushed_onto_the_next_page() -> None:
    pages = {
        1: TaskPage(total_size=4, tasks=[task(1), task(2)]),
        2: TaskPage(total_size=4, tasks=[task(2), task(3)]),
    }

    async def fetch(page: int) -> TaskPage:
        return pages[page]

    got = await fetch_all(fetch, 2)
    assert [t.task_id for t in got] == ["t001", "t002", "t003"]


def test_csv_has_a_header_and_one_row_per_task() -> None:
    text = render_csv(
        [
            task(1, project="a,b", executer=Executer(host_type="local", vm_type="std")),
            task(2, error_detail='said "no"\nthen left'),
        ]
    )
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == list(CSV_FIELDS)
    assert rows[0]["project"] == "a,b"
    assert rows[0]["host_type"] == "local"
    assert rows[0]["create_time"] == "2026-01-02T03:04:05+00:00"
    assert rows[1]["error_detail"] == 'said "no"\nthen left'
    assert rows[1]["estimated_computation_cost"] == ""


def test_json_keeps_the_api_fields() -> None:
    items = json.loads(render_json([task(1, estimated_computation_cost=0.5)]))
    assert items == [
        {
            "task_id": "t001",
            "status": "success",
            "create_time": items[0]["create_time"],
            "estimated_computation_cost": 0.5,
        }
    ]
    assert items[0]["create_time"].startswith("2026-01-02T03:04:05")


def test_default_path_is_under_the_output_dir() -> None:
    assert default_export_path(Path("out"), "json", T0) == Path("out/tasks-20260102-030405.json")


def test_write_creates_directories_and_the_file(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "er" / "tasks.csv"
    assert write_export([task(1)], target, "csv") == target
    assert target.read_text().startswith("task_id,name,status")
    assert [p.name for p in target.parent.iterdir()] == ["tasks.csv"]


def test_write_never_overwrites_silently(tmp_path: Path) -> None:
    target = tmp_path / "tasks.json"
    target.write_text("precious")
    with pytest.raises(ExportError, match="already exists"):
        write_export([task(1)], target, "json")
    assert target.read_text() == "precious"
    assert [p.name for p in tmp_path.iterdir()] == ["tasks.json"]
    write_export([task(1)], target, "json", overwrite=True)
    assert json.loads(target.read_text())[0]["task_id"] == "t001"


def test_write_to_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="is a directory"):
        write_export([task(1)], tmp_path, "csv")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk_is_reported_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_fdopen = os.fdopen

    def full_disk(fd: int, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        os.close(fd)
        return real_fdopen(os.open("/dev/full", os.O_WRONLY), *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(os, "fdopen", full_disk)
    with pytest.raises(ExportError, match="No space left on device"):
        write_export([task(1)], tmp_path / "tasks.csv", "csv")
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_directory_is_reported(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as root: permissions are not enforced")
        with pytest.raises(ExportError, match="cannot write in"):
            write_export([task(1)], locked / "tasks.csv", "csv")
    finally:
        locked.chmod(0o700)


def test_the_file_gets_the_usual_permissions(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        target = write_export([task(1)], tmp_path / "tasks.csv", "csv")
    finally:
        os.umask(old)
    assert target.stat().st_mode & 0o777 == 0o644
