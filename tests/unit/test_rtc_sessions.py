"""The server's file-tracker sessions, in process: limits, order of signalling, cleanup."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from inductiva_top.server.layout import DataDir
from inductiva_top.server.live import rtc as rtc_module
from inductiva_top.server.live.rtc import RtcSessions, SessionRefused
from inductiva_top.server.live.rtcops import TaskView

aiortc = pytest.importorskip("aiortc")

pytestmark = pytest.mark.timeout(30)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def sessions(tmp_path: Path, running: set[str], **kwargs: object) -> RtcSessions:
    view = TaskView(DataDir(tmp_path), lambda t: t in running, lambda t: None)
    return RtcSessions(view, **kwargs)  # type: ignore[arg-type]


async def client_offer() -> tuple[object, str]:
    pc = aiortc.RTCPeerConnection(aiortc.RTCConfiguration(iceServers=[]))
    pc.createDataChannel("file_transfer")
    await pc.setLocalDescription(await pc.createOffer())
    return pc, pc.localDescription.sdp


async def test_signalling_out_of_order_is_refused(tmp_path: Path) -> None:
    rtc = sessions(tmp_path, {"t1"})
    pc, sdp = await client_offer()
    try:
        with pytest.raises(SessionRefused) as caught:
            await rtc.offer("t1", "c1", sdp)
        assert caught.value.status_code == 404
        rtc.register("t1", "c1")
        with pytest.raises(SessionRefused) as caught:
            await rtc.offer("t2", "c1", sdp)  # registered with another task
        assert caught.value.status_code == 404
        await rtc.offer("t1", "c1", sdp)
        with pytest.raises(SessionRefused) as caught:
            await rtc.offer("t1", "c1", sdp)
        assert caught.value.status_code == 409
        assert rtc.counts() == {"sessions": 1, "peer_connections": 1, "channels": 0}
        answer = await rtc.message("t1", "c1", 0)
        assert answer is not None and answer["type"] == "answer"
        assert await rtc.message("t1", "c1", 0) is None  # given once
    finally:
        await pc.close()  # type: ignore[attr-defined]
        await rtc.aclose()
    assert rtc.counts() == {"sessions": 0, "peer_connections": 0, "channels": 0}
    with pytest.raises(SessionRefused) as caught:
        rtc.register("t1", "c2")
    assert caught.value.status_code == 503


async def test_sessions_are_bounded(tmp_path: Path) -> None:
    rtc = sessions(tmp_path, set(), max_sessions=2)
    try:
        rtc.register("t1", "a")
        rtc.register("t1", "b")
        rtc.register("t1", "a")  # a client starting over takes no new place
        with pytest.raises(SessionRefused) as caught:
            rtc.register("t1", "c")
        assert caught.value.status_code == 429
    finally:
        await rtc.aclose()


async def test_a_stopped_task_gets_no_answer_and_its_session_goes(tmp_path: Path) -> None:
    rtc = sessions(tmp_path, set())
    pc, sdp = await client_offer()
    rtc.register("t1", "c1")
    await rtc.offer("t1", "c1", sdp)
    assert await rtc.message("t1", "c1", 10) is None  # at once, not after 10 s
    assert rtc.counts()["peer_connections"] == 0
    await rtc.aclose()
    await pc.close()  # type: ignore[attr-defined]


async def test_a_slow_offer_for_a_stopped_task_still_finds_its_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A client under load may take longer than a reaper pass to make its offer;
    # the session of a stopped task goes only once its offer has been answered.
    monkeypatch.setattr(rtc_module, "REAP_SECONDS", 0.01)
    rtc = sessions(tmp_path, set())
    pc, sdp = await client_offer()
    rtc.register("t1", "c1")
    await asyncio.sleep(0.1)  # several reaper passes before the offer
    await rtc.offer("t1", "c1", sdp)
    assert await rtc.message("t1", "c1", 10) is None
    for _ in range(100):
        if rtc.counts()["sessions"] == 0:
            break
        await asyncio.sleep(0.01)
    assert rtc.counts()["sessions"] == 0
    await rtc.aclose()
    await pc.close()  # type: ignore[attr-defined]


async def test_a_peer_that_never_connects_is_dropped(tmp_path: Path) -> None:
    clock = Clock()
    rtc = sessions(tmp_path, {"t1"}, connect_seconds=5.0, clock=clock)
    pc, sdp = await client_offer()  # never given the answer: it cannot connect
    rtc.register("t1", "c1")
    await rtc.offer("t1", "c1", sdp)
    assert rtc.counts()["peer_connections"] == 1
    clock.now = 6.0
    for _ in range(100):
        if rtc.counts()["sessions"] == 0:
            break
        await asyncio.sleep(0.05)
    assert rtc.counts() == {"sessions": 0, "peer_connections": 0, "channels": 0}
    await rtc.aclose()
    await pc.close()  # type: ignore[attr-defined]
