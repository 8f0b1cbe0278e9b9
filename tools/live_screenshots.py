"""Write screenshots/demo-*.svg: the README's pictures of the real demo, mid-run.

Run from the repository root::

    .venv/bin/python tools/live_screenshots.py [--out screenshots] [--at 45]

Unlike ``tools/screenshots.py`` (the snapshot tests' fixed scenes), this
starts the demo exactly as ``inductiva-top demo`` does (the embedded server,
its machine groups and credits, the workload submitted on schedule), lets it
run for ``--at`` seconds, and photographs the dashboard as it is then: the
long heat2d run under the cursor with its live output and timeline, then the
project board, the sweep table, the failures view and the fleet. Every cell is
what the running demo showed; the pictures differ from run to run.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot
from textual.screen import Screen

from inductiva_top.config import Config, Secret
from inductiva_top.demo.driver import DemoDriver
from inductiva_top.demo.session import demo_server
from inductiva_top.monitor.names import task_name
from inductiva_top.ui.app import InductivaTopApp
from inductiva_top.ui.screens.board import BoardScreen
from inductiva_top.ui.screens.failures import FailuresScreen
from inductiva_top.ui.screens.fleet import FleetScreen
from inductiva_top.ui.screens.main import MainScreen
from inductiva_top.ui.screens.sweep import SweepScreen
from inductiva_top.ui.widgets.sheet import Sheet
from inductiva_top.ui.widgets.task_table import TaskTable

ROOT = Path(__file__).resolve().parent.parent
WATCHED = "plate-fine-long"
"""The demo's long run: a progress bar rewritten in place for a few minutes."""
SWEEP = "plate-sweep"


async def _until(pilot: Pilot[None], ready: Callable[[Screen[object]], bool], what: str) -> None:
    for _ in range(600):
        if ready(pilot.app.screen):
            await pilot.pause(0.5)
            return
        await asyncio.sleep(0.05)
    raise RuntimeError(f"{what} never showed")


async def _cursor_to(pilot: Pilot[None], name: str) -> None:
    """Put the table's cursor on the task named ``name``."""
    screen = pilot.app.screen
    assert isinstance(screen, MainScreen)
    table = screen.query_one(TaskTable)
    for _ in range(600):
        if table.data is not None:
            for index in range(table.row_count):
                task = table.data.window.row(index)
                if task is not None and task_name(task) == name:
                    table.move_to(index)
                    return
        await asyncio.sleep(0.05)
    raise RuntimeError(f"no task named {name} in the table")


async def _shoot(
    config: Config, size: tuple[int, int], at: float, started: float, out: Path
) -> list[Path]:
    app = InductivaTopApp(config)
    written: list[Path] = []

    def save(name: str) -> None:
        target = out / f"{name}.svg"
        target.write_text(app.export_screenshot(title=f"inductiva-top demo · {name}"))
        written.append(target)
        print(target.relative_to(ROOT) if target.is_relative_to(ROOT) else target)

    async with app.run_test(size=size) as pilot:
        await _until(pilot, lambda s: isinstance(s, MainScreen) and bool(s.state.counts), "table")
        await asyncio.sleep(max(0.0, at - (time.monotonic() - started)))
        await _cursor_to(pilot, WATCHED)
        await pilot.pause(4.0)  # the output pane catches up with the live stream
        save(f"demo-{size[0]}x{size[1]}")
        await pilot.press("P")
        await _until(pilot, lambda s: isinstance(s, BoardScreen) and s.feed.projects, "board")
        save("demo-board")
        board = app.screen
        assert isinstance(board, BoardScreen)
        board.query_one(Sheet).move_to_key(SWEEP)
        await pilot.press("S")
        await _until(pilot, lambda s: isinstance(s, SweepScreen) and s.feed.data, "sweep")
        await pilot.pause(2.0)
        save("demo-sweep")
        await pilot.press("escape")
        await _until(pilot, lambda s: isinstance(s, BoardScreen), "board")
        await pilot.press("T")
        await _until(pilot, lambda s: isinstance(s, FailuresScreen) and s.feed.tasks, "failures")
        await pilot.pause(3.0)
        save("demo-failures")
        while not isinstance(app.screen, MainScreen):
            await pilot.press("escape")
        await pilot.press("M")
        await _until(pilot, lambda s: isinstance(s, FleetScreen), "fleet")
        await pilot.pause(2.0)
        save("demo-fleet")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots", help="output directory")
    parser.add_argument(
        "--at", type=float, default=45.0, help="seconds into the demo for the first picture"
    )
    parser.add_argument("--width", type=int, default=120)
    parser.add_argument("--height", type=int, default=40)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="inductiva-top-live-shots-"))
    server = demo_server(root, slots=3).start()
    log = open(root / "demo.log", "a", encoding="utf-8")  # noqa: SIM115 - closed below
    driver = DemoDriver(server.base_url, server.api_key, log)
    try:
        started = time.monotonic()
        driver.start()
        config = Config(
            api_url=server.base_url,
            api_key=Secret(server.api_key),
            api_key_source="the demo server",
            profile="demo",
        )
        asyncio.run(_shoot(config, (args.width, args.height), args.at, started, args.out))
    finally:
        driver.stop()
        log.close()
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
