"""What the dashboard imports to show its first screen: nothing of the server, WebRTC or the web.

Each of these takes a good part of a second to import; the first screen needs
none of them (WebRTC is found out on first need, the web stack only serves
``inductiva-top web``). Checked in a fresh interpreter, as the user starts it.
"""

from __future__ import annotations

import subprocess
import sys

STARTUP = """
import asyncio, sys
from inductiva_top.cli import build_parser
from inductiva_top.config import Config
from inductiva_top.config.secret import Secret
from inductiva_top.ui.app import InductivaTopApp

async def main():
    # Nothing listens on port 9 (discard): the first request fails at once.
    app = InductivaTopApp(Config(api_url="http://127.0.0.1:9", api_key=Secret("k")))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await asyncio.sleep(0.2)
        await pilot.pause()

build_parser()
asyncio.run(main())
heavy = ("aiortc", "aiohttp", "textual_serve", "fastapi", "uvicorn", "starlette")
own = ("inductiva_top.server.app", "inductiva_top.server.routes", "inductiva_top.server.live")
print(sorted(m for m in sys.modules if m.split(".")[0] in heavy or m.startswith(own)))
"""


def test_the_first_screen_imports_no_server_webrtc_or_web_stack() -> None:
    done = subprocess.run(
        [sys.executable, "-c", STARTUP], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stderr
