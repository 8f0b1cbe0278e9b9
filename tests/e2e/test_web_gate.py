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
import re
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import httpx
import pytest

from inductiva_top.cli.web import TOKEN_ENV
from inductiva_top.cli.webguard import COOKIE
from tests.conftest import ServerProcess
from tests.e2e.web_process import WebProcess, web_process

URL_LINE = re.compile(r"(http://\S+)\?token=(\S+)")
DASHBOARD_SECONDS = 30.0


@pytest.fixture
def exposed(live_server: ServerProcess, tmp_path: Path) -> Iterator[WebProcess]:
    """``inductiva-top web --host 0.0.0.0`` with a random token."""
    with web_process(live_server, tmp_path, "--host", "0.0.0.0") as web:
        yield web


def _token(web: WebProcess) -> str:
    found = URL_LINE.findall(web.printed())
    assert len(found) == 1, web.printed()  # printed once
    address, token = found[0]
    assert address == f"http://0.0.0.0:{web.port}/"
    return str(token)


async def _open_dashboard(web: WebProcess, cookie: str, origin: str | None = None) -> int:
    """Open the page's websocket with ``cookie``; the handshake's status (101 when accepted)."""
    headers = {"Cookie": f"{COOKIE}={cookie}"} if cookie else {}
    if origin is not None:
        headers["Origin"] = origin
    async with aiohttp.ClientSession() as session:
        try:
            async with session.ws_connect(
                f"{web.base}/ws?width=80&height=24", headers=headers
            ) as socket_:
                await socket_.receive(timeout=DASHBOARD_SECONDS)  # the dashboard's first bytes
                return 101
        except aiohttp.WSServerHandshakeError as refused:
            return refused.status


def test_without_the_token_everything_is_403_and_no_dashboard_starts(exposed: WebProcess) -> None:
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


def test_the_token_sets_a_cookie_and_leaves_the_address_bar(exposed: WebProcess) -> None:
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


def test_a_dashboard_started_off_loopback_is_read_only(exposed: WebProcess) -> None:
    cookie = httpx.get(exposed.base + "/", params={"token": _token(exposed)}).cookies[COOKIE]
    assert asyncio.run(_open_dashboard(exposed, cookie, origin=exposed.base)) == 101
    (dashboard,) = exposed.dashboards() or [[]]
    assert "--read-only" in dashboard


def test_a_websocket_from_another_site_is_refused(exposed: WebProcess) -> None:
    cookie = httpx.get(exposed.base + "/", params={"token": _token(exposed)}).cookies[COOKIE]
    assert asyncio.run(_open_dashboard(exposed, cookie, origin="http://evil.example")) == 403
    assert exposed.dashboards() == []


def test_a_given_token_and_allow_write(live_server: ServerProcess, tmp_path: Path) -> None:
    token = "a-token-the-user-chose"
    with web_process(
        live_server, tmp_path, "--host", "0.0.0.0", "--allow-write", env={TOKEN_ENV: token}
    ) as web:
        assert token not in web.printed() and "<your token>" in web.printed()
        assert httpx.get(web.base + "/").status_code == 403
        cookie = httpx.get(web.base + "/", params={"token": token}).cookies[COOKIE]
        assert asyncio.run(_open_dashboard(web, cookie)) == 101
        (dashboard,) = web.dashboards() or [[]]
        assert "--read-only" not in dashboard


def test_on_loopback_no_token_but_no_rebound_host(
    live_server: ServerProcess, tmp_path: Path
) -> None:
    with web_process(live_server, tmp_path) as web:
        assert "token" not in web.printed()
        assert httpx.get(web.base + "/").status_code == 200
        rebound = httpx.get(web.base + "/", headers={"Host": f"evil.example:{web.port}"})
        assert rebound.status_code == 403
        assert asyncio.run(_open_dashboard(web, "", origin="http://evil.example")) == 403
        assert web.dashboards() == []
