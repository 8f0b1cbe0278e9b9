"""The dashboard against a misbehaving API: no crash, the stale banner, recovery.

The dashboard talks to a real embedded server through :class:`FaultTransport`,
a real HTTP transport that, while a fault is switched on, answers with the
fault instead (httpx's transport hook, which is what fault injection needs).
For each fault the test switches it on and asks for a refresh (F5), waits for
the header to say the data is stale, switches it off, refreshes again, and
waits for that refresh to bring fresh data.
"""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from textual.widgets import Label

from inductiva_top.api.client import InductivaClient
from inductiva_top.api.retry import RetryPolicy
from inductiva_top.config import Config
from inductiva_top.config.secret import Secret
from inductiva_top.ui.app import InductivaTopApp
from inductiva_top.ui.screens.main import MainScreen
from inductiva_top.ui.widgets.task_table import TaskTable
from tests.conftest import ServerProcess
from tests.server.task_helpers import submit, wait_status
from tests.tally import Tally
from tests.ui.dashboard_helpers import QUICK, until

Forward = Callable[[httpx.Request], Awaitable[httpx.Response]]
Fault = Callable[[httpx.Request, Forward], Awaitable[httpx.Response]]

BIG_BODY = 50 * 1024 * 1024
CHUNK = 1024 * 1024


def _free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class FaultTransport(httpx.AsyncBaseTransport):
    """A real transport that answers with ``fault`` instead while one is set."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self.fault: Fault | None = None
        self.injected = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.fault is None:
            return await self._inner.handle_async_request(request)
        self.injected += 1
        return await self.fault(request, self._inner.handle_async_request)

    async def aclose(self) -> None:
        await self._inner.aclose()


class _TruncatedStream(httpx.AsyncByteStream):
    """Half of a body, then the connection drops."""

    def __init__(self, head: bytes) -> None:
        self._head = head

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self._head
        raise httpx.RemoteProtocolError("peer closed connection without sending complete body")


class _EndlessJson(httpx.AsyncByteStream):
    """``BIG_BODY`` bytes of a JSON array, streamed without a Content-Length."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b"["
        piece = b"1," * (CHUNK // 2)
        for _ in range(BIG_BODY // CHUNK):
            yield piece
        yield b"1]"


def _status(code: int, headers: dict[str, str] | None = None) -> Fault:
    async def answer(request: httpx.Request, forward: Forward) -> httpx.Response:
        return httpx.Response(code, json={"detail": "injected"}, headers=headers)

    return answer


async def _refused(request: httpx.Request, forward: Forward) -> httpx.Response:
    moved = request.url.copy_with(port=_free_port())
    return await forward(httpx.Request(request.method, moved, headers=request.headers))


async def _timeout(request: httpx.Request, forward: Forward) -> httpx.Response:
    raise httpx.ReadTimeout("injected: the server did not answer in time", request=request)


async def _malformed(request: httpx.Request, forward: Forward) -> httpx.Response:
    return httpx.Response(200, content=b'{"tasks": [{"task_id": ', headers=_JSON)


async def _truncated(request: httpx.Request, forward: Forward) -> httpx.Response:
    real = await forward(request)
    body = await real.aread()
    return httpx.Response(200, headers=_JSON, stream=_TruncatedStream(body[: len(body) // 2]))


async def _missing_fields(request: httpx.Request, forward: Forward) -> httpx.Response:
    real = await forward(request)
    payload = json.loads(await real.aread())
    if isinstance(payload, dict):
        for task in payload.get("tasks", []):
            task.pop("task_id", None)
            task.pop("status", None)
        payload.pop("total_size", None)
    elif isinstance(payload, list):
        payload = [{} for _ in payload]
    return httpx.Response(real.status_code, json=payload)


async def _huge(request: httpx.Request, forward: Forward) -> httpx.Response:
    return httpx.Response(200, headers=_JSON, stream=_EndlessJson())


_JSON = {"Content-Type": "application/json"}

FAULTS: dict[str, Fault] = {
    "connection refused": _refused,
    "timeout": _timeout,
    "500": _status(500),
    "502": _status(502),
    "503": _status(503, {"Retry-After": "1"}),
    "429 Retry-After": _status(429, {"Retry-After": "1"}),
    "401": _status(401),
    "unknown status 599": _status(599),
    "unknown status 418": _status(418),
    "malformed JSON": _malformed,
    "truncated body": _truncated,
    "missing fields": _missing_fields,
    "50 MB response": _huge,
}


@pytest.fixture(scope="module")
def one_task(module_server: ServerProcess) -> ServerProcess:
    """The module's server with one finished task, so the table has a row to keep."""
    with module_server.client() as client:
        wait_status(client, submit(client, QUICK))
    return module_server


async def test_the_dashboard_survives_every_fault_and_recovers(
    one_task: ServerProcess, tally: Tally
) -> None:
    """One dashboard through every fault in turn (one app keeps the suite fast)."""
    server = one_task
    transport = FaultTransport()
    # Retries stay on (they are part of what is tested) but short, to keep the suite fast.
    client = InductivaClient(
        server.base_url,
        server.api_key,
        transport=transport,
        retry=RetryPolicy(max_attempts=2, base_delay=0.05, max_delay=0.1, max_total_seconds=1),
        poll_interval=1.0,
    )
    try:
        config = Config(api_url=server.base_url, api_key=Secret(server.api_key), refresh=1.0)
        app = InductivaTopApp(config, source=client)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = app.screen
            assert isinstance(screen, MainScreen)
            table = screen.query_one(TaskTable)
            age = screen.query_one("#header-age", Label)
            await until(pilot, lambda: table.row_count >= 1, "the table to fill")
            rows = table.row_count
            for name, fault in FAULTS.items():
                survived = False
                injected = transport.injected
                try:
                    transport.fault = fault
                    await pilot.press("f5")  # refresh now rather than wait for the next tick
                    await until(pilot, lambda: age.has_class("-stale"), f"stale banner ({name})")
                    assert "stale" in str(age.content), name
                    assert table.row_count == rows, name  # the last good data stays on screen
                    transport.fault = None
                    await pilot.press("f5")
                    await until(pilot, lambda: not age.has_class("-stale"), f"recovery ({name})")
                    assert "updated" in str(age.content), name
                    assert table.row_count == rows, name
                    assert transport.injected > injected, name
                    survived = app.is_running
                finally:
                    transport.fault = None
                    tally.fault(survived=survived)
    finally:
        await client.aclose()
