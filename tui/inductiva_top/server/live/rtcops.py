"""The four file-tracker operations, answered as data-channel messages.

A request is ``{"type": "ls" | "tail" | "top" | "last_modified_file",
"follow": bool, "args": {...}}`` (tail args: ``filename``, ``lines``,
``wait``); every answer is ``{"status": "success" | "error", "message": ...}``
as the Inductiva task runner sends it (see the contract). The work is done by
the same helpers as the plain-HTTP ``/local/...`` routes (:mod:`.workfiles`,
:mod:`.top`, :mod:`.follow`); this module only knows the message shapes, and
nothing of WebRTC.

A data-channel message has a size limit (64 KiB unless the peer says more), so
answers are cut to :data:`MAX_MESSAGE_BYTES`: a follow stream is split over
several messages, a one-shot tail keeps its newest lines, a listing keeps its
first entries.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import anyio.to_thread

from inductiva_top.server.files.paths import UnsafePath, safe_storage_path
from inductiva_top.server.layout import DataDir
from inductiva_top.server.live.follow import (
    MAX_TAIL_LINES,
    follow_batches,
    wait_for_file,
    work_dir,
)
from inductiva_top.server.live.top import render_top, sample
from inductiva_top.server.live.workfiles import Tree, list_tree, newest_file, tail_lines

__all__ = [
    "MAX_MESSAGE_BYTES",
    "BadRequest",
    "Request",
    "TaskView",
    "answers",
    "fit_lines",
    "newest_lines",
    "parse_request",
]

MAX_MESSAGE_BYTES = 60 * 1024
"""Longest message sent: under the 64 KiB every data-channel peer accepts."""

OPERATIONS = ("ls", "tail", "top", "last_modified_file")
_ENVELOPE_BYTES = 64  # {"status": "success", "message": [...]} around the payload
# JSON escapes any character in at most 6 ASCII bytes (\uXXXX; a surrogate pair
# is 12 bytes for 2 characters), so a piece of this many characters always fits.
_PIECE_CHARS = (MAX_MESSAGE_BYTES - _ENVELOPE_BYTES) // 6
_MIN_LISTING_ENTRIES = 16

Message = dict[str, Any]


class BadRequest(ValueError):
    """A request that is not JSON or not of the protocol's shape."""


@dataclass(frozen=True)
class Request:
    """One parsed request."""

    type: str
    follow: bool
    args: dict[str, Any]


@dataclass(frozen=True)
class TaskView:
    """What the operations may see of the server: the data dir and the running tasks."""

    data: DataDir
    is_running: Callable[[str], bool]
    pid_of: Callable[[str], int | None]


def parse_request(raw: str | bytes) -> Request:
    """A request from its wire form; raises :class:`BadRequest` with a one-line reason."""
    try:
        payload = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("the request is not JSON") from None
    if not isinstance(payload, dict):
        raise BadRequest("the request must be a JSON object")
    kind = payload.get("type")
    if kind not in OPERATIONS:
        raise BadRequest(f"unknown request type; expected one of {', '.join(OPERATIONS)}")
    follow = payload.get("follow", False)
    args = payload.get("args") or {}
    if not isinstance(follow, bool) or not isinstance(args, dict):
        raise BadRequest("'follow' must be a boolean and 'args' an object")
    return Request(str(kind), follow, args)


def success(message: Any) -> Message:
    return {"status": "success", "message": message}


def error(message: str) -> Message:
    return {"status": "error", "message": message}


def _encoded_size(value: Any) -> int:
    return len(json.dumps(value))


def _pieces(line: str) -> list[str]:
    """``line`` cut so each piece fits in a message on its own."""
    if _encoded_size(line) <= MAX_MESSAGE_BYTES - _ENVELOPE_BYTES:
        return [line]
    return [line[i : i + _PIECE_CHARS] for i in range(0, len(line), _PIECE_CHARS)]


