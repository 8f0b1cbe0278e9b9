"""The embedded server's live routes (``/local/tasks/{id}/...``), on :class:`InductivaClient`.

The Inductiva cloud serves these live views only over a WebRTC data channel
(:mod:`~inductiva_top.api.filetracker`); the embedded server also offers
them over plain HTTP (see ``server/routes/live.py`` and the contract's "local
extensions"). :class:`LocalOps` wraps the routes with the same raw answers
the file tracker gives; :mod:`~inductiva_top.api.live` puts both behind one
interface, and is what the UI uses.

Every answer is ``{"status": "success" | "error", "message": ...}``. Lines
and names come from a task: they are returned as they are, and the caller
sanitizes before showing.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import TypeAdapter

from inductiva_top.api.client import InductivaClient
from inductiva_top.api.errors import BadResponse, sanitize_excerpt
from inductiva_top.api.shapes import BUILT_ON_FIRST_USE, Query, segment, validate

__all__ = ["MAX_MESSAGE_BYTES", "PROBE_PATH", "LocalOps", "TailBatch"]

T = TypeVar("T")

_LINES: TypeAdapter[list[str]] = TypeAdapter(list[str], config=BUILT_ON_FIRST_USE)
_LISTING: TypeAdapter[list[Any]] = TypeAdapter(list[Any], config=BUILT_ON_FIRST_USE)
_NEWEST: TypeAdapter[dict[str, Any]] = TypeAdapter(dict[str, Any], config=BUILT_ON_FIRST_USE)
_TEXT: TypeAdapter[str] = TypeAdapter(str, config=BUILT_ON_FIRST_USE)

MAX_MESSAGE_BYTES = 8 * 1024 * 1024
"""A follow message longer than this is refused (the server batches at 1 MiB)."""

PROBE_PATH = "/local/machine-groups"
"""A route only the embedded server has: a 404 here means the live routes are absent."""


@dataclass(frozen=True)
class TailBatch:
    """One message of a followed tail.

    ``lines`` are complete lines, each whole (the first ends the unfinished
    line that ``partial`` texts were building, if any). ``partial`` is text
    written of the next, unfinished line since the previous batch: after
    ``lines`` it starts that line, else it extends it. Only the embedded
    server's HTTP stream sends it; over WebRTC it is always empty.
    """

    lines: list[str]
    partial: str = ""


def _message(payload: Any, what: str) -> Any:
    if not isinstance(payload, dict) or payload.get("status") != "success":
        excerpt = sanitize_excerpt(repr(payload))
        raise BadResponse(f"unexpected answer to {what}", excerpt=excerpt)
    return payload.get("message")


class LocalOps:
    """The embedded server's live routes, through ``client``'s connection pool.

    Errors are the client's :mod:`~inductiva_top.api.errors`: a refused
    request is the error of its HTTP status (404 no such file, 409 not running).
    """

    def __init__(self, client: InductivaClient) -> None:
        self._client = client

    async def _get(
        self, task_id: str, route: str, adapter: TypeAdapter[T], params: Query | None = None
    ) -> T:
        path = f"/local/tasks/{segment(task_id)}/{route}"
        what = f"GET {path}"
        payload = await self._client.request_json("GET", path, params=params)
        return validate(adapter, _message(payload, what), what)

    async def files(self, task_id: str) -> list[Any]:
        """``GET .../files``: the work dir, files as strings and folders as ``{name: [...]}``."""
        return await self._get(task_id, "files", _LISTING)

    async def top(self, task_id: str) -> str:
        """``GET .../top``: the text of a ``top -b -n 1``-like snapshot of the task's processes."""
        return await self._get(task_id, "top", _TEXT)

    async def last_modified_file(self, task_id: str) -> dict[str, Any]:
        """``GET .../last-modified-file``: the newest file of the work dir and when it changed."""
        return await self._get(task_id, "last-modified-file", _NEWEST)

    async def tail(self, task_id: str, filename: str = "stdout.txt", lines: int = 10) -> list[str]:
        """``GET .../tail``: the file's last ``lines`` lines."""
        params = [("filename", filename), ("lines", str(lines))]
        return await self._get(task_id, "tail", _LINES, params)

    async def follow(
        self, task_id: str, filename: str = "stdout.txt", lines: int = 10
    ) -> AsyncGenerator[TailBatch, None]:
        """The follow stream: batches of lines (the last ``lines`` first, then new ones).

        Each batch may also carry the line being written (:class:`TailBatch`).
        Ends when the task stops running. Waits for a file that does not exist
        yet while the task runs. The stream has no read timeout (a quiet task
        writes nothing for a long time): cancel the consuming task to stop it.
        """
        path = f"/local/tasks/{segment(task_id)}/tail"
        what = f"GET {path}"
        params = [
            ("filename", filename),
            ("lines", str(lines)),
            ("follow", "true"),
            ("wait", "true"),
        ]
        async with self._client.stream("GET", path, params=params) as response:
            pending = b""
            async for chunk in response.aiter_bytes():
                pending += chunk
                *complete, pending = pending.split(b"\n")
                if len(pending) > MAX_MESSAGE_BYTES:
                    raise BadResponse(f"a message of {what} is too long")
                for raw in complete:
                    if raw.strip():
                        yield self._batch(raw, what)
            if pending.strip():
                yield self._batch(pending, what)

    @staticmethod
    def _batch(raw: bytes, what: str) -> TailBatch:
        try:
            payload = json.loads(raw)
        except ValueError:
            excerpt = sanitize_excerpt(raw[:400].decode("utf-8", "replace"))
            raise BadResponse(f"malformed message in {what}", excerpt=excerpt) from None
        lines = validate(_LINES, _message(payload, what), what)
        partial = validate(_TEXT, payload.get("partial", ""), what)
        return TailBatch(lines, partial)
