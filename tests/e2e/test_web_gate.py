"""``inductiva-top web`` off loopback: a token or 403, a cookie after, read-only dashboards.

A real ``inductiva-top web --host 0.0.0.0`` process, asked with plain HTTP
requests (as curl would) and a websocket client: without the token every
route answers 403 and no dashboard process starts; the printed URL's token
sets a cookie and leaves the address bar; a dashboard started by the page is
read-only unless ``--allow-write``. On loopback no token is needed, but a
websocket from another site's page or a DNS-rebound ``Host`` is refused.
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import httpx
import psutil
import pytest

from inductiva_top.cli.web import TOKEN_ENV
from inductiva_top.cli.webguard import COOKIE
from tests.conftest import ServerProcess

WAIT_SECONDS = 30.0
URL_LINE = re.compile(r"(http://\S+)\?token=(\S+)")


@dataclass
class Web:
    process: subprocess.Popen[bytes]
    base: str
    port: int
    stderr: Path

    def printed(self) -> str:
        return self.stderr.read_text(encoding="utf-8", errors="replace")

    def dashboards(self) -> list[list[str]]:
        """The command lines of the dashboard processes it started."""
        return [
            child.cmdline()
            for child in psutil.Process(self.process.pid).children(recursive=True)
            if "inductiva_top" in child.cmdline()
        ]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(server: ServerProcess, tmp_path: Path, *args: str, env: dict[str, str]) -> Web:
    port = _free_port()
    stderr = tmp_path / f"web-{port}.err"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("INDUCTIVA")},
        "INDUCTIVA_API_KEY": server.api_key,
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "HOME": str(tmp_path),
        **env,
    }
    command = [sys.executable, "-m", "inductiva_top", "web", "--port", str(port)]
    with open(stderr, "wb") as sink:
        process = subprocess.Popen(
            [*command, "--api-url", server.base_url, *args],
            env=env,
            cwd=tmp_path,
            stderr=sink,
            stdout=subprocess.DEVNULL,
        )
    web = Web(process, f"http://127.0.0.1:{port}", port, stderr)
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        if process.poll() is not None:
            raise AssertionError(f"inductiva-top web exited: {web.printed()}")
        try:
            httpx.get(web.base + "/", timeout=1.0)
            return web
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise AssertionError("inductiva-top web never answered") from None
            time.sleep(0.1)


def _stop(web: Web) -> None:
    web.process.terminate()
    try:
        web.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        web.process.kill()
        web.process.wait()


@pytest.fixture
def exposed(live_server: ServerProcess, tmp_path: Path) -> Iterator[Web]:
    """``inductiva-top web --host 0.0.0.0`` with a random token."""
    web = _start(live_server, tmp_path, "--host", "0.0.0.0", env={})
    try:
        yield web
    finally:
        _stop(web)


def _token(web: Web) -> str:
    found = URL_LINE.findall(web.printed())
    assert len(found) == 1, web.printed()  # printed once
    address, token = found[0]
    assert address == f"http://0.0.0.0:{web.port}/"
    return str(token)


async def _open_dashboard(web: Web, cookie: str, origin: str | None = None) -> int:
    """Open the page's websocket with ``cookie``; the handshake's status (101 when accepted)."""
    headers = {"Cookie": f"{COOKIE}={cookie}"} if cookie else {}
    if origin is not None:
        headers["Origin"] = origin
    async with aiohttp.ClientSession() as session:
        try:
            async with session.ws_connect(
                f"{web.base}/ws?width=80&height=24", headers=headers
            ) as socket_:
                await socket_.receive(timeout=WAIT_SECONDS)  # the dashboard's first bytes
                return 101
        except aiohttp.WSServerHandshakeError as refused:
            return refused.status


def test_without_the_token_everything_is_403_and_no_dashboard_starts(exposed: Web) -> None:
    token = _token(exposed)
    for path in ("/", "/?token=wrong-token-of-some-length", "/static/js/textual.js", "/ws"):
        response = httpx.get(exposed.base + path)
        assert response.status_code == 403, path
        assert token not in response.text
    assert "needs its token" in httpx.get(exposed.base + "/").text
    upgrade = httpx.get(
        exposed.base + "/ws",
        headers={"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13"}
        | {"Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="},
        cookies={COOKIE: "forged"},
    )
    assert upgrade.status_code == 403
    assert asyncio.run(_open_dashboard(exposed, "forged")) == 403
    assert exposed.dashboards() == []


def test_the_token_sets_a_cookie_and_leaves_the_address_bar(exposed: Web) -> None:
    token = _token(exposed)
    first = httpx.get(exposed.base + "/", params={"token": token, "fontsize": "14"})
    assert first.status_code == 303
    assert first.headers["location"] == "/?fontsize=14"
    cookie = first.cookies[COOKIE]
    assert token not in cookie and token not in first.headers["set-cookie"]
    set_cookie = first.headers["set-cookie"].lower()
    assert "httponly" in set_cookie and "samesite=strict" in set_cookie
    page = httpx.get(exposed.base + "/", cookies={COOKIE: cookie})
    assert page.status_code == 200
    # The page sends the browser's websocket to the address it used, not 0.0.0.0.
    assert f"ws://127.0.0.1:{exposed.port}/ws" in page.text
    assert exposed.dashboards() == []


def test_a_dashboard_started_off_loopback_is_read_only(exposed: Web) -> None:
    cookie = httpx.get(exposed.base + "/", params={"token": _token(exposed)}).cookies[COOKIE]
    assert asyncio.run(_open_dashboard(exposed, cookie, origin=exposed.base)) == 101
    (dashboard,) = exposed.dashboards() or [[]]
    assert "--read-only" in dashboard


def test_a_websocket_from_another_site_is_refused(exposed: Web) -> None:
    cookie = httpx.get(exposed.base + "/", params={"token": _token(exposed)}).cookies[COOKIE]
    assert asyncio.run(_open_dashboard(exposed, cookie, origin="http://evil.example")) == 403
    assert exposed.dashboards() == []


def test_a_given_token_and_allow_write(live_server: ServerProcess, tmp_path: Path) -> None:
    token = "a-token-the-user-chose"
    web = _start(
        live_server, tmp_path, "--host", "0.0.0.0", "--allow-write", env={TOKEN_ENV: token}
    )
    try:
        assert token not in web.printed() and "<your token>" in web.printed()
        assert httpx.get(web.base + "/").status_code == 403
        cookie = httpx.get(web.base + "/", params={"token": token}).cookies[COOKIE]
        assert asyncio.run(_open_dashboard(web, cookie)) == 101
        (dashboard,) = web.dashboards() or [[]]
        assert "--read-only" not in dashboard
    finally:
        _stop(web)


def test_on_loopback_no_token_but_no_rebound_host(
    live_server: ServerProcess, tmp_path: Path
) -> None:
    web = _start(live_server, tmp_path, env={})
    try:
        assert "token" not in web.printed()
        assert httpx.get(web.base + "/").status_code == 200
        rebound = httpx.get(web.base + "/", headers={"Host": f"evil.example:{web.port}"})
        assert rebound.status_code == 403
        assert asyncio.run(_open_dashboard(web, "", origin="http://evil.example")) == 403
        assert web.dashboards() == []
    finally:
        _stop(web)
