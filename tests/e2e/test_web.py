"""``inductiva-top web`` in a real headless Chromium, against a real embedded server.

Chromium is Debian's ``chromium`` package (``.ci/run`` installs it), driven by
Playwright with its executable path: Playwright's own browsers are never
downloaded. Without either, the test is skipped with the reason.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ServerProcess
from tests.e2e.web_process import web_process
from tests.server.task_helpers import submit, wait_status

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_SECONDS = 30.0

playwright_api = pytest.importorskip("playwright.sync_api", reason="needs Playwright (test extra)")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"needs Chromium at {CHROMIUM} (apt-get install chromium)"
    ),
    pytest.mark.timeout(120),
]

ANSI = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])")


class Screen:
    """What the dashboard sent the page (the page draws it on a canvas, so read the stream)."""

    def __init__(self) -> None:
        self.received: list[str] = []

    def on_websocket(self, socket: Any) -> None:
        socket.on("framereceived", self._frame)

    def _frame(self, payload: bytes | str) -> None:
        data = payload if isinstance(payload, str) else payload.decode("utf-8", "replace")
        self.received.append(data)

    def text(self) -> str:
        return ANSI.sub("", "".join(self.received))


def _wait_for(page: Any, screen: Screen, needle: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while needle not in screen.text():
        if time.monotonic() > deadline:
            raise AssertionError(f"the page never showed {needle!r}")
        page.wait_for_timeout(100)


@pytest.fixture
def task_id(live_server: ServerProcess) -> str:
    """A finished task of the server the dashboards watch."""
    with live_server.client() as client:
        made = submit(client, [sys.executable, "-c", "print('hi')"], project="web")
        wait_status(client, made)
    return made


@pytest.fixture
def web(live_server: ServerProcess, task_id: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """``inductiva-top web`` on a free port, pointed at a server with one finished task."""
    with web_process(live_server, tmp_path) as process:
        yield process.base + "/", task_id


def test_the_dashboard_renders_in_a_browser_and_keys_work(web: tuple[str, str]) -> None:
    url, task_id = web
    screen = Screen()
    with playwright_api.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.on("websocket", screen.on_websocket)
            page.goto(url)
            _wait_for(page, screen, task_id)  # the table rendered the task
            page.click(".textual-terminal")
            page.keyboard.press("?")
            _wait_for(page, screen, "Esc closes")  # the help screen
        finally:
            browser.close()


@pytest.fixture
def exposed_web(
    live_server: ServerProcess, task_id: str, tmp_path: Path
) -> Iterator[tuple[str, str, str]]:
    """``inductiva-top web --host 0.0.0.0``: (the printed URL with its token, base URL, task id)."""
    with web_process(live_server, tmp_path, "--host", "0.0.0.0") as process:
        found = re.search(r"\?token=(\S+)", process.printed())
        assert found is not None, process.printed()
        base = process.base + "/"
        yield f"{base}?token={found.group(1)}", base, task_id


def test_off_loopback_the_browser_needs_the_printed_url_and_gets_read_only(
    exposed_web: tuple[str, str, str],
) -> None:
    with_token, base, task_id = exposed_web
    screen = Screen()
    with playwright_api.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            stranger = browser.new_page()
            refused = stranger.goto(base)
            assert refused is not None and refused.status == 403
            assert "needs its token" in stranger.content()
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.on("websocket", screen.on_websocket)
            page.goto(with_token)
            assert page.url == base  # the token left the address bar for a cookie
            _wait_for(page, screen, task_id)  # the dashboard renders
            _wait_for(page, screen, "[read-only]")
            again = Screen()
            page.on("websocket", again.on_websocket)
            page.reload()  # the cookie alone lets the browser back in
            _wait_for(page, again, task_id)
        finally:
            browser.close()
