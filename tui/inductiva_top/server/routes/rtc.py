"""The signalling routes of the WebRTC file tracker, as the Inductiva API has them.

``POST /tasks/{task_id}/register`` ``{"sender_id": client}``
    Starts a session; 404 for an unknown task.
``POST /tasks/{task_id}/offer`` ``{"sender_id", "receiver_id", "type": "offer", "sdp"}``
    The client's offer; the task's machine answers it while the task runs.
``GET /tasks/{task_id}/message?client=<client>&block_s=<0..60>``
    The answer ``{"sender_id", "receiver_id", "type": "answer", "sdp"}``,
    waited for up to ``block_s`` seconds (default :data:`DEFAULT_BLOCK_SECONDS`);
    204 when there is none (a task that is not running has no machine to answer).
``GET /local/rtc/sessions`` (a local extension)
    ``{"sessions", "peer_connections", "channels"}``: what is open now.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from inductiva_top.server.files.paths import UnsafePath, check_task_id
from inductiva_top.server.live.rtc import RtcSessions, SessionRefused

__all__ = ["DEFAULT_BLOCK_SECONDS", "TaskConnection", "rtc_router"]

DEFAULT_BLOCK_SECONDS = 10
MAX_SDP_CHARS = 64 * 1024


class TaskConnection(BaseModel):
    """A signalling message, as the official client's ``TaskConnection`` model."""

    model_config = ConfigDict(extra="ignore")

    sender_id: str = Field(min_length=1, max_length=128)
    receiver_id: str | None = Field(default=None, max_length=128)
    type: str | None = Field(default=None, max_length=32)
    sdp: str | None = Field(default=None, max_length=MAX_SDP_CHARS)


def rtc_router(sessions: RtcSessions, task_exists: Callable[[str], bool]) -> APIRouter:
    """The routes of the module doc, served by ``sessions``."""
    router = APIRouter(tags=["file tracker"])

    def known(task_id: str) -> None:
        try:
            check_task_id(task_id)
        except UnsafePath as exc:
            raise HTTPException(exc.status_code, exc.detail) from None
        if not task_exists(task_id):
            raise HTTPException(404, f"task {task_id!r} not found")

    @router.post("/tasks/{task_id}/register")
    async def register(task_id: str, body: TaskConnection) -> dict[str, Any]:
        """Start a file-tracker session of client ``sender_id`` with the task."""
        known(task_id)
        try:
            sessions.register(task_id, body.sender_id)
        except SessionRefused as exc:
            raise HTTPException(exc.status_code, exc.detail) from None
        return {"sender_id": body.sender_id, "receiver_id": task_id}

    @router.post("/tasks/{task_id}/offer")
    async def offer(task_id: str, body: TaskConnection) -> dict[str, Any]:
        """The client's SDP offer, answered by the task's machine while the task runs."""
        known(task_id)
        if body.type != "offer" or not body.sdp:
            raise HTTPException(422, "an offer needs type 'offer' and an sdp")
        try:
            await sessions.offer(task_id, body.sender_id, body.sdp)
        except SessionRefused as exc:
            raise HTTPException(exc.status_code, exc.detail) from None
        return {"sender_id": body.sender_id, "receiver_id": task_id}

    @router.get("/tasks/{task_id}/message", response_model=None)
    async def message(
        task_id: str,
        client: Annotated[str, Query(min_length=1, max_length=128)],
        block_s: Annotated[int, Query(ge=0, le=60)] = DEFAULT_BLOCK_SECONDS,
    ) -> dict[str, str] | Response:
        """The answer to the client's offer, or 204 when the machine did not answer."""
        known(task_id)
        answer = await sessions.message(task_id, client, block_s)
        return Response(status_code=204) if answer is None else answer

    @router.get("/local/rtc/sessions")
    async def open_sessions() -> dict[str, int]:
        """What the file tracker holds open now."""
        return sessions.counts()

    return router
