"""LocalOps: the embedded server's live routes through the client, against a real server."""

from __future__ import annotations

import sys

import httpx
import pytest
from tests.conftest import ServerProcess
from tests.server.task_helpers import submit, wait_status

from inductiva_top.api.client import InductivaClient
from inductiva_top.api.errors import BadResponse, NotFound
from inductiva_top.api.local import LocalOps, WorkEntry, parse_tree

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
        local = LocalOps(client)
        assert local.known_available is None
        assert await local.available() is True
        assert local.known_available is True
        batches = [batch async for batch in local.follow(task_id, "stdout.txt", lines=100)]
        lines = [line for batch in batches for line in batch]
        assert lines == ["n0", "n1", "n2", "n3", "n4", "last"]
        # The task ended (the stream did); its work dir is still listed.
        tree = await local.files(task_id)
        assert WorkEntry("stdout.txt") in tree
        out = next(entry for entry in tree if entry.name == "out")
        assert out.children == (WorkEntry("deep", (WorkEntry("f.txt"),)),)
        assert (await local.tail(task_id, "stdout.txt", 2)) == ["n4", "last"]
        with pytest.raises(NotFound):
            await local.tail(task_id, "nothing.txt")


async def test_a_server_without_live_routes_is_told_apart() -> None:
    def cloud(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"detail": "Not Found"})

    transport = httpx.MockTransport(cloud)
    async with InductivaClient("https://api.example", "k", transport=transport) as client:
        local = LocalOps(client)
        assert await local.available() is False
        assert local.known_available is False


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
