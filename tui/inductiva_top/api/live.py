"""One interface to a running task, whichever transport carries it.

A running task offers four live views: its work dir, the lines of a file
(once, or followed as they are written), ``top`` and its newest file. The
embedded server serves them over plain HTTP (:mod:`~inductiva_top.api.local`);
the Inductiva cloud only over a WebRTC data channel to the task's machine
(:mod:`~inductiva_top.api.filetracker`, which needs aiortc).

:class:`LiveTask` is the one interface, with the same shapes and the same
errors from its two adapters, :class:`HttpLiveTask` and
:class:`WebRtcLiveTask`. :class:`LiveAccess` chooses the transport once per
API (it asks the server once whether it has the live routes) and hands out
an adapter per task, or :class:`NoLive` saying why there is none::

    live = await access.live_for(task_id)
    if isinstance(live, NoLive):
        show(live.message)
    else:
        async with aclosing(live):  # closes whatever connection is still open
            async for batch in live.follow("stdout.txt", 100):
                ...  # batch.lines, and batch.partial: the line being written

Errors are the :mod:`~inductiva_top.api.errors` tree whatever the transport:
:class:`~.errors.LiveRequestFailed` when the task's machine refuses a request
(no such file, not running), the transient errors when it cannot be reached,
:class:`~.rtclink.MachineDidNotAnswer` and :class:`~.rtclink.LiveUnavailable`
over WebRTC. :meth:`LiveTask.retry_after` says whether, and when, to ask again.

Lines and names come from a task: callers sanitize them before showing them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterator
from contextlib import aclosing, contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar

from inductiva_top.api.client import InductivaClient
from inductiva_top.api.errors import (
    TRANSIENT,
    ApiError,
    BadResponse,
    ClientError,
    LiveRequestFailed,
    NotFound,
    sanitize_excerpt,
)
from inductiva_top.api.filetracker import LAST_MODIFIED_KEYS, FileTracker, LiveUnavailable
from inductiva_top.api.local import PROBE_PATH, LocalOps, TailBatch
from inductiva_top.api.rtclink import live_available
from inductiva_top.server.knobs import METRICS_INTERVAL

__all__ = [
    "NO_LIVE_VIEW",
    "HttpLiveTask",
    "LastModified",
    "LiveAccess",
    "LiveTask",
    "NoLive",
    "TailBatch",
    "WebRtcLiveTask",
    "WorkEntry",
    "parse_tree",
]

MAX_TREE_DEPTH = 64
"""A listing nested deeper than this is refused (a real work dir is far shallower)."""

NO_LIVE_VIEW = (
    "Live views of running tasks on the Inductiva cloud are not available yet: "
    "they need pip install 'inductiva-top[live]'."
)


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


def _seconds(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


@dataclass(frozen=True)
class LastModified:
    """The newest file of a task's work dir; times are Unix seconds of the task's machine.

    A time the machine sent as anything but a number is ``None``.
    """

    path: str
    """Relative to the work dir, as the task named it (sanitize before showing)."""
    modified: float | None
    now: float | None
    """The machine's clock when it answered."""
    age: float | None
    """Seconds since the file last changed."""

    @classmethod
    def parse(cls, payload: Any, what: str) -> LastModified:
        """The answer ``{"most_recent_file", "most_recent_timestamp", "now_timestamp", ...}``."""
        if not isinstance(payload, dict) or not all(key in payload for key in LAST_MODIFIED_KEYS):
            excerpt = sanitize_excerpt(repr(payload))
            raise BadResponse(f"unexpected answer about {what}", excerpt=excerpt)
        return cls(
            path=str(payload["most_recent_file"]),
            modified=_seconds(payload["most_recent_timestamp"]),
            now=_seconds(payload["now_timestamp"]),
            age=_seconds(payload.get("time_since_last_mod")),
        )


@dataclass(frozen=True)
class NoLive:
    """No live view of a running task is possible here; ``message`` says why, for the user."""

    message: str


