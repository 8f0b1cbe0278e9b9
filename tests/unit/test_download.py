"""Resumable downloads against a real HTTP server that cuts connections on demand.

The server is uvicorn on an ephemeral loopback port in a thread. It answers
with the embedded server's own ``file_response`` (``Range``, ``If-Range``,
ETag), wrapped in a fault injector that can cut the connection after a
number of body bytes or hold it open until the client goes away. The client
is the real :class:`InductivaClient`.
"""

from __future__ import annotations

import asyncio
import errno
import itertools
import os
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from inductiva_top.api.client import InductivaClient
from inductiva_top.api.errors import NotFound
from inductiva_top.api.retry import NO_RETRY
from inductiva_top.server.files.serving import file_response
from inductiva_top.transfer import download as download_module
from inductiva_top.transfer.download import discard_partial, download_file, partial_paths
from inductiva_top.transfer.errors import (
    ArchiveChanged,
    DestinationExists,
    DiskFull,
    DownloadIncomplete,
)
from inductiva_top.transfer.progress import Progress
from inductiva_top.transfer.sources import HttpRangeSource

Scope = dict[str, Any]


@dataclass
class Faults:
    """What the server does to the next requests, and what it saw."""

    path: Path
    cuts: list[int] = field(default_factory=list)
    """Body bytes to send before cutting, one entry per coming request."""
    hold_after: int | None = None
    """Send this many body bytes, then hold the connection until the client leaves."""
    requests: list[dict[str, str]] = field(default_factory=list)
    sent: list[int] = field(default_factory=list)


class _Cut(Exception):
    pass


