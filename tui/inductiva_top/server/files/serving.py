"""Serving one stored file over HTTP with validators and a single byte range.

Starlette's ``FileResponse`` handles ``Range`` too, but it stats the file by
name and opens it again later, so a file replaced in between (an input
re-uploaded, renamed into place) could be served with the other file's length
and validators. Here the file is opened once, without following symbolic links,
and every header is derived from that open file.

Semantics (RFC 9110):

* ``ETag`` (strong: size, mtime and inode), ``Last-Modified``, ``Accept-Ranges: bytes``.
* ``Range: bytes=a-b`` / ``a-`` / ``-n``: 206 with ``Content-Range``;
  an unsatisfiable range: 416 with ``Content-Range: bytes */<size>``.
  A header that is not a single byte range (several ranges, another unit,
  garbage) is ignored and the whole file sent, which RFC 9110 allows.
* ``If-Range`` with an ETag or an HTTP date: the range is honoured only when it
  matches the current validator exactly; otherwise the whole file (200).
* ``HEAD`` answers the same headers with no body.
"""

from __future__ import annotations

import io
import os
import re
import stat
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path

import anyio.to_thread
from starlette.responses import Response, StreamingResponse

CHUNK_BYTES = 1024 * 1024

_SINGLE_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


@dataclass(frozen=True)
class ByteRange:
    """An inclusive byte range ``first..last`` of a file."""

    first: int
    last: int

    @property
    def length(self) -> int:
        return self.last - self.first + 1


class Unsatisfiable(Exception):
    """The asked range starts beyond the end of the file."""


def parse_range(header: str, size: int) -> ByteRange | None:
    """The single byte range asked by a ``Range`` header, or None to send it all.

    Raises :class:`Unsatisfiable` when the range is well formed but no byte of it exists.
    """
    match = _SINGLE_RANGE.fullmatch(header.strip().replace(" ", ""))
    if match is None:
        return None
    first_text, last_text = match.groups()
    if not first_text and not last_text:
        return None
    if not first_text:
        suffix = int(last_text)
        if suffix == 0 or size == 0:
            raise Unsatisfiable
        return ByteRange(max(size - suffix, 0), size - 1)
    first = int(first_text)
    last = int(last_text) if last_text else size - 1
    if last_text and last < first:
        return None
    if first >= size:
        raise Unsatisfiable
    return ByteRange(first, min(last, size - 1))


def etag_of(info: os.stat_result) -> str:
    """A strong entity tag that changes when the file is replaced or rewritten."""
    return f'"{info.st_size:x}-{info.st_mtime_ns:x}-{info.st_ino:x}"'


def open_regular(path: Path) -> tuple[io.FileIO, os.stat_result]:
    """Open ``path`` for reading, refusing symbolic links and non-regular files.

    Raises FileNotFoundError when there is no such regular file.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        raise FileNotFoundError(path.name) from None
    except OSError as exc:
        # ELOOP: the last component is a symbolic link.
        raise FileNotFoundError(path.name) from exc
    handle = io.FileIO(fd, "rb", closefd=True)
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        handle.close()
        raise FileNotFoundError(path.name)
    return handle, info


def file_response(
    path: Path,
    *,
    method: str,
    range_header: str | None,
    if_range: str | None,
    media_type: str = "application/octet-stream",
) -> Response:
    """Answer a GET or HEAD for ``path`` (see the module doc). Raises FileNotFoundError."""
    handle, info = open_regular(path)
    size = info.st_size
    etag = etag_of(info)
    last_modified = formatdate(info.st_mtime, usegmt=True)
    headers = {"accept-ranges": "bytes", "etag": etag, "last-modified": last_modified}

    wanted: ByteRange | None = None
    use_range = range_header is not None and (
        if_range is None or if_range.strip() in (etag, last_modified)
    )
    if use_range and range_header is not None:
        try:
            wanted = parse_range(range_header, size)
        except Unsatisfiable:
            handle.close()
            headers["content-range"] = f"bytes */{size}"
            return Response(status_code=416, headers=headers)

    status_code = 200
    first, length = 0, size
    if wanted is not None:
        status_code = 206
        first, length = wanted.first, wanted.length
        headers["content-range"] = f"bytes {wanted.first}-{wanted.last}/{size}"
    headers["content-length"] = str(length)

    if method == "HEAD":
        handle.close()
        return Response(status_code=status_code, headers=headers, media_type=media_type)
    return StreamingResponse(
        _read_chunks(handle, first, length),
        status_code=status_code,
        headers=headers,
        media_type=media_type,
    )


async def _read_chunks(handle: io.FileIO, first: int, length: int) -> AsyncIterator[bytes]:
    """Yield ``length`` bytes of ``handle`` from ``first``, reading in a worker thread."""
    try:
        offset, remaining = first, length
        while remaining > 0:
            chunk = await anyio.to_thread.run_sync(
                os.pread, handle.fileno(), min(CHUNK_BYTES, remaining), offset
            )
            if not chunk:
                # The file shrank under us; the client sees a short body and retries.
                return
            offset += len(chunk)
            remaining -= len(chunk)
            yield chunk
    finally:
        handle.close()
