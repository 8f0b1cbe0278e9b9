"""SVG snapshots of the main screen: seeded data, a frozen clock, 120x40 and 80x24.

Update after an intended change of looks with ``pytest tests/snapshots --snapshot-update``
and review the SVGs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import datetime, timezone

import pytest
from textual.pilot import Pilot

from inductiva_top.config import Config
from inductiva_top.config.secret import Secret
from inductiva_top.monitor.fmt import FixedClock
from inductiva_top.server.launcher import ServerProcess
from inductiva_top.server.layout import DataDir
from inductiva_top.server.seed import seed
from inductiva_top.ui.app import InductivaTopApp
from inductiva_top.ui.screens.main import MainScreen
from inductiva_top.ui.widgets.task_table import TaskTable

NOW = datetime(2026, 3, 14, 15, 9, 26, tzinfo=timezone.utc)
"""The seeded data's "now" and the app's frozen clock."""

Compare = Callable[..., bool]


@pytest.fixture(scope="module")
def seeded_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """40 finished tasks in 4 projects, always the same ones."""
    root = tmp_path_factory.mktemp("snapshots") / "data"
    seed(DataDir(root), tasks=40, projects=4, seed=11, now=NOW.timestamp(), workers=1)
    server = ServerProcess(root).start()
    yield server
    server.stop()


def _app(server: ServerProcess) -> InductivaTopApp:
    config = Config(
        api_url=server.base_url,
        api_key=Secret(server.api_key),
        api_key_source="the test fixture",
        profile="seeded",
        refresh=60.0,
    )
    return InductivaTopApp(config, clock=FixedClock(NOW), tz=timezone.utc)


async def _loaded(pilot: Pilot[None]) -> None:
    """Wait until the rows, the counts and the selected task's history are in."""
    app = pilot.app
    for _ in range(400):
        screen = app.screen
        if isinstance(screen, MainScreen):
            table = screen.query_one(TaskTable)
            if table.cursor_id is not None and screen.state.counts and screen.state.selected:
                break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the dashboard never loaded")
    # The task panes read the archive in the background: wait until they are done.
    for _ in range(400):
        busy = [
            w for w in app.workers if w.group.startswith(("tail", "files")) and not w.is_finished
        ]
        if not busy:
            break
        await asyncio.sleep(0.05)
    await pilot.pause()


def test_main_screen_wide(snap_compare: Compare, seeded_server: ServerProcess) -> None:
    assert snap_compare(_app(seeded_server), terminal_size=(120, 40), run_before=_loaded)


def test_main_screen_80x24(snap_compare: Compare, seeded_server: ServerProcess) -> None:
    assert snap_compare(_app(seeded_server), terminal_size=(80, 24), run_before=_loaded)


def test_marked_rows(snap_compare: Compare, seeded_server: ServerProcess) -> None:
    """Marks show in the gutter; finished tasks are not killable, so Kill shows disabled."""

    async def marked(pilot: Pilot[None]) -> None:
        await _loaded(pilot)
        await pilot.press("space", "space")

    assert snap_compare(_app(seeded_server), terminal_size=(120, 40), run_before=marked)


def test_detail_screen(snap_compare: Compare, seeded_server: ServerProcess) -> None:
    async def opened(pilot: Pilot[None]) -> None:
        await _loaded(pilot)
        await pilot.press("enter")
        for _ in range(200):
            if pilot.app.screen.query(".detail-section"):
                break
            await asyncio.sleep(0.05)
        await pilot.pause()

    assert snap_compare(_app(seeded_server), terminal_size=(120, 40), run_before=opened)
