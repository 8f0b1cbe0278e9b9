"""The server end of the WebRTC file tracker: one peer connection per client session.

A session starts with ``register`` (a client id), gets the client's SDP offer
and, when its task is running, answers it with a server-side peer connection;
the answer waits in the session until the client fetches it (``message``).
A task that is not running has no machine to answer: its offers get no answer,
so ``message`` says 204, as the real API does.

The peer uses host candidates only (no STUN/TURN: the server is reached on
its own network). Every data channel the client opens gets its requests
answered by :mod:`.rtcops`; a follow stream ends its channel when the task
stops. A session is closed when its peer connection closes or fails, when its
task stops running, when it does not connect in time, and when the server
stops.

aiortc is an optional dependency (``inductiva-top[live]``): without it
:func:`rtc_available` is False and offers are refused with a message saying so.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from inductiva_top.server.live.rtcops import BadRequest, TaskView, answers, error, parse_request

if TYPE_CHECKING:
    from aiortc import RTCDataChannel, RTCPeerConnection

log = logging.getLogger(__name__)

__all__ = ["RtcSessions", "SessionRefused", "rtc_available"]

INSTALL_HINT = "this server was installed without WebRTC: pip install 'inductiva-top[live]'"
MAX_SESSIONS = 64
CONNECT_SECONDS = 30.0
"""A session not connected this long after its register is dropped."""
REAP_SECONDS = 1.0
MAX_BUFFERED_BYTES = 1024 * 1024
"""A follow stream pauses while this much is still unsent to a slow client."""
CLOSE_SECONDS = 5.0


def rtc_available() -> bool:
    """Whether aiortc can be imported (the ``live`` extra is installed)."""
    try:
        import aiortc  # noqa: F401
    except ImportError:
        return False
    return True


class SessionRefused(Exception):
    """A signalling request that cannot be served; ``status_code`` is the HTTP answer."""

    def __init__(self, detail: str, status_code: int) -> None:
        super().__init__(detail)
        self.detail = detail
        self.status_code = status_code


@dataclass(eq=False)
class _Session:
    task_id: str
    client_id: str
    started: float
    pc: RTCPeerConnection | None = None
    answer: dict[str, str] | None = None
    answered: asyncio.Event = field(default_factory=asyncio.Event)
    jobs: dict[RTCDataChannel, asyncio.Task[None]] = field(default_factory=dict)
    connected: bool = False


class RtcSessions:
    """Every file-tracker session of one server (see the module doc)."""

    def __init__(
        self,
        view: TaskView,
        *,
        max_sessions: int = MAX_SESSIONS,
        connect_seconds: float = CONNECT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._view = view
        self._max = max_sessions
        self._connect_seconds = connect_seconds
        self._clock = clock
        self._sessions: dict[str, _Session] = {}
        self._reaper: asyncio.Task[None] | None = None
        self._closing = False

    # -- signalling ------------------------------------------------------------

    def register(self, task_id: str, client_id: str) -> None:
        """Start (or restart) the session of ``client_id`` with ``task_id``."""
        if self._closing:
            raise SessionRefused("the server is stopping", 503)
        old = self._sessions.get(client_id)
        if old is None and len(self._sessions) >= self._max:
            raise SessionRefused(f"too many live sessions (at most {self._max})", 429)
        if old is not None:
            self._spawn(self._close(old))
        self._sessions[client_id] = _Session(task_id, client_id, self._clock())
        self._ensure_reaper()

    async def offer(self, task_id: str, client_id: str, sdp: str) -> None:
        """Answer ``client_id``'s offer if its task runs; the answer waits for ``message``."""
        session = self._sessions.get(client_id)
        if session is None or session.task_id != task_id:
            raise SessionRefused(f"client {client_id!r} is not registered with this task", 404)
        if session.pc is not None or session.answered.is_set():
            raise SessionRefused(f"client {client_id!r} already sent its offer", 409)
        if not rtc_available():
            raise SessionRefused(INSTALL_HINT, 501)
        if "m=application" not in sdp:
            raise SessionRefused("the offer has no data channel (m=application)", 400)
        if not self._view.is_running(task_id):
            session.answered.set()  # nobody will answer: message says 204 at once
            return
        from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

        # No ICE servers: an empty list, since None would mean aiortc's public STUN.
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        session.pc = pc
        self._watch(session, pc)
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception as exc:  # aiortc's parser fails in many ways on a bad SDP
            await self._close(session)
            reason = str(exc) or type(exc).__name__
            raise SessionRefused(f"unusable offer SDP: {reason}", 400) from None
        local = pc.localDescription
        session.answer = {
            "sender_id": task_id,
            "receiver_id": client_id,
            "type": local.type,
            "sdp": local.sdp,
        }
        session.answered.set()

    async def message(
        self, task_id: str, client_id: str, block_seconds: float
    ) -> dict[str, str] | None:
        """The answer to ``client_id``'s offer, once; None when there is none (HTTP 204)."""
        session = self._sessions.get(client_id)
        if session is None or session.task_id != task_id:
            return None
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(session.answered.wait(), block_seconds)
        answer, session.answer = session.answer, None
        return answer

    # -- state -----------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """Sessions, open peer connections and served data channels, for diagnosis."""
        sessions = list(self._sessions.values())
        return {
            "sessions": len(sessions),
            "peer_connections": sum(s.pc is not None for s in sessions),
            "channels": sum(len(s.jobs) for s in sessions),
        }

    async def aclose(self) -> None:
        """Close every session (the server is stopping)."""
        self._closing = True
        if self._reaper is not None:
            self._reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reaper
        await asyncio.gather(*(self._close(s) for s in list(self._sessions.values())))

    # -- peer ------------------------------------------------------------------

    def _watch(self, session: _Session, pc: RTCPeerConnection) -> None:
        @pc.on("connectionstatechange")
        def on_state() -> None:
            state = pc.connectionState
            if state == "connected":
                session.connected = True
            elif state in ("failed", "closed"):
                self._spawn(self._close(session))

        @pc.on("datachannel")
        def on_channel(channel: RTCDataChannel) -> None:
            @channel.on("message")
            def on_message(raw: str | bytes) -> None:
                previous = session.jobs.pop(channel, None)
                if previous is not None:
                    previous.cancel()  # one request at a time per channel: the newest wins
                session.jobs[channel] = asyncio.ensure_future(self._serve(session, channel, raw))

            @channel.on("close")
            def on_close() -> None:
                job = session.jobs.pop(channel, None)
                if job is not None:
                    job.cancel()

    async def _serve(self, session: _Session, channel: RTCDataChannel, raw: str | bytes) -> None:
        try:
            request = parse_request(raw)
        except BadRequest as exc:
            _send(channel, error(str(exc)))
            return
        try:
            async for message in answers(request, session.task_id, self._view):
                if channel.readyState != "open":
                    return
                _send(channel, message)
                await _drain(channel)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("file tracker %s of task %s failed", request.type, session.task_id)
            _send(channel, error(f"the server failed to answer {request.type}; see its log"))
        if request.follow and channel.readyState == "open":
            channel.close()  # the stream is over (the task stopped): say so

    # -- cleanup ---------------------------------------------------------------

    def _spawn(self, work: Any) -> None:
        task = asyncio.ensure_future(work)
        task.add_done_callback(_log_failure)

    async def _close(self, session: _Session) -> None:
        if self._sessions.get(session.client_id) is session:
            del self._sessions[session.client_id]
        session.answered.set()
        jobs = list(session.jobs.values())
        session.jobs.clear()
        for job in jobs:
            job.cancel()
        pc, session.pc = session.pc, None
        if pc is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(pc.close(), CLOSE_SECONDS)

    def _ensure_reaper(self) -> None:
        if self._reaper is None or self._reaper.done():
            self._reaper = asyncio.ensure_future(self._reap_forever())

    async def _reap_forever(self) -> None:
        while self._sessions:
            await asyncio.sleep(REAP_SECONDS)
            now = self._clock()
            for session in list(self._sessions.values()):
                stale = not session.connected and now - session.started > self._connect_seconds
                # A follow stream ends itself after its last read of a stopped
                # task; closing under it could lose the final lines. A session
                # whose offer has not come yet is left to ``stale``: closed
                # now, a slow client's offer would find no session (404).
                busy = any(not job.done() for job in session.jobs.values())
                offered = session.answered.is_set()
                stopped = not self._view.is_running(session.task_id)
                if stale or (offered and not busy and stopped):
                    await self._close(session)


def _send(channel: RTCDataChannel, message: dict[str, Any]) -> None:
    if channel.readyState == "open":
        channel.send(json.dumps(message))


async def _drain(channel: RTCDataChannel) -> None:
    """Wait while a slow client has much unsent: a follow stream must not pile up memory."""
    while True:
        if channel.bufferedAmount <= MAX_BUFFERED_BYTES or channel.readyState != "open":
            return
        await asyncio.sleep(0.05)


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("closing a file tracker session failed", exc_info=task.exception())
