"""The tail pane's I/O: the live follow stream, or a finished task's archived output.

Each function is an async generator of :data:`FeedEvent`; the pane's worker
consumes it and feeds a :class:`~inductiva_top.monitor.output.tailbuffer.TailBuffer`
once per event (lines arrive in batches). Cancelling the worker closes the
streams (the ``finally`` blocks cancel the pumps and close the responses).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from dataclasses import dataclass

from inductiva_top.api.client import InductivaClient
from inductiva_top.api.errors import LiveRequestFailed, NotFound
from inductiva_top.api.live import LiveTask
from inductiva_top.api.models import Task
from inductiva_top.monitor.output.tailbuffer import Stream
from inductiva_top.monitor.output.tailsource import TailMode, mode_files
from inductiva_top.transfer.errors import MemberNotFound, missing_outputs
from inductiva_top.transfer.tail import tail_archived_file

__all__ = ["ARCHIVE_TAIL_BYTES", "Data", "FeedEvent", "Lines", "Notice", "archived", "follow"]

ARCHIVE_TAIL_BYTES = 2 * 1024 * 1024
"""How much of the end of an archived output file the pane reads (one Range request)."""


@dataclass(frozen=True)
class Lines:
    """Complete lines of one stream, and the line being written (from the follow stream).

    ``partial`` as in :class:`~inductiva_top.api.live.TailBatch`: text of the
    unfinished line, which ``lines`` end and which it then starts or extends.
    """

    stream: Stream | None
    lines: list[str]
    partial: str = ""


@dataclass(frozen=True)
class Data:
    """The raw tail of a file; ``truncated``: it starts mid-file (drop the first line)."""

    stream: Stream | None
    data: bytes
    truncated: bool


@dataclass(frozen=True)
class Notice:
    """Something to say in place of a file's lines (a missing file, the end of a stream)."""

    text: str


FeedEvent = Lines | Data | Notice


async def _follow_one(
    live: LiveTask, stream: Stream | None, filename: str, lines: int
) -> AsyncGenerator[FeedEvent, None]:
    try:
        async for batch in live.follow(filename, lines):
            yield Lines(stream, batch.lines, batch.partial)
    except LiveRequestFailed as refused:  # the machine's own words (no such file), sanitized
        yield Notice(str(refused))


async def follow(live: LiveTask, mode: TailMode, lines: int) -> AsyncGenerator[FeedEvent, None]:
    """The running task's output, live: the last ``lines`` lines, then new ones.

    With two files the streams are merged in arrival order. Ends when the
    task stops running.
    """
    files = mode_files(mode)
    if len(files) == 1:
        stream, filename = files[0]
        async for event in _follow_one(live, stream, filename, lines):
            yield event
        return
    queue: asyncio.Queue[FeedEvent | BaseException | None] = asyncio.Queue()

    async def pump(stream: Stream | None, filename: str) -> None:
        try:
            async for event in _follow_one(live, stream, filename, lines):
                await queue.put(event)
        except Exception as exc:  # handed to the consumer, which raises it
            await queue.put(exc)
        finally:
            await queue.put(None)

    pumps = [asyncio.create_task(pump(stream, name)) for stream, name in files]
    try:
        running = len(pumps)
        while running:
            item = await queue.get()
            if item is None:
                running -= 1
            elif isinstance(item, BaseException):
                raise item
            else:
                yield item
    finally:
        for task in pumps:
            task.cancel()
        await asyncio.gather(*pumps, return_exceptions=True)


async def archived(
    client: InductivaClient, task: Task, mode: TailMode, max_bytes: int = ARCHIVE_TAIL_BYTES
) -> AsyncGenerator[FeedEvent, None]:
    """The end of each file of ``mode`` in the finished task's output archive.

    Reads the archive's directory entry and one byte range per file, never
    the whole archive. With two files, stdout comes first, then stderr.
    """
    storage_path = task.storage_output_path or f"{task.task_id}/output.zip"
    for stream, filename in mode_files(mode):
        try:
            data = await tail_archived_file(
                client, storage_path, filename, max_bytes, region=task.storage_region
            )
        except MemberNotFound:
            yield Notice(f"No {filename} in the output archive.")
            continue
        except NotFound:
            yield Notice(missing_outputs(task))
            return
        yield Data(stream, data, truncated=len(data) >= max_bytes)