def fit_lines(lines: list[str]) -> list[list[str]]:
    """``lines`` packed, in order, into batches that each fit in one message."""
    batches: list[list[str]] = []
    current: list[str] = []
    size = _ENVELOPE_BYTES
    for line in lines:
        for piece in _pieces(line):
            cost = _encoded_size(piece) + 2  # and ", "
            if current and size + cost > MAX_MESSAGE_BYTES:
                batches.append(current)
                current, size = [], _ENVELOPE_BYTES
            current.append(piece)
            size += cost
    if current or not batches:
        batches.append(current)
    return batches


def newest_lines(lines: list[str]) -> list[str]:
    """The longest end of ``lines`` that fits in one message (a one-shot tail)."""
    return fit_lines(lines)[-1] if lines else []


def _fitting_tree(folder: Path) -> Tree:
    """The listing of ``folder``, with fewer entries until it fits in one message."""
    entries: int | None = None
    while True:
        tree = list_tree(folder) if entries is None else list_tree(folder, entries)
        if entries == _MIN_LISTING_ENTRIES or _encoded_size(success(tree)) <= MAX_MESSAGE_BYTES:
            return tree
        entries = max(_MIN_LISTING_ENTRIES, (entries or _count(tree)) // 2)


def _count(tree: Tree) -> int:
    total = 0
    for item in tree:
        total += 1
        if isinstance(item, dict):
            total += sum(_count(children) for children in item.values())
    return total


async def answers(request: Request, task_id: str, view: TaskView) -> AsyncIterator[Message]:
    """The messages answering ``request`` about ``task_id``: one, or a stream for a follow tail."""
    try:
        folder = work_dir(view.data, task_id)
        if request.type == "ls":
            yield success(await anyio.to_thread.run_sync(_fitting_tree, folder))
        elif request.type == "last_modified_file":
            found = await anyio.to_thread.run_sync(newest_file, folder, time.time())
            if found is None:
                yield error(f"task {task_id} has no files yet")
            else:
                yield success(asdict(found))
        elif request.type == "top":
            yield await _top(task_id, view)
        else:
            async for message in _tail(request, folder, task_id, view):
                yield message
    except UnsafePath as exc:
        yield error(exc.detail)


async def _top(task_id: str, view: TaskView) -> Message:
    pid = view.pid_of(task_id)
    if pid is None or not view.is_running(task_id):
        return error(f"task {task_id} is not running")
    snapshot = await anyio.to_thread.run_sync(sample, pid)
    if not snapshot.rows:
        return error(f"task {task_id} has no running processes")
    return success(render_top(snapshot))


def _tail_args(args: dict[str, Any]) -> tuple[str, int, bool]:
    filename = args.get("filename", "stdout.txt")
    lines = args.get("lines", 10)
    wait = args.get("wait", False)
    if not isinstance(filename, str) or not filename:
        raise UnsafePath("'filename' must be a non-empty string")
    # bool is an int in Python; a JSON true is not a line count.
    if isinstance(lines, bool) or not isinstance(lines, int) or not 0 <= lines <= MAX_TAIL_LINES:
        raise UnsafePath(f"'lines' must be an integer from 0 to {MAX_TAIL_LINES}")
    return filename, lines, bool(wait)


async def _tail(
    request: Request, folder: Path, task_id: str, view: TaskView
) -> AsyncIterator[Message]:
    filename, count, wait = _tail_args(request.args)
    name, path = safe_storage_path(folder, filename, what="file name")
    if wait:
        await wait_for_file(path, task_id, view.is_running)
    if not path.is_file() or path.is_symlink():
        yield error(f"no file {name!r} in the work dir of task {task_id}")
        return
    if not request.follow:
        found, _ = await anyio.to_thread.run_sync(tail_lines, path, count)
        yield success(newest_lines(found))
        return
    first, offset = await anyio.to_thread.run_sync(
        lambda: tail_lines(path, count, complete_only=True)
    )
    opened = False
    async for batch in follow_batches(path, task_id, first, offset, view.is_running):
        # Complete lines only: a list of lines cannot say that its last one is
        # unfinished, so the line being written goes over the HTTP stream alone.
        if batch.lines or not opened:
            for part in fit_lines(batch.lines):
                yield success(part)
        opened = True
