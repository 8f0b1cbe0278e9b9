"""Receiving an uploaded input zip without ever exposing a half-written file.

The body is streamed to a hidden temporary file next to the target, checked
(size cap, a readable zip), flushed to disk and renamed over the target in one
step. On any failure the temporary file is removed and the previous file, if
any, is left as it was.
"""

from __future__ import annotations

import errno
import os
import secrets
import zipfile
from pathlib import Path
from typing import BinaryIO

import anyio.to_thread
from fastapi import HTTPException, Request

from inductiva_top.server.errors import unprocessable
from inductiva_top.server.files.archive import PARTIAL_SUFFIX

DEFAULT_MAX_UPLOAD_BYTES = 20 * 1024**3
WRITE_BATCH_BYTES = 1024 * 1024


def _open_temp(target: Path) -> tuple[Path, BinaryIO]:
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # The partial suffix lets crash recovery sweep it up with half-written outputs.
    temp = target.with_name(f".{target.name}.{secrets.token_hex(8)}{PARTIAL_SUFFIX}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    return temp, os.fdopen(fd, "wb")


def _finish(handle: BinaryIO, temp: Path, target: Path) -> None:
    handle.flush()
    os.fsync(handle.fileno())
    handle.close()
    if not zipfile.is_zipfile(temp):
        raise unprocessable(["body"], "the uploaded file is not a zip archive")
    os.replace(temp, target)


def _too_large(max_bytes: int) -> HTTPException:
    return HTTPException(status_code=413, detail=f"uploads are limited to {max_bytes} bytes")


async def receive_upload(request: Request, target: Path, max_bytes: int) -> int:
    """Stream the request body into ``target`` atomically; the number of bytes stored.

    Raises HTTPException: 413 over ``max_bytes``, 422 when not a zip, 507 when
    the disk is full, 500 on another I/O error.
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(max_bytes)
    temp, handle = await anyio.to_thread.run_sync(_open_temp, target)
    received = 0
    buffer = bytearray()
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > max_bytes:
                raise _too_large(max_bytes)
            buffer += chunk
            # Batched so the thread hand-off costs little next to the write.
            if len(buffer) >= WRITE_BATCH_BYTES:
                await anyio.to_thread.run_sync(handle.write, bytes(buffer))
                buffer.clear()
        if buffer:
            await anyio.to_thread.run_sync(handle.write, bytes(buffer))
        await anyio.to_thread.run_sync(_finish, handle, temp, target)
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise HTTPException(status_code=507, detail="the server's disk is full") from None
        raise HTTPException(
            status_code=500, detail=f"could not store the upload: {exc.strerror}"
        ) from None
    finally:
        handle.close()
        temp.unlink(missing_ok=True)
    return received
