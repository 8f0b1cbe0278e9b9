"""The dashboard against a misbehaving API: no crash, the fault shown, recovery on its own.

The dashboard talks to a real embedded server through :class:`FaultTransport`,
a real HTTP transport that, while a fault is switched on, answers with the
fault instead (httpx's transport hook, which is what fault injection needs).
For each fault the test switches it on and asks for a refresh (F5), waits for
the header to show the fault (its own state word: offline, throttled, waiting
for a hang...), switches it off and waits, without a key, for the next refresh
to bring fresh data. How long the header took to show the fault and to recover
is measured and printed with the fault counts (never asserted: speed belongs in
bench/); the dashboard's own retry and backoff policies are in use.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from textual.widgets import Label

from inductiva_top.api.client import InductivaClient
from inductiva_top.api.retry import refresh_retry_policy
from inductiva_top.config import Config
from inductiva_top.config.secret import Secret
from inductiva_top.ui.app import InductivaTopApp
from inductiva_top.ui.screens.main import MainScreen
from inductiva_top.ui.widgets.task_table import TaskTable
from tests.conftest import ServerProcess
from tests.server.task_helpers import submit, wait_status
from tests.tally import Tally
from tests.ui.dashboard_helpers import QUICK, fresh, until

Forward = Callable[[httpx.Request], Awaitable[httpx.Response]]
Fault = Callable[[httpx.Request, Forward], Awaitable[httpx.Response]]

BIG_BODY = 50 * 1024 * 1024
CHUNK = 1024 * 1024
REFRESH = 1.0
HANG_SECONDS = 30.0


def _free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class FaultTransport(httpx.AsyncBaseTransport):
    """A real transport that answers with ``fault`` instead while one is set.

    ``cleared`` is set while no fault is on: a hung request waits for it.
    """

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self._fault: Fault | None = None
        self.cleared = asyncio.Event()
        self.cleared.set()
        self.injected = 0

    @property
    def fault(self) -> Fault | None:
        return self._fault

    @fault.setter
    def fault(self, fault: Fault | None) -> None:
        self._fault = fault
        if fault is None:
            self.cleared.set()
        else:
            self.cleared.clear()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        fault = self._fault
        if fault is None:
            return await self._inner.handle_async_request(request)
        self.injected += 1
        if fault is _hang:  # it needs to know when the fault clears
            await _hang_until(self.cleared, request)
            return await self._inner.handle_async_request(request)
        return await fault(request, self._inner.handle_async_request)

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


def _nulled(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: None for key in value}
    if isinstance(value, list):
        return [_nulled(item) for item in value]
    return None


async def _nulls(request: httpx.Request, forward: Forward) -> httpx.Response:
    """The real answer with every field null (top level and in list items)."""
    real = await forward(request)
    payload = json.loads(await real.aread())
    return httpx.Response(real.status_code, json=_nulled(payload))


async def _hang_until(cleared: asyncio.Event, request: httpx.Request) -> None:
    """A stalled server: no answer until it resumes (or for ``HANG_SECONDS``)."""
    try:
        await asyncio.wait_for(cleared.wait(), HANG_SECONDS)
    except asyncio.TimeoutError:
        raise httpx.ReadTimeout("injected: no answer", request=request) from None


async def _hang(request: httpx.Request, forward: Forward) -> httpx.Response:
    """Marker: :class:`FaultTransport` holds the request until the fault clears."""
    raise AssertionError("handled by FaultTransport")


_JSON = {"Content-Type": "application/json"}

FAULTS: dict[str, tuple[Fault, str]] = {
    # fault: (what it does, the header's state word while it lasts)
    "connection refused": (_refused, "offline"),
    "timeout": (_timeout, "offline"),
    "hang": (_hang, "waiting"),
    "500": (_status(500), "error"),
    "502": (_status(502), "error"),
    "503": (_status(503, {"Retry-After": "1"}), "error"),
    "429 Retry-After": (_status(429, {"Retry-After": "1"}), "throttled"),
    "401": (_status(401), "unauthorized"),
    "unknown status 599": (_status(599), "error"),
    "unknown status 418": (_status(418), "error"),
    "malformed JSON": (_malformed, "error"),
    "truncated body": (_truncated, "offline"),
    "missing fields": (_missing_fields, "error"),
    "nulls": (_nulls, "error"),
    "50 MB response": (_huge, "error"),
}


@pytest.fixture(scope="module")
def one_task(module_server: ServerProcess) -> ServerProcess:
    """The module's server with one finished task, so the table has a row to keep."""
    with module_server.client() as client:
        wait_status(client, submit(client, QUICK))
    return module_server


