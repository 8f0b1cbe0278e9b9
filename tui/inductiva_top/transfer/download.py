"""Streaming, resumable download of one signed URL to a local file.

The body goes to ``<dest>.part``; the ETag it came with is kept beside it in
``<dest>.part.json``. When the connection breaks mid-body, the download goes
on from the bytes already on disk with ``Range: bytes=N-`` and
``If-Range: <etag>``; a 200 instead of 206 means the file changed, and it
restarts from zero. A later run resumes the same way from what an earlier
one left. Once the size matches what the server announced, the file is
fsynced and renamed over ``dest`` in one step.

Cancellation (``asyncio`` cancel, the UI's Esc) keeps ``.part`` and its
sidecar so the next attempt resumes; :func:`discard_partial` removes them.
A full disk removes the ``.part`` (to give the space back) and nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from inductiva_top.api.errors import ApiError, ConnectionFailed, TimedOut
from inductiva_top.transfer.errors import (
    DestinationExists,
    DiskFull,
    DownloadIncomplete,
    LocalWriteError,
    RangeNotSupported,
    TransferError,
)
from inductiva_top.transfer.progress import ProgressCallback, ProgressMeter
from inductiva_top.transfer.storage import StorageResponse, StorageStreamer, parse_content_range
from inductiva_top.transfer.threads import in_thread

__all__ = ["DownloadResult", "discard_partial", "download_file", "partial_paths"]

_WRITE_BUFFER = 1024 * 1024
_RANGE_NOT_SATISFIABLE = 416


@dataclass(frozen=True)
class DownloadResult:
    """What :func:`download_file` did: where, how many bytes, how many resumes."""

    path: Path
    size: int
    resumes: int
    restarts: int
    etag: str | None


def partial_paths(dest: Path) -> tuple[Path, Path]:
    """The ``.part`` file and its ``.part.json`` sidecar for ``dest``."""
    return dest.with_name(dest.name + ".part"), dest.with_name(dest.name + ".part.json")


def discard_partial(dest: Path) -> None:
    """Remove what an interrupted download of ``dest`` left, if anything."""
    for path in partial_paths(dest):
        path.unlink(missing_ok=True)


@dataclass
class _State:
    """Where the download stands; survives a broken connection."""

    offset: int = 0
    total: int | None = None
    etag: str | None = None
    resumes: int = 0
    restarts: int = 0


def _load_state(part: Path, meta: Path) -> _State:
    """Resume from an earlier run only when both the bytes and their ETag are known."""
    try:
        saved = json.loads(meta.read_text(encoding="utf-8"))
        etag = saved.get("etag")
        total = saved.get("total")
        size = part.stat().st_size
    except (OSError, ValueError, AttributeError):
        return _State()
    if not isinstance(etag, str) or not etag or (total is not None and not isinstance(total, int)):
        return _State()
    if total is not None and size > total:
        return _State()
    return _State(offset=size, total=total, etag=etag)


def _prepare(dest: Path, part: Path, meta: Path, overwrite: bool) -> _State:
    if dest.exists() and not overwrite:
        raise DestinationExists(f"{dest} already exists; not overwriting it", path=str(dest))
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _disk_error(exc, dest.parent) from None
    return _load_state(part, meta)


def _save_state(meta: Path, state: _State) -> None:
    try:
        meta.write_text(json.dumps({"etag": state.etag, "total": state.total}), encoding="utf-8")
    except OSError as exc:
        raise _disk_error(exc, meta) from None


async def download_file(
    streamer: StorageStreamer,
    url: str,
    dest: Path,
    *,
    overwrite: bool = False,
    progress: ProgressCallback | None = None,
    progress_interval: float = 0.2,
    label: str = "",
    max_retries: int = 5,
    retry_delay: float = 1.0,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> DownloadResult:
    """Download ``url`` to ``dest``, resuming after cut connections.

    ``progress`` gets at most one report per ``progress_interval`` seconds,
    plus the final one. Raises :class:`DestinationExists` if ``dest`` exists
    and ``overwrite`` is false, :class:`DownloadIncomplete` when
    ``max_retries`` attempts in a row make no progress or the size is wrong,
    :class:`DiskFull` on ENOSPC (:class:`LocalWriteError` for other local
    failures), and the :mod:`inductiva_top.api.errors` tree for HTTP errors.
    """
    part, meta = partial_paths(dest)
    state = await in_thread(_prepare, dest, part, meta, overwrite)
    meter = ProgressMeter(
        progress, total=state.total, label=label or dest.name, interval=progress_interval
    )
    failures = 0
    while True:
        before = state.offset
        try:
            await _attempt(streamer, url, part, meta, state, meter)
            break
        except (ConnectionFailed, TimedOut) as exc:
            failures = 1 if state.offset > before else failures + 1
            if failures > max_retries:
                raise DownloadIncomplete(
                    f"download of {dest.name} stopped at {state.offset} bytes after "
                    f"{max_retries} retries: {exc}"
                ) from None
            await sleep(retry_delay * failures)
            state.resumes += 1
        except (DownloadIncomplete, DiskFull):
            discard_partial(dest)
            raise
        except ApiError as exc:
            # 416: what is on disk no longer fits the file (it shrank); start over once.
            if exc.status != _RANGE_NOT_SATISFIABLE or state.offset == 0 or state.restarts:
                raise
            discard_partial(dest)
            state.offset, state.etag, state.total = 0, None, None
            state.restarts += 1
    size = state.offset
    if state.total is not None and size != state.total:
        discard_partial(dest)
        raise DownloadIncomplete(
            f"download of {dest.name} ended at {size} bytes, not the {state.total} announced"
        )
    await in_thread(_finalize, part, meta, dest, overwrite)
    meter.finish()
    return DownloadResult(dest, size, state.resumes, state.restarts, state.etag)


async def _attempt(
    streamer: StorageStreamer,
    url: str,
    part: Path,
    meta: Path,
    state: _State,
    meter: ProgressMeter,
) -> None:
    """One request: from ``state.offset`` (or from 0) to the end of the body."""
    resuming = state.offset > 0 and state.etag is not None
    byte_range = (state.offset, None) if resuming else None
    if_range = state.etag if resuming else None
    async with streamer.storage_stream(url, byte_range=byte_range, if_range=if_range) as response:
        _accept(response, state)
        meter.restart(state.offset, state.total)
        _save_state(meta, state)
        with _open_part(part, append=state.offset > 0) as file:
            if file.seek(0, os.SEEK_END) < state.offset:
                raise DownloadIncomplete(f"{part} was changed by something else; start again")
            file.seek(state.offset)
            file.truncate()
            await _stream_body(response, file, state, meter)


def _accept(response: StorageResponse, state: _State) -> None:
    """Check the status against what was asked; a 200 means starting from zero."""
    length = response.headers.get("content-length")
    if response.status == 206:
        content_range = parse_content_range(response.headers.get("content-range"))
        if content_range is None or content_range.first != state.offset:
            raise RangeNotSupported("the storage host answered the resume with another byte range")
        state.total = content_range.total
    elif response.status == 200:
        if state.offset:
            state.restarts += 1
        state.offset = 0
        state.total = int(length) if length and length.isdigit() else None
    else:
        raise RangeNotSupported(f"the storage host answered with HTTP {response.status}")
    state.etag = _validator(response)


def _validator(response: StorageResponse) -> str | None:
    """What ``If-Range`` can carry: a strong ETag, else the Last-Modified date."""
    etag = response.headers.get("etag")
    if etag and not etag.startswith("W/"):
        return etag
    return response.headers.get("last-modified") or None


def _open_part(part: Path, *, append: bool) -> BinaryIO:
    """The ``.part`` file, positioned by the caller; kept when resuming, created otherwise."""
    try:
        if append:
            try:
                return open(part, "r+b")
            except FileNotFoundError:
                pass
        return open(part, "wb")
    except OSError as exc:
        raise _disk_error(exc, part) from None


async def _stream_body(
    response: StorageResponse, file: BinaryIO, state: _State, meter: ProgressMeter
) -> None:
    """Append the body to ``file``; what arrived before a failure is kept and counted."""
    buffer = bytearray()
    keep = True
    try:
        async for chunk in response.aiter_bytes():
            buffer += chunk
            if state.total is not None and state.offset + len(buffer) > state.total:
                raise DownloadIncomplete("the storage host sent more bytes than it announced")
            if len(buffer) >= _WRITE_BUFFER:
                data = bytes(buffer)
                buffer.clear()
                await in_thread(_write, file, data, state)
            meter.advance(len(chunk))
    except TransferError:
        keep = False
        raise
    finally:
        # Runs on a cut connection and on cancellation too: what arrived is kept for a resume.
        if buffer and keep:
            _write(file, bytes(buffer), state)


def _write(file: BinaryIO, data: bytes, state: _State) -> None:
    try:
        file.write(data)
        file.flush()
    except OSError as exc:
        raise _disk_error(exc, Path(str(file.name))) from None
    state.offset += len(data)


def _disk_error(exc: OSError, part: Path) -> Exception:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        with contextlib.suppress(OSError):
            part.unlink()
        return DiskFull(f"the disk is full writing {part.name}; the partial file was removed")
    return LocalWriteError(f"cannot write {part}: {exc.strerror or exc}")


def _finalize(part: Path, meta: Path, dest: Path, overwrite: bool) -> None:
    """fsync, then rename into place: a reader sees no file or the whole file."""
    if dest.exists() and not overwrite:
        raise DestinationExists(
            f"{dest} appeared during the download; not overwriting it", path=str(dest)
        )
    try:
        with open(part, "rb+") as file:
            os.fsync(file.fileno())
        os.replace(part, dest)
        meta.unlink(missing_ok=True)
    except OSError as exc:
        raise _disk_error(exc, dest) from None
    _fsync_dir(dest.parent)


def _fsync_dir(directory: Path) -> None:
    """Make the rename durable; not every platform can open a directory."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
