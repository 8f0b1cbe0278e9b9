"""Live views of a running task over WebRTC: ls, tail (-f), top, last modified file.

The Inductiva cloud serves these only over a data channel to the task's
machine (the "file tracker" of ``shared/api-contract.md``); the embedded
server serves them the same way. Use::

    async with FileTracker(client, task_id) as tracker:
        tree = await tracker.ls()
        async with contextlib.aclosing(tracker.tail("stdout.txt", 10, follow=True)) as lines:
            async for batch in lines:
                ...

Like the official client, each operation has its own peer connection (the
task runner serves one request per connection); the tracker closes every one
it opened when the ``async with`` ends, when an operation ends, or when the
consuming task is cancelled. Lines and names come from the task: the caller
sanitizes them before showing them.

Errors are the :mod:`~inductiva_top.api.errors` tree: :class:`LiveUnavailable`
without aiortc, :class:`MachineDidNotAnswer` when nothing answers the offer
(a task that is not running), :class:`LiveRequestFailed` when the machine
refuses a request (no such file), :class:`~.errors.ConnectionFailed` when the
connection fails or a follow stream is cut while the task still runs,
:class:`~.errors.TimedOut` when a bound is reached.
"""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator
from types import TracebackType
from typing import Any

from inductiva_top.api.client import InductivaClient
from inductiva_top.api.errors import (
    ApiError,
    BadResponse,
    ConnectionFailed,
    LiveRequestFailed,
    sanitize_excerpt,
)
from inductiva_top.api.rtclink import (
    INSTALL_HINT,
    ChannelClosed,
    LinkTimeouts,
    LiveUnavailable,
    MachineDidNotAnswer,
    RtcLink,
    live_available,
)

__all__ = [
    "DEFAULT_TURN_SERVER",
    "INSTALL_HINT",
    "LAST_MODIFIED_KEYS",
    "TURN_ENV",
    "FileTracker",
    "LinkTimeouts",
    "LiveRequestFailed",
    "LiveUnavailable",
    "MachineDidNotAnswer",
    "ice_urls",
    "live_available",
]

TURN_ENV = "INDUCTIVA_TURN_SERVER_URL"
DEFAULT_TURN_SERVER = "webrtc.inductiva.ai:3478"
"""The official client's default STUN/TURN server (``host:port``)."""
RUNNING = "computation-started"
LAST_MODIFIED_KEYS = ("most_recent_file", "most_recent_timestamp", "now_timestamp")


def ice_urls(turn_url: str | None) -> list[str]:
    """The ICE server URLs for ``turn_url`` (``host:port``), as the official client builds them.

    None means ``$INDUCTIVA_TURN_SERVER_URL`` or the official default; ``""``
    means none at all (host candidates only: enough on one network).
    """
    server = os.environ.get(TURN_ENV, DEFAULT_TURN_SERVER) if turn_url is None else turn_url
    server = server.strip()
    return [f"stun:{server}", f"turn:{server}"] if server else []


def _payload(message: dict[str, Any], task_id: str) -> Any:
    if message.get("status") != "success":
        text = sanitize_excerpt(str(message.get("message", "")))
        raise LiveRequestFailed(f"task {task_id}: {text or 'the request failed'}")
    return message.get("message")


def _lines(payload: Any, task_id: str) -> list[str]:
    if not isinstance(payload, list) or not all(isinstance(line, str) for line in payload):
        excerpt = sanitize_excerpt(repr(payload))
        raise BadResponse(f"unexpected tail lines from task {task_id}", excerpt=excerpt)
    return payload


