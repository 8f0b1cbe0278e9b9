"""The screens the snapshot tests compare and ``tools/screenshots.py`` writes to screenshots/.

One list, :data:`SCENARIOS`, so the README's pictures are the reviewed
snapshots' scenes: the seeded server (40 finished tasks, a frozen clock, UTC)
for the dashboard and its dialogs, fixed data for each pane.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta, timezone
from pathlib import Path

from tests.snapshots.test_main_screen import NOW
from tests.snapshots.test_main_screen import _app as dashboard
from tests.snapshots.test_main_screen import _loaded as loaded
from tests.snapshots.test_panes import (
    T0,
    OnePane,
    _fill_files,
    _fill_tail,
    show_resubmitted,
)
from textual.app import App
from textual.pilot import Pilot

from inductiva_top.monitor.fmt import FixedClock, Formatter
from inductiva_top.server.launcher import ServerProcess
from inductiva_top.server.layout import DataDir
from inductiva_top.server.seed import seed
from inductiva_top.ui.screens.help import HelpScreen
from inductiva_top.ui.screens.kill import ConfirmKill
from inductiva_top.ui.screens.main import MainScreen
from inductiva_top.ui.widgets.files import FilesPanel
from inductiva_top.ui.widgets.tail import TailPanel
from inductiva_top.ui.widgets.timeline import TimelineView

__all__ = ["SCENARIOS", "Scenario", "seeded_server"]

RunBefore = Callable[[Pilot[None]], Awaitable[None]]


@dataclass(frozen=True)
class Scenario:
    """One picture: an app (on the seeded server when it needs one), a size, a setup."""

    name: str
    make: Callable[[ServerProcess], App[None]]
    size: tuple[int, int]
    run_before: RunBefore | None = None


def seeded_server(root: Path) -> ServerProcess:
    """A started server on 40 finished tasks in 4 projects, always the same ones."""
    seed(DataDir(root), tasks=40, projects=4, seed=11, now=NOW.timestamp(), workers=1)
    return ServerProcess(root).start()


async def _kill_dialog(pilot: Pilot[None]) -> None:
    # The seeded tasks have all finished (nothing is killable), so the dialog is
    # opened directly on two of them: it looks exactly as ``k`` opens it.
    await loaded(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, MainScreen)
    ids = [task.task_id for _, task in screen.state.window.rows(0, 1)]
    pilot.app.push_screen(ConfirmKill(ids))
    await pilot.pause()


async def _help(pilot: Pilot[None]) -> None:
    await loaded(pilot)
    await pilot.press("question_mark")
    for _ in range(100):
        if isinstance(pilot.app.screen, HelpScreen):
            break
        await asyncio.sleep(0.05)
    await pilot.pause()


async def _search_tail(pilot: Pilot[None]) -> None:
    pilot.app.query_one(TailPanel).view.focus()
    await pilot.press("slash", *"step", "enter")


async def _mark_file(pilot: Pilot[None]) -> None:
    pilot.app.query_one(FilesPanel).file_tree.focus()
    await pilot.press("down", "space")


def _timeline(server: ServerProcess) -> App[None]:
    formatter = Formatter(clock=FixedClock(T0 + timedelta(seconds=300)), tz=timezone.utc)
    return OnePane(
        lambda: TimelineView(formatter, id="pane"),
        show_resubmitted,
    )


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("main-120x40", dashboard, (120, 40), loaded),
    Scenario("main-80x24", dashboard, (80, 24), loaded),
    Scenario("kill-dialog", dashboard, (120, 40), _kill_dialog),
    Scenario("help", dashboard, (120, 40), _help),
    Scenario("pane-timeline", _timeline, (90, 20)),
    Scenario(
        "pane-output", lambda server: OnePane(lambda: TailPanel(id="pane"), _fill_tail), (70, 10)
    ),
    Scenario(
        "pane-output-search",
        lambda server: OnePane(lambda: TailPanel(id="pane"), _fill_tail),
        (70, 10),
        _search_tail,
    ),
    Scenario(
        "pane-files",
        lambda server: OnePane(lambda: FilesPanel(id="pane"), _fill_files),
        (70, 12),
        _mark_file,
    ),
)