def make_app(faults: Faults) -> Any:
    async def app(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        faults.requests.append(headers)
        if not faults.path.exists():
            await send({"type": "http.response.start", "status": 404, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        response = file_response(
            faults.path,
            method=scope["method"],
            range_header=headers.get("range"),
            if_range=headers.get("if-range"),
        )
        limit = faults.cuts.pop(0) if faults.cuts else None
        hold, faults.hold_after = faults.hold_after, None
        sent = 0
        faults.sent.append(0)

        async def guarded(message: dict[str, Any]) -> None:
            nonlocal sent
            if message["type"] == "http.response.body":
                body = message.get("body", b"")
                stop = limit if limit is not None else hold
                if stop is not None and sent + len(body) >= stop:
                    await send({**message, "body": body[: stop - sent], "more_body": True})
                    faults.sent[-1] = sent = stop
                    if hold is not None:
                        while (await receive())["type"] != "http.disconnect":
                            pass
                    raise _Cut
                sent += len(body)
                faults.sent[-1] = sent
            await send(message)

        # Leaving the app mid-body makes uvicorn drop the connection.
        try:
            await response(scope, receive, guarded)
        except _Cut:
            # Close the file the response was streaming from, as a disconnect would.
            body = getattr(response, "body_iterator", None)
            if body is not None:
                await body.aclose()

    return app


@pytest.fixture
def faults(tmp_path: Path) -> Faults:
    return Faults(tmp_path / "served.bin")


@pytest.fixture
def server_url(faults: Faults) -> Iterator[str]:
    config = uvicorn.Config(
        make_app(faults), host="127.0.0.1", port=0, log_level="critical", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture
async def client(server_url: str) -> AsyncIterator[InductivaClient]:
    async with InductivaClient(server_url, None, retry=NO_RETRY) as api:
        yield api


async def no_sleep(_seconds: float) -> None:
    return None


def serve(faults: Faults, size: int) -> bytes:
    content = os.urandom(size)
    faults.path.write_bytes(content)
    return content


async def test_a_plain_download_is_one_request_and_leaves_no_part_file(
    faults: Faults, server_url: str, client: InductivaClient, tmp_path: Path
) -> None:
    content = serve(faults, 3_000_000)
    reports: list[Progress] = []
    dest = tmp_path / "out" / "output.zip"
    result = await download_file(client, f"{server_url}/f", dest, progress=reports.append)
    assert dest.read_bytes() == content
    assert (result.size, result.resumes, result.restarts) == (len(content), 0, 0)
    assert len(faults.requests) == 1 and "range" not in faults.requests[0]
    assert not any(p.exists() for p in partial_paths(dest))
    assert reports[-1].finished and reports[-1].done == reports[-1].total == len(content)
    assert all(a.done <= b.done for a, b in itertools.pairwise(reports))


async def test_a_cut_connection_resumes_with_range_and_if_range(
    faults: Faults, server_url: str, client: InductivaClient, tmp_path: Path
) -> None:
    content = serve(faults, 2_500_000)
    faults.cuts = [1_000_000]
    dest = tmp_path / "output.zip"
    result = await download_file(client, f"{server_url}/f", dest, sleep=no_sleep)
    assert dest.read_bytes() == content
    assert result.resumes == 1 and result.restarts == 0
    first, second = faults.requests
    assert "range" not in first
    assert second["range"] == "bytes=1000000-"
    assert second["if-range"] == result.etag
    assert faults.sent == [1_000_000, len(content) - 1_000_000]


async def test_a_file_changed_between_cut_and_resume_restarts_from_zero(
    faults: Faults, server_url: str, client: InductivaClient, tmp_path: Path
) -> None:
    serve(faults, 2_000_000)
    faults.cuts = [700_000]
    sleeps = 0

    async def replace_file(_seconds: float) -> None:
        nonlocal sleeps
        sleeps += 1
        faults.path.write_bytes(b"new content " * 100_000)

    dest = tmp_path / "output.zip"
    result = await download_file(client, f"{server_url}/f", dest, sleep=replace_file)
    assert dest.read_bytes() == b"new content " * 100_000
    assert sleeps == 1 and result.restarts == 1
    assert faults.requests[1]["range"] == "bytes=700000-"  # asked to resume, got 200


async def test_a_cancelled_download_keeps_its_part_and_a_later_run_resumes(
    faults: Faults, server_url: str, client: InductivaClient, tmp_path: Path
) -> None:
    content = serve(faults, 3_000_000)
    faults.hold_after = 1_200_000
    dest = tmp_path / "output.zip"
    halfway = asyncio.Event()

    def on_progress(progress: Progress) -> None:
        if progress.done >= 1_200_000:
            halfway.set()

    task = asyncio.create_task(
        download_file(client, f"{server_url}/f", dest, progress=on_progress, progress_interval=0)
    )
    await asyncio.wait_for(halfway.wait(), 30)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    part, meta = partial_paths(dest)
    assert part.stat().st_size == 1_200_000 and meta.exists() and not dest.exists()

    result = await download_file(client, f"{server_url}/f", dest)
    assert dest.read_bytes() == content
    assert faults.requests[-1]["range"] == "bytes=1200000-"
    assert faults.sent[-1] == len(content) - 1_200_000
    assert result.restarts == 0 and not part.exists() and not meta.exists()


def test_discard_partial_removes_what_an_interrupted_download_left(tmp_path: Path) -> None:
    dest = tmp_path / "output.zip"
    for path in partial_paths(dest):
        path.write_text("left over")
    discard_partial(dest)
    assert list(tmp_path.iterdir()) == []


async def test_no_progress_for_too_long_gives_up_with_a_clear_error(
    faults: Faults, server_url: str, client: InductivaClient, tmp_path: Path
) -> None:
    serve(faults, 500_000)
    faults.cuts = [0] * 10
    dest = tmp_path / "output.zip"
    with pytest.raises(DownloadIncomplete, match=r"after 3 retries"):
        await download_file(client, f"{server_url}/f", dest, max_retries=3, sleep=no_sleep)
    assert len(faults.requests) == 4
    assert not dest.exists()


async def test_an_existing_destination_is_not_overwritten(
    faults: Faults, server_url: str, client: InductivaClient, tmp_path: Path
) -> None:
    content = serve(faults, 10_000)
    dest = tmp_path / "output.zip"
    dest.write_bytes(b"precious")
    with pytest.raises(DestinationExists, match="already exists"):
        await download_file(client, f"{server_url}/f", dest)
    assert dest.read_bytes() == b"precious" and faults.requests == []
    await download_file(client, f"{server_url}/f", dest, overwrite=True)
    assert dest.read_bytes() == content


async def test_a_missing_file_is_the_api_not_found_error(
    server_url: str, client: InductivaClient, tmp_path: Path
) -> None:
    with pytest.raises(NotFound):
        await download_file(client, f"{server_url}/nothing", tmp_path / "x.zip")
    assert os.listdir(tmp_path) == []


class _FillingDisk:
    """A file whose second write fails as a full disk does."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self.name = real.name
        self.writes = 0

    def write(self, data: bytes) -> int:
        self.writes += 1
        if self.writes == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return int(self._real.write(data))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def __enter__(self) -> _FillingDisk:
        return self

    def __exit__(self, *exc: object) -> None:
        self._real.close()


async def test_a_full_disk_is_a_clear_error_that_removes_only_the_partial_download(
    faults: Faults,
    server_url: str,
    client: InductivaClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    serve(faults, 3_000_000)
    real_open = download_module._open_part
    monkeypatch.setattr(
        download_module,
        "_open_part",
        lambda part, append: _FillingDisk(real_open(part, append=append)),
    )
    folder = tmp_path / "downloads"
    folder.mkdir()
    (folder / "neighbour.txt").write_text("stays")
    dest = folder / "output.zip"
    with pytest.raises(DiskFull, match="disk is full"):
        await download_file(client, f"{server_url}/f", dest)
    assert [p.name for p in folder.iterdir()] == ["neighbour.txt"]


async def test_range_source_reads_exact_ranges_and_counts_them(
    faults: Faults, server_url: str, client: InductivaClient
) -> None:
    content = serve(faults, 1_000_000)
    source = HttpRangeSource(client, f"{server_url}/f")
    assert await source.size() == len(content)
    assert await source.read(10, 20) == content[10:20]
    assert await source.read(999_000, 1_000_000) == content[999_000:]
    assert (source.requests, source.bytes_requested) == (3, 1 + 10 + 1000)
    assert [r["range"] for r in faults.requests] == [
        "bytes=0-0",
        "bytes=10-19",
        "bytes=999000-999999",
    ]
    assert all(r.get("if-range") == source.etag for r in faults.requests[1:])


async def test_range_source_resumes_a_cut_range_and_refuses_a_changed_file(
    faults: Faults, server_url: str, client: InductivaClient
) -> None:
    content = serve(faults, 600_000)
    source = HttpRangeSource(client, f"{server_url}/f", retry_delay=0)
    await source.size()
    faults.cuts = [100_000]
    assert await source.read(50_000, 550_000) == content[50_000:550_000]
    assert faults.requests[-1]["range"] == "bytes=150000-549999"

    faults.path.write_bytes(os.urandom(600_000))
    with pytest.raises(ArchiveChanged):
        await source.read(0, 100)
