"""Random access to a remote file: the :class:`RangeSource` protocol and its sources.

:class:`HttpRangeSource` reads a signed storage URL with HTTP ``Range``
requests only, and counts what it asks for, so callers (and tests) can prove
that reading one member of a big archive fetched a small part of it.
:class:`BytesRangeSource` serves bytes held in memory, for unit tests and for
archives already downloaded.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Mapping
from contextlib import aclosing
from typing import Protocol

from inductiva_top.api.errors import ConnectionFailed, TimedOut
from inductiva_top.transfer.errors import (
    ArchiveChanged,
    BadArchive,
    RangeNotSupported,
)
from inductiva_top.transfer.storage import StorageStreamer, parse_content_range

__all__ = ["BytesRangeSource", "HttpRangeSource", "RangeSource"]


class RangeSource(Protocol):
    """A file that can be read by byte ranges; ``end`` is exclusive everywhere here."""

    async def size(self) -> int:
        """The total size in bytes."""
        ...

    def stream(self, start: int, end: int) -> AsyncGenerator[bytes, None]:
        """The bytes ``[start, end)``, in chunks as they arrive."""
        ...

    async def read(self, start: int, end: int) -> bytes:
        """The bytes ``[start, end)`` at once."""
        ...


class BytesRangeSource:
    """A :class:`RangeSource` over bytes in memory, counting what is read."""

    def __init__(self, data: bytes, *, chunk_size: int = 64 * 1024) -> None:
        self._data = data
        self._chunk_size = chunk_size
        self.requests = 0
        """How many range reads were made."""
        self.bytes_requested = 0
        """The sum of the lengths of every range read."""

    async def size(self) -> int:
        return len(self._data)

    async def stream(self, start: int, end: int) -> AsyncGenerator[bytes, None]:
        _check_range(start, end, len(self._data))
        self.requests += 1
        self.bytes_requested += end - start
        for pos in range(start, end, self._chunk_size):
            yield self._data[pos : min(end, pos + self._chunk_size)]

    async def read(self, start: int, end: int) -> bytes:
        return b"".join([chunk async for chunk in self.stream(start, end)])


def _check_range(start: int, end: int, size: int | None) -> None:
    if start < 0 or end < start or (size is not None and end > size):
        raise BadArchive(f"byte range {start}-{end} lies outside the file ({size} bytes)")


class HttpRangeSource:
    """A :class:`RangeSource` over a signed storage URL, by ``Range`` requests.

    The first response fixes the file's size and ETag; a later response with
    another size or ETag raises :class:`ArchiveChanged` instead of mixing two
    versions of the file. A connection cut mid-range is resumed from the
    last byte received, up to ``retries`` times.
    """

    def __init__(
        self,
        streamer: StorageStreamer,
        url: str,
        *,
        size: int | None = None,
        retries: int = 3,
        retry_delay: float = 0.5,
    ) -> None:
        self._streamer = streamer
        self._url = url
        self._size = size
        self._etag: str | None = None
        self._retries = retries
        self._retry_delay = retry_delay
        self.requests = 0
        """How many HTTP requests were sent."""
        self.bytes_requested = 0
        """The sum of the lengths of every range asked for."""

    @property
    def etag(self) -> str | None:
        """The ETag the storage host gave, once a response arrived."""
        return self._etag

    async def size(self) -> int:
        if self._size is None:
            # One byte is the cheapest way to learn the total: Content-Range carries it.
            await self.read(0, 1)
        if self._size is None:
            raise RangeNotSupported("the storage host did not say the file's size (Content-Range)")
        return self._size

    async def read(self, start: int, end: int) -> bytes:
        return b"".join([chunk async for chunk in self.stream(start, end)])

    async def stream(self, start: int, end: int) -> AsyncGenerator[bytes, None]:
        _check_range(start, end, self._size)
        pos = start
        failures = 0
        while pos < end:
            try:
                # aclosing: a reader that stops early closes the response now, not at GC.
                async with aclosing(self._stream_once(pos, end)) as chunks:
                    async for chunk in chunks:
                        pos += len(chunk)
                        failures = 0
                        yield chunk
            except (ConnectionFailed, TimedOut):
                failures += 1
                if failures > self._retries:
                    raise
                await asyncio.sleep(self._retry_delay * failures)

    async def _stream_once(self, start: int, end: int) -> AsyncGenerator[bytes, None]:
        self.requests += 1
        self.bytes_requested += end - start
        async with self._streamer.storage_stream(
            self._url, byte_range=(start, end - 1), if_range=self._etag
        ) as response:
            self._check_response(response.status, response.headers, start, end)
            remaining = end - start
            async for chunk in response.aiter_bytes():
                if len(chunk) > remaining:
                    raise RangeNotSupported("the storage host sent more bytes than the range asked")
                remaining -= len(chunk)
                yield chunk
                if remaining == 0:
                    return
            if remaining:
                raise ConnectionFailed(
                    f"storage connection ended {remaining} bytes short of the range"
                )

    def _check_response(
        self, status: int, headers: Mapping[str, str], start: int, end: int
    ) -> None:
        content_range = headers.get("content-range")
        etag = headers.get("etag")
        if status == 200:
            if self._etag is not None:
                raise ArchiveChanged("the remote archive changed while it was being read")
            raise RangeNotSupported("the storage host ignored the Range request (HTTP 200)")
        if status != 206:
            raise RangeNotSupported(f"the storage host answered a range request with HTTP {status}")
        parsed = parse_content_range(content_range)
        if parsed is None or parsed.first != start or parsed.last != end - 1:
            raise RangeNotSupported("the storage host answered with another byte range")
        if parsed.total is not None:
            if self._size is not None and parsed.total != self._size:
                raise ArchiveChanged("the remote archive changed size while it was being read")
            self._size = parsed.total
        if etag:
            if self._etag is not None and etag != self._etag:
                raise ArchiveChanged("the remote archive changed while it was being read")
            self._etag = etag