class LiveTask(ABC):
    """The live views of one running task (see the module doc).

    Call :meth:`aclose` when done (or ``async with aclosing(live)``): it
    closes any connection an operation still holds. Every operation may be
    cancelled; its connection closes with it.
    """

    via: ClassVar[str]
    """The transport's name, for the user ("HTTP", "WebRTC")."""
    poll_seconds: ClassVar[float]
    """How often a question asked again and again (the listing) is worth its cost."""
    output_update_seconds: ClassVar[float]
    """How often the task's writer rewrites ``output_update.csv``: reading it more
    often finds the same line (a poll at this pace is at most one period behind)."""

    def __init__(self, task_id: str) -> None:
        self.task_id = task_id

    @abstractmethod
    async def aclose(self) -> None:
        """Close every connection the operations still hold."""

    @abstractmethod
    def follow(self, filename: str = "stdout.txt", lines: int = 10) -> AsyncIterator[TailBatch]:
        """Batches of lines of ``filename``: its last ``lines``, then new ones as written.

        A batch may also carry the line being written (:class:`TailBatch`;
        only where the transport can say so). Waits for a file the task has
        not created yet; ends when the task stops running. Close the iterator
        (``aclosing``) or cancel its consumer to stop early.
        """

    @abstractmethod
    async def tail(self, filename: str = "stdout.txt", lines: int = 10) -> list[str]:
        """The last ``lines`` lines of ``filename``, once."""

    @abstractmethod
    async def files(self) -> tuple[WorkEntry, ...]:
        """The task's work dir, nested."""

    @abstractmethod
    async def top(self) -> str:
        """The text of ``top`` on the task's machine (its processes)."""

    @abstractmethod
    async def last_modified_file(self) -> LastModified:
        """The newest file of the work dir and when it changed."""

    @abstractmethod
    def retry_after(self, error: ApiError) -> float | None:
        """Seconds to wait before asking again after ``error``; None: asking again cannot help."""


@contextmanager
def _refusals(task_id: str) -> Iterator[None]:
    """A request the embedded server refused, as the machine's refusal over WebRTC reads."""
    try:
        yield
    except (NotFound, ClientError) as error:
        text = error.detail or str(error)
        raise LiveRequestFailed(f"task {task_id}: {text}", status=error.status) from None


class HttpLiveTask(LiveTask):
    """A task of the embedded server, over its ``/local`` live routes."""

    via = "HTTP"
    poll_seconds = 3.0
    output_update_seconds = 2 * METRICS_INTERVAL
    """The embedded server writes the file every other metrics row (``serve``'s default period)."""
    RETRY_SECONDS: ClassVar[float] = 5.0

    def __init__(self, ops: LocalOps, task_id: str) -> None:
        super().__init__(task_id)
        self._ops = ops

    async def aclose(self) -> None:
        """Nothing to close: each request's connection goes back to the client's pool."""

    async def follow(
        self, filename: str = "stdout.txt", lines: int = 10
    ) -> AsyncIterator[TailBatch]:
        with _refusals(self.task_id):
            async with aclosing(self._ops.follow(self.task_id, filename, lines)) as batches:
                async for batch in batches:
                    yield batch

    async def tail(self, filename: str = "stdout.txt", lines: int = 10) -> list[str]:
        with _refusals(self.task_id):
            return await self._ops.tail(self.task_id, filename, lines)

    async def files(self) -> tuple[WorkEntry, ...]:
        with _refusals(self.task_id):
            listing = await self._ops.files(self.task_id)
        return parse_tree(listing, f"the files of task {self.task_id}")

    async def top(self) -> str:
        with _refusals(self.task_id):
            return await self._ops.top(self.task_id)

    async def last_modified_file(self) -> LastModified:
        with _refusals(self.task_id):
            found = await self._ops.last_modified_file(self.task_id)
        return LastModified.parse(found, f"the newest file of task {self.task_id}")

    def retry_after(self, error: ApiError) -> float | None:
        # A refusal (no work dir yet) may pass as the task goes on; a bad key will not.
        # A transient failure is the API's: its own pace (Retry-After) is enough.
        if isinstance(error, TRANSIENT):
            return error.retry_after or 0.0
        if isinstance(error, LiveRequestFailed):
            return self.RETRY_SECONDS
        return None


