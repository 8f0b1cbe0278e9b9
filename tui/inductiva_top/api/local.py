"""The embedded server's live routes (``/local/...``), on top of :class:`InductivaClient`.

The Inductiva cloud does these over a WebRTC data channel, which this client
does not speak; the embedded server offers them over plain HTTP (see
``server/live.py`` and the contract's "local extensions"). :class:`LocalOps`
wraps them, and :meth:`LocalOps.available` says once whether the server has
them at all, so a pane can say "not available on this server" instead of
showing an error.

Every message is ``{"status": "success" | "error", "message": ...}``. Lines
and names come from a task: they are returned as they are, and the caller
sanitizes before showing.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import TypeAdapter

from inductiva_top.api.client import InductivaClient, _parse, _seg
from inductiva_top.api.errors import BadResponse, NotFound, sanitize_excerpt
from inductiva_top.api.wire import transport_error

__all__ = ["MAX_MESSAGE_BYTES", "LocalOps", "WorkEntry", "parse_tree"]

MAX_TREE_DEPTH = 64
"""A listing nested deeper than this is refused (a real work dir is far shallower)."""


@dataclass(frozen=True)
class WorkEntry:
    """One entry of a work dir listing: a file (``children is None``) or a folder."""

    name: str
    children: tuple[WorkEntry, ...] | None = None


def parse_tree(payload: Any, what: str, depth: int = 0) -> tuple[WorkEntry, ...]:
    """The wire listing (files as strings, folders as ``{name: [...]}``) as entries."""
    if depth > MAX_TREE_DEPTH:
        raise BadResponse(f"the listing of {what} is nested too deep")
    if not isinstance(payload, list):
        raise BadResponse(f"unexpected listing in {what}", excerpt=sanitize_excerpt(repr(payload)))
    entries: list[WorkEntry] = []
    for item in payload:
        if isinstance(item, str):
            entries.append(WorkEntry(item))
        elif isinstance(item, dict) and all(isinstance(k, str) for k in item):
            for name, children in item.items():
                entries.append(WorkEntry(name, parse_tree(children, what, depth + 1)))
        else:
            excerpt = sanitize_excerpt(repr(item))
            raise BadResponse(f"unexpected listing entry in {what}", excerpt=excerpt)
    return tuple(entries)


_LINES: TypeAdapter[list[str]] = TypeAdapter(list[str])

MAX_MESSAGE_BYTES = 8 * 1024 * 1024
"""A follow message longer than this is refused (the server batches at 1 MiB)."""

_PROBE = "/local/machine-groups"


def _message(payload: Any, what: str) -> Any:
    if not isinstance(payload, dict) or payload.get("status") != "success":
        excerpt = sanitize_excerpt(repr(payload))
        raise BadResponse(f"unexpected answer to {what}", excerpt=excerpt)
    return payload.get("message")


class LocalOps:
    """Live task operations of the embedded server, through ``client``'s connection pool.

    Errors are the client's :mod:`~inductiva_top.api.errors`; a server
    without these routes answers :class:`~inductiva_top.api.errors.NotFound`.
    """

    def __init__(self, client: InductivaClient) -> None:
        self._client = client
        self._available: bool | None = None

    @property
    def known_available(self) -> bool | None:
        """What :meth:`available` found, without asking (None: not asked yet)."""
        return self._available

    async def available(self) -> bool:
        """Whether the server has the live routes (asked once, then remembered).

        A 404 on the probe means "no" (the Inductiva cloud); any other error
        propagates and the next call asks again.
        """
        if self._available is None:
            try:
                await self._client._call("GET", _PROBE)
            except NotFound:
                self._available = False
            else:
                self._available = True
        return self._available

    async def files(self, task_id: str) -> tuple[WorkEntry, ...]:
        """``GET /local/tasks/{id}/files``: the task's work dir, nested."""
        path = f"/local/tasks/{_seg(task_id)}/files"
        what = f"GET {path}"
        return parse_tree(_message(await self._client._call("GET", path), what), what)

    async def tail(self, task_id: str, filename: str = "stdout.txt", lines: int = 10) -> list[str]:
        """``GET /local/tasks/{id}/tail``: the file's last ``lines`` lines."""
        path = f"/local/tasks/{_seg(task_id)}/tail"
        params = [("filename", filename), ("lines", str(lines))]
        what = f"GET {path}"
        payload = await self._client._call("GET", path, params=params)
        return _parse(_LINES, _message(payload, what), what)

    async def follow(
        self, task_id: str, filename: str = "stdout.txt", lines: int = 10
    ) -> AsyncIterator[list[str]]:
        """The follow stream: batches of lines (the last ``lines`` first, then new ones).

        Ends when the task stops running. Waits for a file that does not exist
        yet while the task runs. The stream has no read timeout (a quiet task
        writes nothing for a long time): cancel the consuming task to stop it.
        """
        path = f"/local/tasks/{_seg(task_id)}/tail"
        what = f"GET {path}"
        params = [
            ("filename", filename),
            ("lines", str(lines)),
            ("follow", "true"),
            ("wait", "true"),
        ]
        client = self._client
        request = client._api_request("GET", path, params, None)
        timeout = client._timeouts
        request.extensions["timeout"] = httpx.Timeout(
            connect=timeout.connect, read=None, write=timeout.write, pool=timeout.pool
        ).as_dict()
        wire = client._wire
        response = await wire.send(request, what)
        try:
            await wire.check(response, what, storage=False)
            pending = b""
            counted = response.num_bytes_downloaded
            try:
                async for chunk in response.aiter_raw():
                    now = response.num_bytes_downloaded
                    wire.stats.bytes_received += now - counted
                    counted = now
                    pending += chunk
                    *complete, pending = pending.split(b"\n")
                    if len(pending) > MAX_MESSAGE_BYTES:
                        raise BadResponse(f"a message of {what} is too long")
                    for raw in complete:
                        if raw.strip():
                            yield self._batch(raw, what)
            except httpx.HTTPError as exc:
                raise transport_error(exc, what, wire.redact, response.url) from None
            if pending.strip():
                yield self._batch(pending, what)
        finally:
            await response.aclose()

    @staticmethod
    def _batch(raw: bytes, what: str) -> list[str]:
        try:
            payload = json.loads(raw)
        except ValueError:
            excerpt = sanitize_excerpt(raw[:400].decode("utf-8", "replace"))
            raise BadResponse(f"malformed message in {what}", excerpt=excerpt) from None
        return _parse(_LINES, _message(payload, what), what)
