"""Live operations on a task's work dir, over plain HTTP (local extensions).

The real API does these over a WebRTC data channel; the answers here have the
same shape, ``{"status": "success" | "error", "message": ...}``, with an HTTP
status to match (an error message comes with a 4xx status).

``GET /local/tasks/{task_id}/files``
    ``message``: the work dir as a nested list, files as strings and folders as
    ``{name: [...]}``, sorted by name.
``GET /local/tasks/{task_id}/tail?filename=stdout.txt&lines=10&follow=false&wait=false``
    ``message``: the last ``lines`` lines (strings without newlines). With
    ``follow=true`` the answer is a stream of newline-delimited JSON messages
    (``application/x-ndjson``): first the last ``lines`` complete lines, then
    one message per batch of new complete lines as they are written (a file
    that becomes shorter than what was read is followed from its start). The stream
    ends when the task stops running (after a last read, which also sends an
    unfinished last line) or when the client goes away. With ``wait=true`` a
    file that does not exist yet is waited for while the task runs.

    A line being written (a ``\r`` progress bar) is passed on as it grows: a
    message may carry ``partial``, the text written of the unfinished line
    since the previous message. After the message's complete lines it starts
    a new unfinished line, else it extends the current one; the complete line
    that ends it comes whole in a later ``message``. ``message`` alone is what
    the file tracker's ``tail`` sends, so a client that ignores ``partial``
    sees every line once, when it is complete.
``GET /local/tasks/{task_id}/top``
    ``message``: the text of a ``top -b -n 1``-like snapshot of the task's
    processes; ``processes``: the same as rows ``{pid, ppid, user, status,
    nice, cpu_percent, memory_percent, rss_bytes, vms_bytes, shared_bytes,
    num_threads, cpu_time_seconds, command}``. CPU is measured over 0.2 s.
    409 when the task is not running.
``GET /local/tasks/{task_id}/last-modified-file``
    ``message``: ``{"most_recent_file", "most_recent_timestamp",
    "now_timestamp", "time_since_last_mod"}`` (Unix seconds; the file's path
    relative to the work dir).
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.responses import Response

from inductiva_top.server.files.paths import UnsafePath, check_task_id, safe_storage_path
from inductiva_top.server.layout import DataDir
from inductiva_top.server.live.follow import (
    MAX_TAIL_LINES,
    FollowBatch,
    follow_batches,
    wait_for_file,
    work_dir,
)
from inductiva_top.server.live.top import render_top, sample
from inductiva_top.server.live.workfiles import list_tree, newest_file, tail_lines


def success(message: Any, status_code: int = 200, **extra: Any) -> JSONResponse:
    return JSONResponse({"status": "success", "message": message, **extra}, status_code)


def error(message: str, status_code: int) -> JSONResponse:
    return JSONResponse({"status": "error", "message": message}, status_code)


class _Refused(Exception):
    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.response = error(message, status_code)


def _work_dir(data: DataDir, task_id: str) -> Path:
    try:
        return work_dir(data, task_id)
    except UnsafePath as exc:
        raise _Refused(exc.detail, exc.status_code) from None


def _work_file(folder: Path, filename: str) -> tuple[str, Path]:
    try:
        return safe_storage_path(folder, filename, what="file name")
    except UnsafePath as exc:
        raise _Refused(exc.detail, exc.status_code) from None


def _message(batch: FollowBatch) -> bytes:
    payload: dict[str, Any] = {"status": "success", "message": batch.lines}
    if batch.partial:
        payload["partial"] = batch.partial
    return json.dumps(payload).encode() + b"\n"


def live_router(
    data: DataDir,
    is_running: Callable[[str], bool],
    pid_of: Callable[[str], int | None],
) -> APIRouter:
    """Routes under ``/local/tasks/{task_id}/`` (see the module doc).

    ``is_running(task_id)`` says whether the task's command still runs (it ends
    tail streams); ``pid_of(task_id)`` gives the pid of its process group
    leader, or None.
    """
    router = APIRouter(prefix="/local/tasks/{task_id}", tags=["live"])

    @router.get("/files")
    def list_files(task_id: str) -> Response:
        """The task's work dir as a nested list."""
        try:
            folder = _work_dir(data, task_id)
        except _Refused as exc:
            return exc.response
        return success(list_tree(folder))

    @router.get("/last-modified-file")
    def last_modified_file(task_id: str) -> Response:
        """The most recently modified file of the work dir."""
        try:
            folder = _work_dir(data, task_id)
        except _Refused as exc:
            return exc.response
        found = newest_file(folder, time.time())
        if found is None:
            return error(f"task {task_id} has no files yet", 404)
        return success(asdict(found))

    @router.get("/top")
    async def top(task_id: str) -> Response:
        """The task's processes, as text and as rows."""
        try:
            check_task_id(task_id)
        except UnsafePath as exc:
            return error(exc.detail, exc.status_code)
        pid = pid_of(task_id)
        if pid is None or not is_running(task_id):
            return error(f"task {task_id} is not running", 409)
        snapshot = await anyio.to_thread.run_sync(sample, pid)
        if not snapshot.rows:
            return error(f"task {task_id} has no running processes", 409)
        return success(render_top(snapshot), processes=[row.as_dict() for row in snapshot.rows])

    @router.get("/tail")
    async def tail(
        request: Request,
        task_id: str,
        filename: str = "stdout.txt",
        lines: Annotated[int, Query(ge=0, le=MAX_TAIL_LINES)] = 10,
        follow: bool = False,
        wait: bool = False,
    ) -> Response:
        """The last lines of a file of the work dir, or a stream of its new lines."""
        try:
            folder = _work_dir(data, task_id)
            name, path = _work_file(folder, filename)
        except _Refused as exc:
            return exc.response
        if wait and not await wait_for_file(path, task_id, is_running, request.is_disconnected):
            return error("the client went away", 499)
        if not path.is_file() or path.is_symlink():
            return error(f"no file {name!r} in the work dir of task {task_id}", 404)
        if not follow:
            found, _ = await anyio.to_thread.run_sync(tail_lines, path, lines)
            return success(found)
        first, offset = await anyio.to_thread.run_sync(
            lambda: tail_lines(path, lines, complete_only=True)
        )
        return StreamingResponse(
            _follow(path, task_id, first, offset, is_running),
            media_type="application/x-ndjson",
            headers={"cache-control": "no-store", "x-accel-buffering": "no"},
        )

    return router


async def _follow(
    path: Path,
    task_id: str,
    first: list[str],
    offset: int,
    is_running: Callable[[str], bool],
) -> AsyncIterator[bytes]:
    """The follow stream as newline-delimited JSON messages."""
    async for batch in follow_batches(path, task_id, first, offset, is_running):
        yield _message(batch)
