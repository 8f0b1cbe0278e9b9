"""The WebRTC file tracker end to end on loopback: our FileTracker against a real server.

A real task runs on a real embedded server; the dashboard's client side
connects to it over a real data channel (host candidates only, no STUN/TURN).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from inductiva_top.api.client import InductivaClient
from inductiva_top.api.errors import ConnectionFailed, NotFound
from inductiva_top.api.filetracker import (
    FileTracker,
    LiveRequestFailed,
    MachineDidNotAnswer,
)
from tests.server.task_helpers import PY, submit, wait_status, wait_until

pytest.importorskip("aiortc")

pytestmark = pytest.mark.timeout(90)


def lines_script(go_file: Path, before: int, after: int) -> list[str]:
    """Prints ``line 1..before``, writes ``sub/data.txt``, waits for ``go_file``, prints more."""
    code = (
        "import os, sys, time\n"
        "os.makedirs('sub', exist_ok=True)\n"
        "open('sub/data.txt', 'w').write('x')\n"
        f"for i in range(1, {before} + 1):\n"
        "    print('line', i, flush=True)\n"
        f"while not os.path.exists({str(go_file)!r}):\n"
        "    time.sleep(0.02)\n"
        f"for i in range({before} + 1, {before + after} + 1):\n"
        "    print('line', i, flush=True)\n"
        "    time.sleep(0.02)\n"
    )
    return [PY, "-c", code]


@pytest.fixture
def http(module_server: Any) -> Iterator[httpx.Client]:
    with module_server.client() as client:
        yield client


@contextlib.asynccontextmanager
async def tracker_for(server: Any, task_id: str) -> AsyncIterator[FileTracker]:
    """A FileTracker on ``server`` with host candidates only (no STUN/TURN)."""
    async with (
        InductivaClient(server.base_url, server.api_key) as api,
        FileTracker(api, task_id, turn_url="") as tracker,
    ):
        yield tracker


def open_counts(http: httpx.Client) -> dict[str, int]:
    response = http.get("/local/rtc/sessions")
    assert response.status_code == 200, response.text
    counts: dict[str, int] = response.json()
    return counts


def all_closed(http: httpx.Client) -> bool:
    return open_counts(http) == {"sessions": 0, "peer_connections": 0, "channels": 0}


def started(http: httpx.Client, go_file: Path, before: int = 5, after: int = 3) -> str:
    task_id = submit(http, lines_script(go_file, before, after))
    wait_status(http, task_id, "computation-started")
    return task_id


async def test_one_shot_operations_of_a_running_task(
    module_server: Any, http: httpx.Client, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    task_id = started(http, go)
    stdout = module_server.data_dir / "work" / task_id / "stdout.txt"
    wait_until(lambda: stdout.exists() and "line 5\n" in stdout.read_text(), "the first lines")
    async with tracker_for(module_server, task_id) as tracker:
        tree = await tracker.ls()
        assert "stdout.txt" in tree
        assert {"sub": ["data.txt"]} in tree

        batches = [batch async for batch in tracker.tail("stdout.txt", 3)]
        assert batches == [["line 3", "line 4", "line 5"]]

        top = await tracker.top()
        assert "PID" in top and "python" in top.lower()

        newest = await tracker.last_modified_file()
        assert newest["most_recent_file"] in {"stdout.txt", "stderr.txt", "sub/data.txt"}
        assert newest["now_timestamp"] >= newest["most_recent_timestamp"]

        with pytest.raises(LiveRequestFailed, match=r"no file 'missing\.txt'"):
            await tracker.tail("missing.txt", 3).__anext__()
        assert tracker.open_links == 0
    go.touch()
    wait_status(http, task_id)
    wait_until(lambda: all_closed(http), "every file tracker session to close")


async def test_follow_streams_new_lines_until_the_task_ends(
    module_server: Any, http: httpx.Client, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    task_id = started(http, go, before=5, after=40)
    stdout = module_server.data_dir / "work" / task_id / "stdout.txt"
    wait_until(lambda: stdout.exists() and "line 5\n" in stdout.read_text(), "the first lines")
    seen: list[str] = []
    async with tracker_for(module_server, task_id) as tracker:
        async with contextlib.aclosing(tracker.tail("stdout.txt", 2, follow=True)) as stream:
            async for batch in stream:
                seen.extend(batch)
                if "line 5" in seen and not go.exists():
                    assert open_counts(http)["peer_connections"] == 1
                    go.touch()
        assert tracker.open_links == 0
    # The last two lines before following, then every new line once, in order,
    # and the stream ended by itself when the task stopped.
    assert seen == [f"line {i}" for i in range(4, 46)]
    assert wait_status(http, task_id)["status"] == "success"
    wait_until(lambda: all_closed(http), "every file tracker session to close")


async def test_a_task_that_is_not_running_has_no_answer(
    module_server: Any, http: httpx.Client, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    go.touch()
    task_id = submit(http, lines_script(go, 1, 1))
    wait_status(http, task_id)
    async with tracker_for(module_server, task_id) as tracker:
        with pytest.raises(MachineDidNotAnswer, match=r"is not running \(status: success\)"):
            await tracker.ls()
        assert tracker.open_links == 0
    wait_until(lambda: all_closed(http), "every file tracker session to close")


async def test_an_unknown_task_is_not_found(module_server: Any) -> None:
    async with tracker_for(module_server, "nosuchtask0000000000000000") as tracker:
        with pytest.raises(NotFound):
            await tracker.top()


async def test_a_stream_cut_while_the_task_runs_is_an_error(
    server_factory: Any, tmp_path: Path
) -> None:
    server = server_factory()
    go = tmp_path / "go"
    with server.client() as http:
        task_id = started(http, go, before=3)
    seen: list[str] = []
    async with tracker_for(server, task_id) as tracker:
        with pytest.raises(ConnectionFailed, match=f"lost the live view of task {task_id}"):
            async for batch in tracker.tail("stdout.txt", 10, follow=True):
                seen.extend(batch)
                if "line 3" in seen:
                    server.stop()  # the server closes every peer, the task still runs
        assert tracker.open_links == 0
    assert seen == ["line 1", "line 2", "line 3"]


async def test_a_malformed_request_gets_an_error_and_the_channel_serves_on(
    module_server: Any, http: httpx.Client, tmp_path: Path
) -> None:
    import aiortc

    go = tmp_path / "go"
    task_id = started(http, go)
    pc = aiortc.RTCPeerConnection(aiortc.RTCConfiguration(iceServers=[]))
    channel = pc.createDataChannel("file_transfer")
    received: asyncio.Queue[Any] = asyncio.Queue()
    opened = asyncio.Event()
    channel.on("open", opened.set)
    channel.on("message", lambda raw: received.put_nowait(json.loads(raw)))
    base = f"/tasks/{task_id}"
    async with httpx.AsyncClient(
        base_url=module_server.base_url, headers=module_server.headers, timeout=10
    ) as api:
        assert (await api.post(f"{base}/register", json={"sender_id": "c1"})).status_code == 200
        await pc.setLocalDescription(await pc.createOffer())
        offer = {"sender_id": "c1", "receiver_id": task_id, "type": "offer"}
        assert (await api.post(f"{base}/offer", json=offer)).status_code == 422  # no sdp
        for bad_sdp in ("garbage", "v=0\r\nm=application x y z\r\n"):
            bad = await api.post(f"{base}/offer", json={**offer, "sdp": bad_sdp})
            assert bad.status_code == 400, bad.text
            assert (await api.post(f"{base}/register", json={"sender_id": "c1"})).is_success
        offer["sdp"] = pc.localDescription.sdp
        unregistered = await api.post(f"{base}/offer", json={**offer, "sender_id": "c2"})
        assert unregistered.status_code == 404
        assert (await api.post(f"{base}/offer", json=offer)).status_code == 200
        stranger = await api.get(f"{base}/message", params={"client": "c2", "block_s": 0})
        assert stranger.status_code == 204
        answer = (await api.get(f"{base}/message", params={"client": "c1"})).json()
        assert answer["type"] == "answer" and answer["receiver_id"] == "c1"
        again = await api.get(f"{base}/message", params={"client": "c1", "block_s": 0})
        assert again.status_code == 204  # an answer is given once
    await pc.setRemoteDescription(aiortc.RTCSessionDescription(answer["sdp"], "answer"))
    try:
        await asyncio.wait_for(opened.wait(), 20)
        channel.send("rm -rf /")
        reply = await asyncio.wait_for(received.get(), 20)
        assert reply == {"status": "error", "message": "the request is not JSON"}
        channel.send(json.dumps({"type": "ls", "follow": False, "args": {}}))
        reply = await asyncio.wait_for(received.get(), 20)
        assert reply["status"] == "success" and "stdout.txt" in reply["message"]
    finally:
        await pc.close()
    go.touch()
    wait_status(http, task_id)
    wait_until(lambda: all_closed(http), "every file tracker session to close")
