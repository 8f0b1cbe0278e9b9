"""One WebRTC link to a running task's machine: signalling, a ``file_transfer`` channel.

As the official client does it: create a peer connection and its data channel
``file_transfer``; ``POST /tasks/{id}/register`` a fresh client id; ``POST
/tasks/{id}/offer`` the SDP offer; ``GET /tasks/{id}/message?client=<id>``
for the machine's answer (204: no answer yet); the request is sent when the
channel opens, and the machine's messages come back on it.

Everything is bounded: gathering, each answer poll (``block_s``), the number
of polls, the connection, each one-shot reply and the close. Every failure is
an :class:`~inductiva_top.api.errors.ApiError` with a one-line message.

aiortc is imported only when a link opens: it is the optional ``live`` extra.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from inductiva_top.api.client import InductivaClient
from inductiva_top.api.errors import (
    ApiError,
    BadResponse,
    ConnectionFailed,
    TimedOut,
    sanitize_excerpt,
)
from inductiva_top.api.shapes import segment

if TYPE_CHECKING:
    from aiortc import RTCPeerConnection

__all__ = [
    "CHANNEL",
    "INSTALL_HINT",
    "ChannelClosed",
    "LinkTimeouts",
    "LiveUnavailable",
    "MachineDidNotAnswer",
    "RtcLink",
    "live_available",
]

CHANNEL = "file_transfer"
INSTALL_HINT = "live views of cloud tasks need: pip install 'inductiva-top[live]'"


class LiveUnavailable(ApiError):
    """aiortc is not installed: live views need the ``live`` extra."""


class MachineDidNotAnswer(ApiError):
    """The task's machine did not answer the offer (``message`` said 204 every time)."""


@dataclass(frozen=True)
class LinkTimeouts:
    """Bounds of one link, in seconds (and polls)."""

    answer_block_seconds: int = 10
    """``block_s`` of each answer poll: how long the API waits for the machine."""
    answer_polls: int = 3
    """Answer polls before giving up; each 204 is one."""
    gather_seconds: float = 15.0
    """Gathering the offer's ICE candidates (a STUN/TURN server may be slow)."""
    connect_seconds: float = 20.0
    """From the answer to an open channel (ICE checks and DTLS)."""
    reply_seconds: float = 30.0
    """Waiting for the one message that answers a one-shot request."""
    close_seconds: float = 5.0


def live_available() -> bool:
    """Whether aiortc can be imported (the ``live`` extra is installed)."""
    try:
        import aiortc  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass(frozen=True)
class ChannelClosed:
    """The end of a link: the channel closed, or the connection failed (``failed``)."""

    failed: bool