def _dashboard(server: ServerProcess, transport: FaultTransport) -> tuple[Any, InductivaTopApp]:
    """A dashboard refreshing every second, with the client and policies it has in use."""
    client = InductivaClient(
        server.base_url,
        server.api_key,
        transport=transport,
        retry=refresh_retry_policy(REFRESH),
        poll_interval=REFRESH,
    )
    config = Config(api_url=server.base_url, api_key=Secret(server.api_key), refresh=REFRESH)
    return client, InductivaTopApp(config, source=client)


def _header(screen: MainScreen) -> tuple[Label, Label]:
    return screen.query_one("#header-state", Label), screen.query_one("#header-age", Label)


async def test_the_dashboard_survives_every_fault_and_recovers(
    one_task: ServerProcess, tally: Tally
) -> None:
    """One dashboard through every fault in turn (one app keeps the suite fast)."""
    transport = FaultTransport()
    client, app = _dashboard(one_task, transport)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            screen = app.screen
            assert isinstance(screen, MainScreen)
            table = screen.query_one(TaskTable)
            state, age = _header(screen)
            freshness = screen.loop.freshness
            await until(pilot, lambda: table.row_count >= 1, "the table to fill")
            rows = table.row_count

            def shows(word: str) -> bool:
                if word == "waiting":  # the age line says it: "◌ waiting for the API 2s, ..."
                    return str(age.content).startswith("waiting for the API")
                return str(state.content).endswith(word)

            for name, (fault, word) in FAULTS.items():
                survived = False
                injected = transport.injected
                try:
                    started = time.monotonic()
                    transport.fault = fault
                    await pilot.press("f5")  # refresh now rather than wait for the next tick
                    await until(pilot, lambda w=word: shows(w), f"{word} ({name})")
                    tally.timing("shown after", name, time.monotonic() - started)
                    assert age.has_class("-stale"), name
                    expected = "waiting for the API" if word == "waiting" else "stale"
                    assert expected in str(age.content), (name, age.content)
                    assert table.row_count == rows, name  # the last good data stays on screen
                    transport.fault = None
                    cleared = time.monotonic()
                    cleared_on_screen = screen.context.formatter.now().timestamp()
                    # No key: the dashboard comes back by itself.
                    await until(
                        pilot,
                        lambda c=cleared_on_screen: (
                            (freshness.last_success or 0) > c and not age.has_class("-stale")
                        ),
                        f"recovery ({name})",
                    )
                    tally.timing("recovery", name, time.monotonic() - cleared)
                    assert str(state.content).endswith("connected"), name
                    assert fresh(age.content), name
                    assert table.row_count == rows, name
                    assert transport.injected > injected, name
                    survived = app.is_running
                finally:
                    transport.fault = None
                    tally.fault(survived=survived)
    finally:
        await client.aclose()


async def test_f5_retries_at_once_during_a_long_retry_after(
    one_task: ServerProcess, tally: Tally
) -> None:
    """A 429 asking for an hour: throttled with its countdown; F5 still asks at once, says so."""
    transport = FaultTransport()
    client, app = _dashboard(one_task, transport)
    survived = False
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            screen = app.screen
            assert isinstance(screen, MainScreen)
            state, age = _header(screen)
            await until(pilot, lambda: fresh(age.content), "the first refresh")
            transport.fault = _status(429, {"Retry-After": "3600"})
            await pilot.press("f5")
            await until(pilot, lambda: str(state.content).endswith("throttled"), "throttled")
            # An hour's countdown, a second or two gone under load (never a short wait).
            await until(
                pilot, lambda: re.search(r"retrying in 35\d\ds", str(age.content)), "the countdown"
            )
            # The API now stalls: the retry F5 sends stays in flight, so what it says stays.
            transport.fault = _hang
            asked = transport.injected
            await pilot.press("f5")
            await until(pilot, lambda: transport.injected > asked, "the retry F5 asked for")
            assert str(age.content).endswith("retrying now (F5)"), age.content
            await until(pilot, lambda: "waiting for the API" in str(age.content), "waiting")
            transport.fault = None
            started = time.monotonic()
            await until(pilot, lambda: str(state.content).endswith("connected"), "recovery")
            tally.timing("recovery", "F5 during Retry-After 3600", time.monotonic() - started)
            assert fresh(age.content)
            survived = app.is_running
    finally:
        tally.fault(survived=survived)
        await client.aclose()
