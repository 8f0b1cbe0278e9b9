"""Following a file of a running task: its new lines, batch by batch, and the line being written.

The engine behind a followed tail, whichever way it travels: the HTTP
``/local/tasks/{task_id}/tail?follow=true`` stream
(:mod:`~inductiva_top.server.routes.live`) and the WebRTC data channel
(:mod:`~inductiva_top.server.live.rtcops`) both read through it, and find a
task's work dir the same way (:func:`work_dir`).
"""

from __future__ import annotations

import asyncio
import codecs
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
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


@dataclass(frozen=True)
class FollowBatch:
    """What one read of a followed file found.

    ``lines`` are new complete lines, each whole from its start (the first
    one ends the line ``partial`` texts have been building, if any).
    ``partial`` is what was written of the next, unfinished line since the
    previous batch: after ``lines`` it starts that line, else it extends it.
    A reader that ignores ``partial`` sees every line once, when complete.
    """

    lines: list[str]
    partial: str = ""


async def follow_batches(
    path: Path,
    task_id: str,
    first: list[str],
    offset: int,
    is_running: Callable[[str], bool],
) -> AsyncIterator[FollowBatch]:
    """``first``, then batches of what is written to ``path`` from ``offset`` on.

    Ends after a last read (which completes an unfinished last line) once the
    task stops running. A file that becomes shorter than what was read is
    followed from its start (its unfinished line, if any, is passed on as a
    line first). An unfinished line is held at most :data:`FOLLOW_BATCH_BYTES`
    before it is passed on as a line, and each read costs what it read: a
    line that never ends costs linear time and bounded memory.
    """
    yield FollowBatch(first)
    pending = bytearray()
    decoder = _decoder()
    while True:
        running = is_running(task_id)
        try:
            chunk, size = await anyio.to_thread.run_sync(
                read_from, path, offset, FOLLOW_BATCH_BYTES
            )
        except FileNotFoundError:
            chunk, size = b"", offset
        lines: list[str] = []
        if size < offset:  # truncated or rewritten: read_from started over
            offset = 0
            if pending:
                lines.append(_text(pending))
                pending.clear()
                decoder = _decoder()
        offset += len(chunk)
        cut = chunk.rfind(b"\n")
        if cut >= 0:
            lines.extend(split_complete(bytes(pending) + chunk[: cut + 1])[0])
            pending[:] = chunk[cut + 1 :]
            decoder = _decoder()
            partial = decoder.decode(bytes(pending))
        else:
            pending += chunk
            partial = decoder.decode(chunk)
        if len(pending) >= FOLLOW_BATCH_BYTES:  # a "line" that never ends: pass it on
            lines.append(_text(pending))
            pending.clear()
            decoder = _decoder()
            partial = ""
        if not chunk and not running:
            if pending:
                lines.append(_text(pending))
            if lines:
                yield FollowBatch(lines)
            return
        if lines or partial:
            yield FollowBatch(lines, partial)
        if len(chunk) < FOLLOW_BATCH_BYTES:
            await asyncio.sleep(FOLLOW_POLL_SECONDS)


def _decoder() -> codecs.IncrementalDecoder:
    return codecs.getincrementaldecoder("utf-8")(errors="replace")


def _text(line: bytes | bytearray) -> str:
    """An unfinished line as text (as a complete line would be decoded)."""
    return split_complete(bytes(line) + b"\n")[0][0]