class RtcLink:
    """A peer connection with one ``file_transfer`` channel carrying one request."""

    def __init__(
        self,
        client: InductivaClient,
        task_id: str,
        ice_urls: list[str],
        timeouts: LinkTimeouts,
    ) -> None:
        self.task_id = task_id
        self._client = client
        self._ice_urls = ice_urls
        self._timeouts = timeouts
        self._pc: RTCPeerConnection | None = None
        self._queue: asyncio.Queue[str | bytes | ChannelClosed] = asyncio.Queue()
        self._open = asyncio.Event()
        self._opened = False
        self.closed = False

    async def open(self, request: dict[str, Any]) -> None:
        """Connect to the task's machine and send ``request`` once the channel opens."""
        try:
            from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection
        except ImportError:
            raise LiveUnavailable(INSTALL_HINT) from None
        config = RTCConfiguration(iceServers=[RTCIceServer(url) for url in self._ice_urls])
        pc = self._pc = RTCPeerConnection(config)
        channel = pc.createDataChannel(CHANNEL)

        @channel.on("open")
        def on_open() -> None:
            channel.send(json.dumps(request))
            self._opened = True
            self._open.set()

        @channel.on("message")
        def on_message(raw: str | bytes) -> None:
            self._queue.put_nowait(raw)

        @channel.on("close")
        def on_close() -> None:
            self._queue.put_nowait(ChannelClosed(failed=False))
            self._open.set()

        @pc.on("connectionstatechange")
        def on_state() -> None:
            if pc.connectionState == "failed":
                self._queue.put_nowait(ChannelClosed(failed=True))
                self._open.set()

        await self._signal(pc)
        await self._wait_open()

    async def _signal(self, pc: RTCPeerConnection) -> None:
        from aiortc import RTCSessionDescription

        task = segment(self.task_id)
        client_id = str(uuid.uuid4())
        await self._client.request_json(
            "POST", f"/tasks/{task}/register", json={"sender_id": client_id}
        )
        try:
            offer = await pc.createOffer()
            await asyncio.wait_for(pc.setLocalDescription(offer), self._timeouts.gather_seconds)
        except asyncio.TimeoutError:
            raise TimedOut(
                f"gathering WebRTC candidates took over {self._timeouts.gather_seconds:g} s "
                "(is the STUN/TURN server in INDUCTIVA_TURN_SERVER_URL reachable?)"
            ) from None
        body = {
            "sender_id": client_id,
            "receiver_id": self.task_id,
            "type": "offer",
            "sdp": pc.localDescription.sdp,
        }
        await self._client.request_json("POST", f"/tasks/{task}/offer", json=body)
        answer = await self._poll_answer(task, client_id)
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        except ValueError as exc:
            excerpt = sanitize_excerpt(str(exc))
            raise BadResponse(
                f"unusable WebRTC answer from task {self.task_id}: {excerpt}"
            ) from None

    async def _poll_answer(self, task: str, client_id: str) -> str:
        what = f"GET /tasks/{task}/message"
        params = [("client", client_id), ("block_s", str(self._timeouts.answer_block_seconds))]
        for _ in range(max(1, self._timeouts.answer_polls)):
            payload = await self._client.request_json(
                "GET", f"/tasks/{task}/message", params=params
            )
            if payload is None:  # 204: the machine has not answered
                continue
            if (
                not isinstance(payload, dict)
                or payload.get("type") != "answer"
                or not isinstance(payload.get("sdp"), str)
            ):
                raise BadResponse(
                    f"unexpected answer to {what}", excerpt=sanitize_excerpt(repr(payload))
                )
            return str(payload["sdp"])
        raise MachineDidNotAnswer(f"the machine of task {self.task_id} did not answer")

    async def _wait_open(self) -> None:
        seconds = self._timeouts.connect_seconds
        try:
            await asyncio.wait_for(self._open.wait(), seconds)
        except asyncio.TimeoutError:
            raise TimedOut(
                f"no WebRTC connection to the machine of task {self.task_id} in {seconds:g} s"
            ) from None
        if self._pc is None or self._pc.connectionState == "failed":
            raise ConnectionFailed(
                f"no WebRTC path to the machine of task {self.task_id} (ICE failed)"
            )
        if not self._opened:
            raise ConnectionFailed(f"the machine of task {self.task_id} closed the channel")

    async def receive(self, timeout: float | None) -> dict[str, Any] | ChannelClosed:
        """The next message, decoded, or :class:`ChannelClosed` at the end.

        ``timeout`` None waits as long as it takes (a quiet follow stream).
        """
        try:
            raw = await asyncio.wait_for(self._queue.get(), timeout)
        except asyncio.TimeoutError:
            raise TimedOut(
                f"the machine of task {self.task_id} sent no reply in {timeout:g} s"
            ) from None
        if isinstance(raw, ChannelClosed):
            self._queue.put_nowait(raw)  # every later receive sees the end too
            return raw
        try:
            message = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            excerpt = sanitize_excerpt(raw[:400])
            raise BadResponse(
                f"malformed message from task {self.task_id}", excerpt=excerpt
            ) from None
        if not isinstance(message, dict) or message.get("status") not in ("success", "error"):
            raise BadResponse(
                f"unexpected message from task {self.task_id}",
                excerpt=sanitize_excerpt(repr(message)),
            )
        return message

    async def close(self) -> None:
        """Close the channel and the peer connection (idempotent, bounded)."""
        self.closed = True
        pc, self._pc = self._pc, None
        if pc is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(pc.close(), self._timeouts.close_seconds)
