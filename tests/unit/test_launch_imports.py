"""The dashboard's launch imports what its first screen needs, and nothing else (issue 16).

Most of the launch is imports. A module added to the start path for something
opened later (another screen, the embedded server, WebRTC, textual-serve, the
downloads' zip handling, httpx's own command line) would slow every launch
without failing a thing; each test here starts from a fresh interpreter, the
way ``inductiva-top`` does, and names what must stay out. No timings: the
bench (``bench/launch.py``) measures the launch.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from inductiva_top.ui.screens import OPENED_LATER

LAUNCH = """
import asyncio, sys
from inductiva_top.cli import build_parser
from inductiva_top.cli.common import dashboard_config
from inductiva_top.ui.app import InductivaTopApp

async def launch() -> None:
    app = InductivaTopApp(dashboard_config(build_parser().parse_args([])))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()

asyncio.run(launch())
print("\\n".join(sorted(sys.modules)))
"""
"""The dashboard's start as ``inductiva-top`` runs it (parsed, checked, the main screen
mounted), then the modules imported by then, one a line."""

KEPT_OUT = {
    "fastapi",
    "starlette",
    "uvicorn",
    "sqlite3",
    "aiortc",
    "av",
    "aiohttp",
    "textual_serve",
    "click",
    "pygments",
    "inductiva_top.demo",
    "inductiva_top.transfer.outputs",
    "inductiva_top.transfer.extract",
}
"""Packages and modules the first screen does not need (the server's own start, WebRTC's
first link, the web mode, httpx's command line, the first download import them)."""

SERVER_FACTS = {"inductiva_top.server", "inductiva_top.server.layout", "inductiva_top.server.knobs"}
"""The server modules the command line's parser reads its defaults from (small, no server)."""


def _isolated_env(home: Path) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("INDUCTIVA")}
    # Port 9 (discard) refuses at once: the launch needs no server to get this far.
    env |= {"HOME": str(home), "XDG_CONFIG_HOME": str(home / "xdg")}
    env |= {"INDUCTIVA_API_URL": "http://127.0.0.1:9", "INDUCTIVA_API_KEY": "launch-test"}
    return env


def _run(code: str, home: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=_isolated_env(home),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _under(module: str, packages: set[str]) -> bool:
    return any(module == package or module.startswith(package + ".") for package in packages)


def test_the_launch_imports_no_screen_opened_later_nor_the_server(tmp_path: Path) -> None:
    loaded = set(_run(LAUNCH, tmp_path).split())
    assert "inductiva_top.ui.screens.main" in loaded  # the launch did get that far
    later = {f"inductiva_top.ui.screens.{module}" for module in OPENED_LATER.values()}
    assert sorted(loaded & later) == []
    assert sorted(m for m in loaded if _under(m, KEPT_OUT)) == []
    server = {m for m in loaded if _under(m, {"inductiva_top.server"})}
    assert sorted(server - SERVER_FACTS) == []


def test_a_keymap_may_name_a_key_of_a_screen_not_opened_yet(tmp_path: Path) -> None:
    code = (
        "from dataclasses import replace\n"
        "from inductiva_top.cli import build_parser\n"
        "from inductiva_top.cli.common import config_from_args\n"
        "from inductiva_top.ui.app import config_problems\n"
        "config = config_from_args(build_parser().parse_args([]))\n"
        "keymap = {'fleet.refresh': 'f6', 'fleet.nope': 'f7'}\n"
        "print(config_problems(replace(config, keymap=keymap)))\n"
    )
    problems = _run(code, tmp_path)
    assert "fleet.nope" in problems
    assert "fleet.refresh" not in problems


def test_each_screen_opened_later_is_found_under_its_name() -> None:
    from inductiva_top.ui import screens

    for name, module in OPENED_LATER.items():
        found = getattr(screens, name)
        assert found.__module__ == f"inductiva_top.ui.screens.{module}", name
