"""The live work-dir routes against a real uvicorn: ls, tail, tail -f, top, last modified."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
import pytest
from fastapi import FastAPI

from inductiva_top.server.layout import DataDir
from inductiva_top.server.routes.live import live_router
from tests.server.router_harness import serve

TASK = "t0live"
READY_LIMIT_SECONDS = 10.0


@dataclass
class Live:
    data: DataDir
    client: httpx.Client
    running: set[str] = field(default_factory=set)
    pids: dict[str, int] = field(default_factory=dict)

    @property
    def work(self) -> Path:
        return self.data.work_dir(TASK)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    data = DataDir(tmp_path_factory.mktemp("live") / "data")
    running: set[str] = set()
    pids: dict[str, int] = {}
    app = FastAPI()
    app.include_router(live_router(data, running.__contains__, pids.get))
    with serve(app) as base_url, httpx.Client(base_url=base_url, timeout=10) as client:
        yield Live(data, client, running, pids)


@pytest.fixture
def live(server: Live) -> Live:
    shutil.rmtree(server.data.root, ignore_errors=True)
    server.data.create()
    server.work.mkdir()
    server.running.clear()
    server.pids.clear()
    return server


def test_files_is_a_nested_sorted_listing(live: Live) -> None:
    (live.work / "stdout.txt").write_text("out\n")
    (live.work / "sub" / "deep").mkdir(parents=True)
    (live.work / "sub" / "a.txt").write_text("a")
    (live.work / "sub" / "deep" / "b.txt").write_text("b")
    (live.work / "empty").mkdir()
    response = live.client.get(f"/local/tasks/{TASK}/files")
    assert response.status_code == 200
    assert response.json() == {
        "status": "success",
        "message": [{"empty": []}, "stdout.txt", {"sub": ["a.txt", {"deep": ["b.txt"]}]}],
    }


def test_unknown_or_malformed_tasks_get_an_error_message(live: Live) -> None:
    missing = live.client.get("/local/tasks/t9nothing/files")
    assert missing.status_code == 404
    assert missing.json()["status"] == "error" and "t9nothing" in missing.json()["message"]
    for bad in ("%2e%2e", "a%00b", "-x"):
        response = live.client.get(f"/local/tasks/{bad}/files")
        assert response.status_code == 400, bad
        assert response.json()["status"] == "error"


class TestTail:
    def tail(self, live: Live, **params: str | int) -> httpx.Response:
        return live.client.get(f"/local/tasks/{TASK}/tail", params=params)

    def test_the_last_lines(self, live: Live) -> None:
        (live.work / "stdout.txt").write_text("".join(f"line {i}\n" for i in range(100)))
        response = self.tail(live, lines=3)
        assert response.json() == {
            "status": "success",
            "message": ["line 97", "line 98", "line 99"],
        }
        assert self.tail(live, lines=0).json()["message"] == []

    def test_an_unfinished_last_line_is_included(self, live: Live) -> None:
        (live.work / "stderr.txt").write_text("one\r\ntwo\nthree so f")
        body = self.tail(live, filename="stderr.txt", lines=2).json()
        assert body["message"] == ["two", "three so f"]

    def test_missing_and_unsafe_files(self, live: Live) -> None:
        (live.data.root / "secret").write_text("do not show")
        (live.work / "link").symlink_to(live.data.root / "secret")
        cases = {"nope.txt": 404, "../secret": 400, "/secret": 404, "link": 403, "a\\b": 400}
        for name, status in cases.items():
            response = self.tail(live, filename=name)
            assert response.status_code == status, name
            assert response.json()["status"] == "error"
            assert "do not show" not in response.text

    def test_wait_for_a_file_that_appears(self, live: Live) -> None:
        live.running.add(TASK)
        path = live.work / "late.txt"
        writer = threading.Timer(0.3, lambda: path.write_text("at last\n"))
        writer.start()
        try:
            response = self.tail(live, filename="late.txt", wait="true")
        finally:
            writer.join()
        assert response.json() == {"status": "success", "message": ["at last"]}

    def test_wait_gives_up_when_the_task_stops(self, live: Live) -> None:
        response = self.tail(live, filename="never.txt", wait="true")
        assert response.status_code == 404


def read_stream(response: httpx.Response, on_first: threading.Event) -> Iterator[list[str]]:
    for raw in response.iter_lines():
        message = json.loads(raw)
        assert message["status"] == "success"
        yield message["message"]
        on_first.set()


def test_follow_streams_lines_as_they_are_written(live: Live) -> None:
    path = live.work / "stdout.txt"
    path.write_text("old 1\nold 2\nold 3\nhalf")
    live.running.add(TASK)
    first_seen = threading.Event()
    written = [f"step {i}" for i in range(40)]

    def write() -> None:
        first_seen.wait(READY_LIMIT_SECONDS)
        with path.open("a") as handle:
            handle.write(" done\n")
            for index, line in enumerate(written):
                handle.write(line + "\n")
                handle.flush()
                if index % 8 == 0:
                    time.sleep(0.05)  # several batches, not one
            handle.write("no newline at the end")
        live.running.discard(TASK)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        with live.client.stream(
            "GET", f"/local/tasks/{TASK}/tail", params={"lines": 2, "follow": "true"}
        ) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("application/x-ndjson")
            batches = list(read_stream(response, first_seen))
    finally:
        first_seen.set()
        writer.join()
    assert batches[0] == ["old 2", "old 3"]
    received = [line for batch in batches[1:] for line in batch]
    assert received == ["half done", *written, "no newline at the end"]


def test_follow_passes_on_the_line_being_written(live: Live) -> None:
    """A ``\r`` progress bar shows as it is written, not only once its newline comes."""
    path = live.work / "stdout.txt"
    path.write_text("started\n")
    live.running.add(TASK)
    seen: list[dict[str, object]] = []
    arrived = threading.Condition()
    steps = ["progress 10%", "\rprogress 50%", "\rprogress 100%"]

    def wait_for(count: int) -> None:
        with arrived:
            assert arrived.wait_for(lambda: len(seen) >= count, READY_LIMIT_SECONDS)

    def write() -> None:
        wait_for(1)
        with path.open("a") as handle:
            for number, step in enumerate(steps, start=2):
                handle.write(step)
                handle.flush()
                wait_for(number)  # each piece arrives before its newline is written
            handle.write("\nfinished\n")
        live.running.discard(TASK)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        with live.client.stream(
            "GET", f"/local/tasks/{TASK}/tail", params={"lines": 5, "follow": "true"}
        ) as response:
            for raw in response.iter_lines():
                with arrived:
                    seen.append(json.loads(raw))
                    arrived.notify_all()
    finally:
        with arrived:
            seen.append({})  # let the writer go on if the stream ended early
            arrived.notify_all()
        writer.join()
    seen.pop()
    assert seen[0] == {"status": "success", "message": ["started"]}
    assert [message.get("partial") for message in seen[1:4]] == steps
    assert all(message["message"] == [] for message in seen[1:4])
    # The complete line comes whole, as the file tracker's tail sends lines.
    lines = [line for message in seen for line in message["message"]]  # type: ignore[attr-defined]
    assert lines == ["started", "".join(steps), "finished"]


def test_follow_starts_over_when_the_file_is_truncated(live: Live) -> None:
    path = live.work / "log.txt"
    path.write_text("a long first version of the file\n" * 10)
    live.running.add(TASK)
    first_seen = threading.Event()

    def rewrite() -> None:
        first_seen.wait(READY_LIMIT_SECONDS)
        path.write_text("new\n")
        # The follower sees the shrink on its next poll; stop only once it has the new line.
        live.running.discard(TASK)

    writer = threading.Thread(target=rewrite)
    writer.start()
    try:
        with live.client.stream(
            "GET",
            f"/local/tasks/{TASK}/tail",
            params={"filename": "log.txt", "lines": 1, "follow": "true"},
        ) as response:
            batches = list(read_stream(response, first_seen))
    finally:
        first_seen.set()
        writer.join()
    assert batches[0] == ["a long first version of the file"]
    assert batches[1:] == [["new"]]


def test_follow_of_a_stopped_task_ends_after_the_tail(live: Live) -> None:
    (live.work / "stdout.txt").write_text("x\ny\n")
    with live.client.stream(
        "GET", f"/local/tasks/{TASK}/tail", params={"lines": 5, "follow": "true"}
    ) as response:
        batches = list(read_stream(response, threading.Event()))
    assert batches == [["x", "y"]]


@pytest.fixture
def task_process(live: Live) -> Iterator[subprocess.Popen[bytes]]:
    """A real task-like process group: a shell with a sleeping child and busy python."""
    script = "sleep 60 & " + f"{sys.executable} -c 'while True: pass' & wait"
    process = subprocess.Popen(["sh", "-c", script], cwd=live.work, start_new_session=True)
    deadline = time.monotonic() + READY_LIMIT_SECONDS
    while len(psutil.Process(process.pid).children()) < 2:
        assert time.monotonic() < deadline, "the task's children did not start"
        time.sleep(0.02)
    try:
        yield process
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def test_top_shows_the_task_process_tree(live: Live, task_process: subprocess.Popen[bytes]) -> None:
    live.running.add(TASK)
    live.pids[TASK] = task_process.pid
    response = live.client.get(f"/local/tasks/{TASK}/top")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "success"
    rows = body["processes"]
    by_pid = {row["pid"]: row for row in rows}
    assert task_process.pid in by_pid
    children = [row for row in rows if row["ppid"] == task_process.pid]
    commands = " | ".join(row["command"] for row in children)
    assert "sleep 60" in commands and "while True" in commands
    busy = next(row for row in children if "while True" in row["command"])
    assert busy["cpu_percent"] > 0
    assert all(row["rss_bytes"] > 0 for row in rows)
    text = body["message"]
    assert text.startswith("top - ")
    assert "PID" in text and "%CPU" in text and "COMMAND" in text
    assert str(task_process.pid) in text


def test_top_of_a_task_that_is_not_running(live: Live) -> None:
    response = live.client.get(f"/local/tasks/{TASK}/top")
    assert response.status_code == 409
    assert response.json() == {"status": "error", "message": f"task {TASK} is not running"}


def test_last_modified_file(live: Live) -> None:
    (live.work / "sub").mkdir()
    for name, mtime in (("a.txt", 1_700_000_000), ("sub/newest.vtk", 1_700_000_500)):
        (live.work / name).write_text(name)
        os.utime(live.work / name, (mtime, mtime))
    os.utime(live.work / "sub", (1_800_000_000, 1_800_000_000))  # folders do not count
    before = time.time()
    response = live.client.get(f"/local/tasks/{TASK}/last-modified-file")
    assert response.status_code == 200
    message = response.json()["message"]
    assert message["most_recent_file"] == "sub/newest.vtk"
    assert message["most_recent_timestamp"] == 1_700_000_500
    assert message["now_timestamp"] >= before
    assert message["time_since_last_mod"] == pytest.approx(message["now_timestamp"] - 1_700_000_500)


def test_last_modified_file_of_an_empty_work_dir(live: Live) -> None:
    response = live.client.get(f"/local/tasks/{TASK}/last-modified-file")
    assert response.status_code == 404
    assert response.json()["status"] == "error"
