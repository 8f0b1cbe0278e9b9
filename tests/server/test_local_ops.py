"""The live interface over HTTP (the embedded server's live routes), against a real server."""

from __future__ import annotations

import sys

import httpx
import pytest

from inductiva_top.api.client import InductivaClient
from inductiva_top.api.errors import BadResponse, LiveRequestFailed, NotFound
from inductiva_top.api.live import HttpLiveTask, LiveAccess, NoLive, WorkEntry, parse_tree
from inductiva_top.api.local import LocalOps
from tests.conftest import ServerProcess
from tests.server.task_helpers import submit, wait_status

PY = sys.executable


def client_of(server: ServerProcess) -> InductivaClient:
    return InductivaClient(server.base_url, server.api_key, key_source="the test fixture")


async def test_live_routes_on_the_embedded_server(module_server: ServerProcess) -> None:
    script = (
        "import os, time\n"
        "os.makedirs('out/deep')\n"
        "open('out/deep/f.txt', 'w').write('x')\n"
        "for i in range(5):\n"
        "    print(f'n{i}', flush=True)\n"
        "time.sleep(0.5)\n"
        "print('last', flush=True)\n"
    )
    with module_server.client() as http:
        task_id = submit(http, [PY, "-c", script])
        wait_status(http, task_id, "computation-started")
    async with client_of(module_server) as client:
        access = LiveAccess(client, webrtc=True)
        assert access.routes is None
        live = await access.live_for(task_id)
        assert access.routes is True  # the server's own routes, although WebRTC could be had
        assert isinstance(live, HttpLiveTask)
        before = client.stats.snapshot()
        batches = [batch async for batch in live.follow("stdout.txt", lines=100)]
        lines = [line for batch in batches for line in batch.lines]
        assert lines == ["n0", "n1", "n2", "n3", "n4", "last"]
        assert (client.stats.snapshot() - before).bytes_received > len("".join(lines))
        # The task ended (the stream did); its work dir is still listed.
        tree = await live.files()
        assert WorkEntry("stdout.txt") in tree
        out = next(entry for entry in tree if entry.name == "out")
        assert out.children == (WorkEntry("deep", (WorkEntry("f.txt"),)),)
        assert (await live.tail("stdout.txt", 2)) == ["n4", "last"]
        newest = await live.last_modified_file()
        assert newest.path in {"stdout.txt", "stderr.txt", "out/deep/f.txt"}
        assert newest.age is not None and newest.age >= 0
        # Refusals read as over WebRTC: the machine's words, one error type.
        with pytest.raises(LiveRequestFailed, match=r"no file 'nothing\.txt'"):
            await live.tail("nothing.txt")
        with pytest.raises(LiveRequestFailed, match="not running") as refused:
            await live.top()
        assert live.retry_after(refused.value) == HttpLiveTask.RETRY_SECONDS
        with pytest.raises(NotFound):  # below the interface: the HTTP status's own error
            await LocalOps(client).tail(task_id, "nothing.txt")


async def test_a_server_without_live_routes_is_told_apart_once() -> None:
    def cloud(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"detail": "Not Found"})

    transport = httpx.MockTransport(cloud)
    async with InductivaClient("https://api.example", "k", transport=transport) as client:
        access = LiveAccess(client, webrtc=False)
        assert isinstance(await access.live_for("t1"), NoLive)
        assert access.routes is False
        assert isinstance(await access.live_for("t2"), NoLive)
        assert client.stats.requests == 1  # asked once, remembered


def test_listing_shapes_are_checked() -> None:
    assert parse_tree(["a", {"d": ["b"]}], "x") == (
        WorkEntry("a"),
        WorkEntry("d", (WorkEntry("b"),)),
    )
    for bad in ({"a": 1}, [3], [{"d": "b"}], [{1: []}]):
        with pytest.raises(BadResponse):
            parse_tree(bad, "x")
    deep: list[object] = []
    for _ in range(100):
        deep = [{"d": deep}]
    with pytest.raises(BadResponse, match="too deep"):
        parse_tree(deep, "x")
