"""FileTracker faults, injected at the HTTP layer: no answer, a bad answer, no path, no aiortc.

Every failure is an ApiError with a one-line message, comes within its bound,
and leaves no peer connection open.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from inductiva_top.api.client import InductivaClient
from inductiva_top.api.errors import BadResponse, ConnectionFailed, TimedOut
from inductiva_top.api.filetracker import (
    DEFAULT_TURN_SERVER,
    INSTALL_HINT,
    FileTracker,
    LinkTimeouts,
    LiveUnavailable,
    MachineDidNotAnswer,
    ice_urls,
)
from inductiva_top.api.retry import NO_RETRY

aiortc = pytest.importorskip("aiortc")

pytestmark = pytest.mark.timeout(60)

TASK = "t0tracker"
FAST = LinkTimeouts(answer_block_seconds=0, answer_polls=3, connect_seconds=2.0, reply_seconds=2.0)
Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture
def peers(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Every RTCPeerConnection made during the test (to check they were all closed)."""
    made: list[Any] = []
    original = aiortc.RTCPeerConnection

    class Recorded(original):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(aiortc, "RTCPeerConnection", Recorded)
    yield made


def signalling(on_message: Callable[[httpx.Request], httpx.Response], calls: list[str]) -> Handler:
    def handle(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        calls.append(f"{request.method} {path}")
        if path.endswith(("/register", "/offer")):
            return httpx.Response(200, json={})
        if path.endswith("/message"):
            return on_message(request)
        if path.endswith("/status"):
            return httpx.Response(200, json={"id": TASK, "status": "computation-started"})
        return httpx.Response(404, json={"detail": "no such route"})

    return handle


def client(handler: Handler) -> InductivaClient:
    return InductivaClient(
        "http://api.test", "k", transport=httpx.MockTransport(handler), retry=NO_RETRY
    )


async def test_a_machine_that_never_answers_is_a_clear_error(peers: list[Any]) -> None:
    calls: list[str] = []
    handler = signalling(lambda _: httpx.Response(204), calls)
    async with client(handler) as api, FileTracker(api, TASK, turn_url="", timeouts=FAST) as ft:
        with pytest.raises(MachineDidNotAnswer) as caught:
            await ft.ls()
        assert ft.open_links == 0
    assert str(caught.value) == f"the machine of task {TASK} did not answer; try again later"
    assert calls.count(f"GET /tasks/{TASK}/message") == FAST.answer_polls
    assert calls[:2] == [f"POST /tasks/{TASK}/register", f"POST /tasks/{TASK}/offer"]
    assert [pc.connectionState for pc in peers] == ["closed"]


async def test_the_offer_carries_the_official_shapes(peers: list[Any]) -> None:
    bodies: list[Any] = []

    def handle(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            bodies.append(json.loads(request.content))
            return httpx.Response(200, json={})
        if request.url.path.endswith("/message"):
            bodies.append(dict(request.url.params))
            return httpx.Response(204)
        return httpx.Response(200, json={"id": TASK, "status": "success"})

    async with client(handle) as api, FileTracker(api, TASK, turn_url="", timeouts=FAST) as ft:
        with pytest.raises(MachineDidNotAnswer, match=r"is not running \(status: success\)"):
            await ft.top()
    register, offer, poll = bodies[:3]
    client_id = register["sender_id"]
    assert register == {"sender_id": client_id}
    assert offer["sender_id"] == client_id and offer["receiver_id"] == TASK
    assert offer["type"] == "offer" and "m=application" in offer["sdp"]
    assert poll == {"client": client_id, "block_s": "0"}


async def test_an_answer_that_is_not_an_answer_is_a_bad_response(peers: list[Any]) -> None:
    handler = signalling(lambda _: httpx.Response(200, json={"type": "offer"}), [])
    async with client(handler) as api, FileTracker(api, TASK, turn_url="", timeouts=FAST) as ft:
        with pytest.raises(BadResponse, match="unexpected answer"):
            await ft.last_modified_file()
    assert [pc.connectionState for pc in peers] == ["closed"]


async def test_no_path_to_the_machine_ends_within_the_connect_bound(peers: list[Any]) -> None:
    answerer = aiortc.RTCPeerConnection(aiortc.RTCConfiguration(iceServers=[]))

    async def answer(offer_sdp: str) -> str:
        await answerer.setRemoteDescription(aiortc.RTCSessionDescription(offer_sdp, "offer"))
        await answerer.setLocalDescription(await answerer.createAnswer())
        sdp: str = answerer.localDescription.sdp
        await answerer.close()  # its candidates now lead nowhere
        return sdp

    offers: list[str] = []
    answers: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/offer"):
            offers.append(json.loads(request.content)["sdp"])
        if request.url.path.endswith("/message"):
            return httpx.Response(200, json={"type": "answer", "sdp": answers[0]})
        return signalling(lambda _: httpx.Response(204), [])(request)

    class Answering(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            await request.aread()
            if request.url.path.endswith("/message"):
                answers.append(await answer(offers[0]))
            return handle(request)

    api = InductivaClient("http://api.test", "k", transport=Answering(), retry=NO_RETRY)
    async with api, FileTracker(api, TASK, turn_url="", timeouts=FAST) as ft:
        with pytest.raises((TimedOut, ConnectionFailed), match=f"machine of task {TASK}"):
            await ft.top()
        assert ft.open_links == 0
    assert len(peers) == 2  # the answerer and ours
    assert [pc.connectionState for pc in peers] == ["closed", "closed"]


async def test_without_aiortc_the_tracker_says_how_to_enable_live_views(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "aiortc", None)
    async with client(signalling(lambda _: httpx.Response(204), [])) as api:
        with pytest.raises(LiveUnavailable) as caught:
            async with FileTracker(api, TASK):
                pass
    assert str(caught.value) == INSTALL_HINT


def test_the_modules_import_without_aiortc() -> None:
    code = (
        "import sys; sys.modules['aiortc'] = None\n"
        "import inductiva_top.api.filetracker as f, inductiva_top.server.app\n"
        "from inductiva_top.server.live.rtc import rtc_available\n"
        "assert not f.live_available() and not rtc_available()\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_ice_servers_as_the_official_client_builds_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INDUCTIVA_TURN_SERVER_URL", raising=False)
    assert ice_urls(None) == [f"stun:{DEFAULT_TURN_SERVER}", f"turn:{DEFAULT_TURN_SERVER}"]
    monkeypatch.setenv("INDUCTIVA_TURN_SERVER_URL", "turn.example:3479")
    assert ice_urls(None) == ["stun:turn.example:3479", "turn:turn.example:3479"]
    assert ice_urls("") == []