class FileTracker:
    """The live operations on one running task (see the module doc).

    ``turn_url`` is the STUN/TURN server (see :func:`ice_urls`); ``timeouts``
    bounds every step of a connection.
    """

    def __init__(
        self,
        client: InductivaClient,
        task_id: str,
        *,
        turn_url: str | None = None,
        timeouts: LinkTimeouts | None = None,
    ) -> None:
        self.task_id = task_id
        self._client = client
        self._ice_urls = ice_urls(turn_url)
        self._timeouts = timeouts or LinkTimeouts()
        self._links: set[RtcLink] = set()

    async def __aenter__(self) -> FileTracker:
        if not live_available():
            raise LiveUnavailable(INSTALL_HINT)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    @property
    def open_links(self) -> int:
        """Peer connections open now."""
        return len(self._links)

    async def aclose(self) -> None:
        """Close every peer connection still open."""
        for link in list(self._links):
            await self._drop(link)

    # -- operations ----------------------------------------------------------------

    async def ls(self) -> list[Any]:
        """The task's work dir: a nested list, files as strings and folders as ``{name: [...]}``."""
        tree = await self._one_shot({"type": "ls", "follow": False, "args": {}})
        if not isinstance(tree, list):
            excerpt = sanitize_excerpt(repr(tree))
            raise BadResponse(f"unexpected listing from task {self.task_id}", excerpt=excerpt)
        return tree

    async def top(self) -> str:
        """The text of ``top -b -H -n 1`` on the task's machine."""
        text = await self._one_shot({"type": "top", "follow": False, "args": {}})
        if not isinstance(text, str):
            excerpt = sanitize_excerpt(repr(text))
            raise BadResponse(f"unexpected top from task {self.task_id}", excerpt=excerpt)
        return text

    async def last_modified_file(self) -> dict[str, Any]:
        """The newest file of the work dir and when it changed.

        ``{"most_recent_file", "most_recent_timestamp", "now_timestamp",
        "time_since_last_mod"}`` (Unix seconds of the task's machine).
        """
        found = await self._one_shot({"type": "last_modified_file", "follow": False, "args": {}})
        if not isinstance(found, dict) or not all(key in found for key in LAST_MODIFIED_KEYS):
            excerpt = sanitize_excerpt(repr(found))
            raise BadResponse(f"unexpected last modified file of {self.task_id}", excerpt=excerpt)
        return found

    async def tail(
        self,
        filename: str = "stdout.txt",
        lines: int = 10,
        *,
        follow: bool = False,
        wait: bool = False,
    ) -> AsyncGenerator[list[str], None]:
        """Batches of lines of ``filename``: its last ``lines``, then (``follow``) new ones.

        Without ``follow`` there is one batch (a ``wait`` for it is bounded by
        ``reply_seconds``). A follow stream ends when the
        machine closes it after the task stopped; if it is cut while the task
        still runs, :class:`~.errors.ConnectionFailed`. ``wait`` waits for a
        file the task has not created yet. Close the iterator (``aclosing``)
        or cancel its consumer to stop early: the connection closes with it.
        """
        request = {
            "type": "tail",
            "follow": follow,
            "args": {"filename": filename, "lines": lines, "wait": wait},
        }
        link = await self._connect(request)
        try:
            if not follow:
                yield _lines(_payload(await self._reply(link), self.task_id), self.task_id)
                return
            while True:
                message = await link.receive(None)
                if isinstance(message, ChannelClosed):
                    await self._check_ended(message)
                    return
                yield _lines(_payload(message, self.task_id), self.task_id)
        finally:
            await self._drop(link)

    # -- plumbing ------------------------------------------------------------------

    async def _connect(self, request: dict[str, Any]) -> RtcLink:
        link = RtcLink(self._client, self.task_id, self._ice_urls, self._timeouts)
        self._links.add(link)
        try:
            await link.open(request)
        except MachineDidNotAnswer:
            await self._drop(link)
            raise MachineDidNotAnswer(await self._why_no_answer()) from None
        except BaseException:
            await self._drop(link)
            raise
        return link

    async def _one_shot(self, request: dict[str, Any]) -> Any:
        link = await self._connect(request)
        try:
            return _payload(await self._reply(link), self.task_id)
        finally:
            await self._drop(link)

    async def _reply(self, link: RtcLink) -> dict[str, Any]:
        message = await link.receive(self._timeouts.reply_seconds)
        if isinstance(message, ChannelClosed):
            raise ConnectionFailed(self._cut(message))
        return message

    async def _drop(self, link: RtcLink) -> None:
        self._links.discard(link)
        await link.close()

    def _cut(self, end: ChannelClosed) -> str:
        how = "the WebRTC connection failed" if end.failed else "the channel closed"
        return f"lost the live view of task {self.task_id}: {how}"

    async def _check_ended(self, end: ChannelClosed) -> None:
        """A follow stream's end is normal once the task stopped; otherwise it was cut."""
        try:
            status = await self._client.get_status(self.task_id)
        except ApiError as exc:
            raise ConnectionFailed(f"{self._cut(end)} ({exc})") from None
        if status.status == RUNNING:
            raise ConnectionFailed(self._cut(end))

    async def _why_no_answer(self) -> str:
        """Why nothing answered: a task that is not running says so."""
        try:
            status = await self._client.get_status(self.task_id)
        except ApiError:
            status = None
        if status is not None and status.status != RUNNING:
            return f"task {self.task_id} is not running (status: {status.status})"
        return f"the machine of task {self.task_id} did not answer; try again later"
