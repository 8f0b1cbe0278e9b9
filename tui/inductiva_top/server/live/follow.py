"""Following a file of a running task: its new complete lines, batch by batch.

The engine behind a followed tail, whichever way it travels: the HTTP
``/local/tasks/{task_id}/tail?follow=true`` stream
(:mod:`~inductiva_top.server.routes.live`) and the WebRTC data channel
(:mod:`~inductiva_top.server.live.rtcops`) both read through it, and find a
task's work dir the same way (:func:`work_dir`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import anyio.to_thread

from inductiva_top.server.files.paths import UnsafePath, check_task_id
from inductiva_top.server.layout import DataDir
from inductiva_top.server.live.workfiles import read_from, split_complete

FOLLOW_POLL_SECONDS = 0.15
FOLLOW_BATCH_BYTES = 1024 * 1024
MAX_TAIL_LINES = 10_000
"""The most lines a tail asks for (the start of a followed tail included)."""


def work_dir(data: DataDir, task_id: str) -> Path:
    """The work dir of ``task_id``; raises :class:`UnsafePath` (404 when it has none)."""
    check_task_id(task_id)
    folder = data.work_dir(task_id)
    if not folder.is_dir() or folder.is_symlink():
        raise UnsafePath(f"task {task_id} has no work directory", 404)
    return folder


async def wait_for_file(
    path: Path,
    task_id: str,
    is_running: Callable[[str], bool],
    client_gone: Callable[[], Awaitable[bool]] | None = None,
) -> bool:
    """Wait while ``path`` does not exist and the task runs.

    Returns False when ``client_gone()`` says the asker left meanwhile.
    """
    # Polled: the file is created by another process, no event to wait on. One
    # stat per poll is cheaper than a hop to a worker thread.
    while not path.is_file() and is_running(task_id):  # noqa: ASYNC240
        if client_gone is not None and await client_gone():
            return False
        await asyncio.sleep(FOLLOW_POLL_SECONDS)
    return True


async def follow_batches(
    path: Path,
    task_id: str,
    first: list[str],
    offset: int,
    is_running: Callable[[str], bool],
) -> AsyncIterator[list[str]]:
    """``first``, then batches of new complete lines of ``path`` from ``offset`` on.

    Ends after a last read (which also gives an unfinished last line) once the
    task stops running. A file that becomes shorter than what was read is
    followed from its start.
    """
    yield first
    pending = b""
    while True:
        running = is_running(task_id)
        try:
            chunk, size = await anyio.to_thread.run_sync(
                read_from, path, offset, FOLLOW_BATCH_BYTES
            )
        except FileNotFoundError:
            chunk, size = b"", offset
        if size < offset:  # truncated or rewritten: read_from started over
            offset, pending = 0, b""
        offset += len(chunk)
        complete, pending = split_complete(pending + chunk)
        if len(pending) >= FOLLOW_BATCH_BYTES:  # a "line" that never ends: pass it on
            complete.append(pending.decode("utf-8", errors="replace"))
            pending = b""
        if complete:
            yield complete
        if not chunk and not running:
            if pending:
                yield [pending.decode("utf-8", errors="replace")]
            return
        if len(chunk) < FOLLOW_BATCH_BYTES:
            await asyncio.sleep(FOLLOW_POLL_SECONDS)
