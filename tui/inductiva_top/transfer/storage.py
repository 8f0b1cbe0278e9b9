"""What transfer needs from the API client to reach signed storage URLs.

Transfer is written against these two small protocols, not against the
client class, so it can be tested over any HTTP server and the client stays
free to change its internals. :class:`inductiva_top.api.client.ApiClient`
satisfies :class:`StorageStreamer`: ``storage_stream`` sends a GET to a signed
URL *without* the API key, raises the :mod:`inductiva_top.api.errors` tree on
transport failures and HTTP error statuses (including mid-body), and yields
the response.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol

__all__ = ["ContentRange", "StorageResponse", "StorageStreamer", "parse_content_range"]


class StorageResponse(Protocol):
    """A streaming response from a storage URL."""

    @property
    def status(self) -> int:
        """The HTTP status code (200 or 206 on success)."""
        ...

    @property
    def headers(self) -> Mapping[str, str]:
        """The response headers; lookups are case-insensitive."""
        ...

    def aiter_bytes(self) -> AsyncIterator[bytes]:
        """The body, chunk by chunk, as it arrives."""
        ...


class StorageStreamer(Protocol):
    """Something that can stream a signed storage URL, optionally a byte range of it."""

    def storage_stream(
        self,
        url: str,
        *,
        byte_range: tuple[int, int | None] | None = None,
        if_range: str | None = None,
    ) -> AbstractAsyncContextManager[StorageResponse]:
        """GET ``url``; ``byte_range`` is ``(first, last)`` inclusive, ``last=None`` to the end."""
        ...


@dataclass(frozen=True)
class ContentRange:
    """A parsed ``Content-Range: bytes first-last/total`` header (``total`` may be unknown)."""

    first: int
    last: int
    total: int | None


_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$", re.IGNORECASE)


def parse_content_range(value: str | None) -> ContentRange | None:
    """Parse a ``Content-Range`` header of a 206 answer; ``None`` when absent or malformed."""
    if not value:
        return None
    match = _CONTENT_RANGE.match(value)
    if match is None:
        return None
    first, last = int(match.group(1)), int(match.group(2))
    total = None if match.group(3) == "*" else int(match.group(3))
    if last < first or (total is not None and last >= total):
        return None
    return ContentRange(first, last, total)