class WebRtcLiveTask(LiveTask):
    """A task reached over the WebRTC file tracker, one peer connection per operation."""

    via = "WebRTC"
    poll_seconds = 10.0
    """A listing costs a new peer connection: asked less often."""
    output_update_seconds = 60.0
    """The task runner checks the newest output file once a minute."""
    RETRY_SECONDS: ClassVar[float] = 15.0
    """After no answer, no path or a cut stream: the machine may take a while."""

    def __init__(self, tracker: FileTracker) -> None:
        super().__init__(tracker.task_id)
        self._tracker = tracker

    async def aclose(self) -> None:
        await self._tracker.aclose()

    async def follow(
        self, filename: str = "stdout.txt", lines: int = 10
    ) -> AsyncIterator[TailBatch]:
        # The machine sends lists of lines: whether the last one is finished
        # cannot be told, so each is shown as a line, as the official client does.
        tail = self._tracker.tail(filename, lines, follow=True, wait=True)
        async with aclosing(tail) as batches:
            async for batch in batches:
                yield TailBatch(batch)

    async def tail(self, filename: str = "stdout.txt", lines: int = 10) -> list[str]:
        async with aclosing(self._tracker.tail(filename, lines)) as batches:
            async for batch in batches:
                return batch
        return []

    async def files(self) -> tuple[WorkEntry, ...]:
        return parse_tree(await self._tracker.ls(), f"the files of task {self.task_id}")

    async def top(self) -> str:
        return await self._tracker.top()

    async def last_modified_file(self) -> LastModified:
        found = await self._tracker.last_modified_file()
        return LastModified.parse(found, f"the newest file of task {self.task_id}")

    def retry_after(self, error: ApiError) -> float | None:
        return None if isinstance(error, LiveUnavailable) else self.RETRY_SECONDS


class LiveAccess:
    """How the running tasks of one API are reached live: chosen once, for every task.

    Over HTTP when the server has the live routes (the embedded server),
    else over WebRTC when aiortc is installed (``webrtc``), else not at all.
    ``routes`` None asks the server on first need; ``turn_url`` is the
    STUN/TURN server for WebRTC (see :func:`~.filetracker.ice_urls`).
    """

    def __init__(
        self,
        client: InductivaClient,
        *,
        webrtc: bool | None = None,
        routes: bool | None = None,
        turn_url: str | None = None,
    ) -> None:
        self.client = client
        self._webrtc = webrtc
        self.routes = routes
        """Whether the server has the live routes; None until asked."""
        self._turn_url = turn_url
        self._ops = LocalOps(client)

    @property
    def webrtc(self) -> bool:
        """Whether WebRTC can be spoken here (aiortc is installed).

        Found out on first need: importing aiortc takes a good part of a
        second, which the dashboard's start must not pay (the embedded server
        has live routes, and there WebRTC is never needed).
        """
        if self._webrtc is None:
            self._webrtc = live_available()
        return self._webrtc

    async def has_routes(self) -> bool:
        """Whether the server has the live routes (asked once, then remembered).

        A 404 on the probe means "no" (the Inductiva cloud); any other error
        propagates and the next call asks again.
        """
        if self.routes is None:
            try:
                await self.client.request_json("GET", PROBE_PATH)
            except NotFound:
                self.routes = False
            else:
                self.routes = True
        return self.routes

    async def live_for(self, task_id: str) -> LiveTask | NoLive:
        """The live views of the running task ``task_id``, or why there are none.

        Close the adapter when done (:meth:`LiveTask.aclose`).
        """
        if await self.has_routes():
            return HttpLiveTask(self._ops, task_id)
        if self.webrtc:
            return WebRtcLiveTask(FileTracker(self.client, task_id, turn_url=self._turn_url))
        return NoLive(NO_LIVE_VIEW)
