"""One HTTP exchange, with every failure translated into the API error tree.

This is the only module that catches ``httpx`` exceptions. It sends one
request, reads the body with a size cap, counts requests and bytes in
:class:`ClientStats`, and turns error statuses and transport failures into
:mod:`inductiva_top.api.errors`. Retrying is the caller's business.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import sys
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any

import httpx

from inductiva_top.api.errors import (
    ApiError,
    BadResponse,
    ConnectionFailed,
    TimedOut,
    error_for_status,
    sanitize_excerpt,
)
from inductiva_top.api.retry import parse_retry_after

__all__ = ["ClientStats", "StreamedResponse", "Wire", "describe_url"]

log = logging.getLogger("inductiva_top.api")


def _settle_sniffio() -> None:
    """Make ``import sniffio`` fail at once where sniffio is not installed.

    httpcore asks ``import sniffio`` on every request (each connection-pool
    lock asks which event loop runs). A failed import is not remembered: each
    one searched every ``sys.path`` entry again (60 us, some 300 times in 20 s
    of a dashboard with 50 running tasks). ``None`` in ``sys.modules`` is
    Python's way of saying a module is absent: the import raises
    ModuleNotFoundError at once, which httpcore and anyio take as "asyncio".
    """
    if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # type: ignore[assignment]


_settle_sniffio()

ERROR_BODY_BYTES = 64 * 1024
"""Enough of an error body for its ``detail``; the rest is not read."""


@dataclass
class ClientStats:
    """Running totals of what the client asked for and got.

    ``requests`` counts every HTTP request sent (each retry too);
    ``bytes_received`` counts response body bytes as they came off the wire.
    """

    requests: int = 0
    bytes_received: int = 0
    bytes_sent: int = 0

    def snapshot(self) -> ClientStats:
        """A copy of the current totals (subtract two to get one refresh's cost)."""
        return replace(self)

    def __sub__(self, other: ClientStats) -> ClientStats:
        return ClientStats(
            requests=self.requests - other.requests,
            bytes_received=self.bytes_received - other.bytes_received,
            bytes_sent=self.bytes_sent - other.bytes_sent,
        )


def describe_url(url: httpx.URL) -> str:
    """Host and path of a URL, never its query (signed URLs keep credentials there)."""
    port = f":{url.port}" if url.port else ""
    return f"{url.host}{port}{url.path}"


def _host(url: httpx.URL) -> str:
    return f"{url.host}:{url.port}" if url.port else url.host


def transport_error(
    exc: Exception, what: str, redact: Callable[[str], str], url: httpx.URL | None = None
) -> ApiError:
    """The API error for an exception ``httpx`` raised while doing ``what`` on ``url``."""
    reason = sanitize_excerpt(redact(str(exc)) or type(exc).__name__)
    where = f" ({_host(url)})" if url is not None else ""
    if isinstance(exc, httpx.ConnectTimeout):
        return TimedOut(f"timed out connecting{where} for {what}")
    if isinstance(exc, httpx.TimeoutException):
        return TimedOut(f"timed out{where}: {what} ({type(exc).__name__})")
    if isinstance(exc, httpx.DecodingError):
        return BadResponse(f"undecodable response to {what}: {reason}", excerpt=reason)
    if isinstance(exc, httpx.ConnectError):
        return ConnectionFailed(f"cannot connect{where} for {what}: {reason}")
    return ConnectionFailed(f"connection failed{where}: {what}: {reason}")


class StreamedResponse:
    """An open response whose body is read as it arrives (a storage download, an API stream).

    ``status`` is the 2xx status (200 or 206 from storage); ``headers`` are
    case-insensitive. Iterate the
    body with :meth:`aiter_bytes`; a failure mid-stream raises an
    :class:`~inductiva_top.api.errors.ApiError` (resume with a ``Range``).
    """

    def __init__(self, response: httpx.Response, wire: Wire, what: str) -> None:
        self._response = response
        self._wire = wire
        self._what = what
        self.status: int = response.status_code
        self.headers: Mapping[str, str] = response.headers

    async def aiter_bytes(self, chunk_size: int | None = None) -> AsyncIterator[bytes]:
        """The body, in chunks, as it arrives."""
        counted = self._response.num_bytes_downloaded
        try:
            async for chunk in self._response.aiter_bytes(chunk_size):
                now = self._response.num_bytes_downloaded
                self._wire.stats.bytes_received += now - counted
                counted = now
                yield chunk
        except httpx.HTTPError as exc:
            raise transport_error(exc, self._what, self._wire.redact, self._response.url) from None


class Wire:
    """Sends requests on one ``httpx.AsyncClient`` and speaks only ``ApiError``."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        stats: ClientStats,
        redact: Callable[[str], str],
        key_source: str,
        max_json_bytes: int,
    ) -> None:
        self.http = http
        self.stats = stats
        self.redact = redact
        self.key_source = key_source
        self.max_json_bytes = max_json_bytes

    async def send(
        self, request: httpx.Request, what: str, *, follow_redirects: bool = False
    ) -> httpx.Response:
        """Send ``request``; the response is open, its body not yet read."""
        self.stats.requests += 1
        if isinstance(request.stream, httpx.ByteStream):
            self.stats.bytes_sent += len(request.content)
        try:
            response = await self.http.send(request, stream=True, follow_redirects=follow_redirects)
        except httpx.HTTPError as exc:
            log.debug("%s failed: %s", what, type(exc).__name__)
            raise transport_error(exc, what, self.redact, request.url) from None
        log.debug("%s -> HTTP %d", what, response.status_code)
        return response

    async def read(self, response: httpx.Response, what: str, limit: int) -> bytes:
        """Read and close the body; refuse (``BadResponse``) one longer than ``limit``."""
        try:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise BadResponse(
                    f"response to {what} is too large ({int(declared)} bytes)",
                    status=response.status_code,
                )
            chunks: list[bytes] = []
            total = 0
            async for chunk in response.aiter_bytes():
                total += len(chunk)
                if total > limit:
                    raise BadResponse(
                        f"response to {what} is larger than {limit} bytes",
                        status=response.status_code,
                    )
                chunks.append(chunk)
            return b"".join(chunks)
        except httpx.HTTPError as exc:
            raise transport_error(exc, what, self.redact, response.url) from None
        finally:
            self.stats.bytes_received += response.num_bytes_downloaded
            await response.aclose()

    async def check(self, response: httpx.Response, what: str, *, storage: bool) -> None:
        """Raise the mapped error (closing the response) unless the status is 2xx."""
        status = response.status_code
        if 200 <= status < 300:
            return
        body = await self._error_body(response, what)
        if 300 <= status < 400 or status < 200:
            target = response.headers.get("location", "")
            where = f" to {sanitize_excerpt(describe_url(httpx.URL(target)))}" if target else ""
            raise BadResponse(
                f"unexpected HTTP {status}{where} answering {what}",
                status=status,
            )
        retry_after = parse_retry_after(
            response.headers.get("retry-after"), datetime.now(timezone.utc)
        )
        # A server that echoes the request back must not put the key in a message.
        body = self.redact(body.decode("utf-8", "replace")).encode()
        raise error_for_status(
            status,
            what=what,
            body=body,
            key_source=self.key_source,
            retry_after=retry_after,
            storage=storage,
        )

    async def _error_body(self, response: httpx.Response, what: str) -> bytes:
        """At most ``ERROR_BODY_BYTES`` of an error body (enough for ``detail``)."""
        try:
            chunks: list[bytes] = []
            total = 0
            async for chunk in response.aiter_bytes():
                chunks.append(chunk)
                total += len(chunk)
                if total >= ERROR_BODY_BYTES:
                    break
            return b"".join(chunks)[:ERROR_BODY_BYTES]
        except httpx.HTTPError:
            return b""  # the status alone still says what went wrong
        finally:
            self.stats.bytes_received += response.num_bytes_downloaded
            await response.aclose()

    async def json(self, request: httpx.Request, what: str) -> Any:
        """Send an API request and decode its JSON answer (``None`` when empty)."""
        response = await self.send(request, what)
        await self.check(response, what, storage=False)
        body = await self.read(response, what, self.max_json_bytes)
        if not body.strip():
            return None
        try:
            return json.loads(body)
        except ValueError:
            excerpt = sanitize_excerpt(self.redact(body[:400].decode("utf-8", "replace")))
            raise BadResponse(
                f"malformed JSON answering {what}", status=response.status_code, excerpt=excerpt
            ) from None
