"""The one error tree every caller of :mod:`inductiva_top.api` sees.

Every transport failure and every HTTP error status is translated into one of
these classes inside ``api/``; nothing above it ever handles an ``httpx``
exception. Each error's ``str()`` is a single line fit to show a user. Texts
that come from a server are data: they are stripped of control characters and
cut short before they reach a message.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = [
    "TRANSIENT",
    "ApiError",
    "BadResponse",
    "ClientError",
    "Conflict",
    "ConnectionFailed",
    "LiveRequestFailed",
    "NotFound",
    "RateLimited",
    "ServerError",
    "TimedOut",
    "Unauthorized",
    "error_for_status",
    "render_detail",
    "sanitize_excerpt",
]

EXCERPT_CHARS = 200
"""Longest piece of server text an error message carries."""

# C0/C1 controls, DEL and the bidi overrides: nothing a one-line message may hold.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]+")


def sanitize_excerpt(text: str | bytes, limit: int = EXCERPT_CHARS) -> str:
    """A short, printable, single-line excerpt of untrusted server text."""
    if isinstance(text, bytes):
        text = text[: limit * 4].decode("utf-8", errors="replace")
    cleaned = _UNSAFE.sub(" ", text).strip()
    cleaned = re.sub(r" {2,}", " ", cleaned)
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 1].rstrip() + "…"
    return cleaned


class ApiError(Exception):
    """Base of every error the API client raises.

    ``status`` is the HTTP status when there was a response, ``retry_after``
    the seconds the server asked to wait (``Retry-After``), when it said so,
    and ``detail`` the server's own explanation, made readable (``""``: none).
    """

    status: int | None = None
    retry_after: float | None = None
    detail: str = ""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        detail: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after
        self.detail = detail

    def __str__(self) -> str:
        return self.message


class ConnectionFailed(ApiError):
    """The server could not be reached, or the connection broke mid-way."""


class TimedOut(ApiError):
    """No answer in time (a client-side timeout, or HTTP 408 from the server)."""


class Unauthorized(ApiError):
    """HTTP 401/403: the key was missing, wrong, or not allowed to do this.

    The message names where the key came from (``key_source``), never the key.
    """

    def __init__(self, message: str, *, status: int, key_source: str = "") -> None:
        super().__init__(message, status=status)
        self.key_source = key_source


class NotFound(ApiError):
    """HTTP 404: no such task, project or file."""


class RateLimited(ApiError):
    """HTTP 429: too many requests; ``retry_after`` says how long to wait, if known."""


class ServerError(ApiError):
    """HTTP 5xx: the server failed."""


class LiveRequestFailed(ApiError):
    """A running task's machine refused a live request (no such file, not running).

    The same error whether the request went over HTTP or WebRTC; the message
    carries the machine's own words, sanitized.
    """


class BadResponse(ApiError):
    """The server answered with something unusable: bad JSON, wrong shape, too big.

    ``excerpt`` is a short, sanitized start of what came back, for diagnosis.
    """

    def __init__(self, message: str, *, status: int | None = None, excerpt: str = "") -> None:
        super().__init__(message, status=status)
        self.excerpt = excerpt


class ClientError(ApiError):
    """Any other HTTP 4xx; ``detail`` is the server's explanation, made readable."""

    def __init__(self, message: str, *, status: int, detail: str = "") -> None:
        super().__init__(message, status=status, detail=detail)


class Conflict(ClientError):
    """HTTP 409: the request conflicts with the current state of the resource."""


TRANSIENT = (ConnectionFailed, TimedOut, ServerError, RateLimited)
"""Errors worth another try: the same request may well work a little later."""


def _render_validation_item(item: Any) -> str:
    if not isinstance(item, dict):
        return str(item)
    loc = item.get("loc")
    msg = str(item.get("msg", "invalid"))
    if isinstance(loc, list):
        # FastAPI prefixes the location with where it looked: body, query, path.
        parts = [str(p) for p in loc]
        if len(parts) > 1 and parts[0] in {"body", "query", "path", "header", "cookie"}:
            parts = parts[1:]
        return f"{'.'.join(parts)}: {msg}" if parts else msg
    return msg


def render_detail(body: bytes) -> str:
    """The FastAPI ``detail`` of an error body as one readable, sanitized line.

    ``{"detail": "text"}`` gives the text; a 422 list of ``{"loc", "msg"}``
    gives ``field: message; field: message``; the live routes' ``{"status":
    "error", "message": "text"}`` gives the text. A body that is not FastAPI
    JSON gives a short excerpt of it, or ``""`` when it is empty.
    """
    if not body.strip():
        return ""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return sanitize_excerpt(body)
    detail = payload
    if isinstance(payload, dict):
        detail = payload.get("detail", payload.get("message", payload))
    if isinstance(detail, str):
        return sanitize_excerpt(detail)
    if isinstance(detail, list):
        return sanitize_excerpt("; ".join(_render_validation_item(item) for item in detail))
    return sanitize_excerpt(json.dumps(detail, ensure_ascii=False))


def _with_detail(text: str, detail: str) -> str:
    return f"{text}: {detail}" if detail else text


def error_for_status(
    status: int,
    *,
    what: str,
    body: bytes,
    key_source: str,
    retry_after: float | None = None,
    storage: bool = False,
) -> ApiError:
    """The error for an HTTP error ``status`` (>= 400) answered to ``what``.

    ``what`` names the request for the user (``"GET /tasks/abc"``); it must not
    carry query strings, which for signed URLs hold credentials. ``storage``
    marks requests to a signed storage URL, where 401/403 means the URL was
    refused (expired or tampered), not that the API key is wrong.
    """
    detail = render_detail(body)
    if status in (401, 403):
        if storage:
            text = f"storage refused the signed URL for {what} (HTTP {status}); it may have expired"
        elif key_source:
            text = f"the API refused the key from {key_source} (HTTP {status})"
        else:
            text = f"the API requires a key and none is set (HTTP {status})"
        return Unauthorized(_with_detail(text, detail), status=status, key_source=key_source)
    if status == 404:
        return NotFound(_with_detail(f"not found: {what}", detail), status=status, detail=detail)
    if status == 408:
        return TimedOut(f"the server timed out waiting for {what} (HTTP 408)", status=status)
    if status == 409:
        text = _with_detail(f"conflict: {what} (HTTP 409)", detail)
        return Conflict(text, status=status, detail=detail)
    if status == 429:
        wait = f"; retry in {retry_after:.0f}s" if retry_after is not None else ""
        return RateLimited(
            f"rate limited by the server on {what} (HTTP 429){wait}",
            status=status,
            retry_after=retry_after,
        )
    if status >= 500:
        text = _with_detail(f"server error on {what} (HTTP {status})", detail)
        return ServerError(text, status=status, retry_after=retry_after)
    text = _with_detail(f"{what} was rejected (HTTP {status})", detail)
    return ClientError(text, status=status, detail=detail)
