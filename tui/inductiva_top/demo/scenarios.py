"""The screens the snapshot tests compare and ``tools/screenshots.py`` writes to screenshots/.

One list, :data:`SCENARIOS`, so the README's pictures are the reviewed
snapshots' scenes: the seeded server (40 finished tasks, a frozen clock, UTC)
for the dashboard and its dialogs, fixed data for each pane. Package code
(not test code), so the screenshots tool runs where pytest is not installed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Generic, TypeVar

from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widget import Widget

from inductiva_top.api.models import FileInfo, Task, TaskWithStatusHistory
from inductiva_top.config import Config, Secret
from inductiva_top.demo.fleetscene import fleet_scene, fleet_shown
from inductiva_top.monitor.fmt import FixedClock, Formatter
from inductiva_top.monitor.output.filetree import archive_summary, tree_from_archive
from inductiva_top.monitor.output.tailsource import TailMode, TailSource
from inductiva_top.server.launcher import ServerProcess
from inductiva_top.server.layout import DataDir
from inductiva_top.server.seed.fill import seed
from inductiva_top.ui.app import InductivaTopApp
from inductiva_top.ui.screens.board import BoardScreen
from inductiva_top.ui.screens.failures import FailuresScreen
from inductiva_top.ui.screens.help import HelpScreen
from inductiva_top.ui.screens.kill import ConfirmKill
from inductiva_top.ui.screens.main import MainScreen
from inductiva_top.ui.screens.sweep import SweepScreen
from inductiva_top.ui.widgets.files import FilesPanel
from inductiva_top.ui.widgets.tail import TailPanel
from inductiva_top.ui.widgets.task_table import TaskTable
from inductiva_top.ui.widgets.timeline import TimelineView

__all__ = [
    "NOW",
    "RESUBMITTED",
    "SCENARIOS",
    "T0",
    "OnePane",
    "Scenario",
    "board",
    "dashboard",
    "failures",
    "fill_files",
    "fill_tail",
    "loaded",
    "mark_file",
    "search_tail",
    "seeded_server",
    "sweep_table",
    "timeline_pane",
]

NOW = datetime(2026, 3, 14, 15, 9, 26, tzinfo=timezone.utc)
"""The seeded data's "now" and the dashboard's frozen clock."""
T0 = datetime(2026, 3, 14, 15, 0, 0, tzinfo=timezone.utc)
"""When :data:`RESUBMITTED` was created."""

RunBefore = Callable[[Pilot[None]], Awaitable[None]]
W = TypeVar("W", bound=Widget)


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


def dashboard(server: ServerProcess) -> App[None]:
    """The dashboard on ``server``, its clock frozen at :data:`NOW`, times in UTC."""
    config = Config(
        api_url=server.base_url,
        api_key=Secret(server.api_key),
        api_key_source="the seeded server",
        profile="seeded",
        refresh=60.0,
    )
    return InductivaTopApp(config, clock=FixedClock(NOW), tz=timezone.utc)


async def loaded(pilot: Pilot[None]) -> None:
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
    # The task panes read the archive, the totals line counts, in the background.
    await _settled(pilot, ("tail", "files", "totals"))


async def _settled(pilot: Pilot[None], groups: tuple[str, ...]) -> None:
    """Wait until the app's background workers of ``groups`` are done."""
    for _ in range(400):
        busy = [w for w in pilot.app.workers if w.group.startswith(groups) and not w.is_finished]
        if not busy:
            break
        await asyncio.sleep(0.05)
    await pilot.pause()


async def _until(pilot: Pilot[None], ready: Callable[[object], bool], what: str) -> None:
    """Wait until ``ready(screen on top)`` holds."""
    for _ in range(400):
        if ready(pilot.app.screen):
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError(f"{what} never loaded")
    await pilot.pause()


async def board(pilot: Pilot[None]) -> None:
    """``P`` over the loaded dashboard: the project board with its rows."""
    await loaded(pilot)
    await pilot.press("P")
    await _until(
        pilot, lambda s: isinstance(s, BoardScreen) and s.feed.projects is not None, "the board"
    )


async def failures(pilot: Pilot[None]) -> None:
    """``T`` over the loaded dashboard: failed tasks by signature, the largest group's stderr."""
    await loaded(pilot)
    await pilot.press("T")
    await _until(
        pilot,
        lambda s: isinstance(s, FailuresScreen) and s.feed.tasks is not None and not s.feed.unread,
        "the failures view",
    )
    await _settled(pilot, ("selected", "tail"))


async def sweep_table(pilot: Pilot[None]) -> None:
    """``S`` on the board's first project: its sweep table and the cursor run's output."""
    await board(pilot)
    await pilot.press("S")
    await _until(
        pilot, lambda s: isinstance(s, SweepScreen) and s.feed.data is not None, "the sweep table"
    )
    await _settled(pilot, ("selected", "tail"))


def _at(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat()


def _op(name: str, start: float, end: float | None, **attributes: Any) -> dict[str, Any]:
    return {
        "name": name,
        "start_timestamp": _at(start),
        "end_timestamp": _at(end) if end is not None else None,
        "status": "OK" if end is not None else None,
        "attributes": attributes,
    }


RESUBMITTED = TaskWithStatusHistory.model_validate(
    {
        "task_id": "snap1",
        "status": "computation-started",
        "status_history": [
            {"status": "pending-input", "timestamp": _at(0), "end_timestamp": _at(2)},
            {"status": "submitted", "timestamp": _at(2), "end_timestamp": _at(40)},
            {
                "status": "started",
                "timestamp": _at(40),
                "end_timestamp": _at(50),
                "operations": [_op("download_input", 40, 45), _op("uncompress_input", 45, 50)],
            },
            {
                "status": "computation-started",
                "timestamp": _at(50),
                "end_timestamp": _at(200),
                "operations": [_op("exec_command", 50, None, command="python sim.py --steps 1000")],
            },
            {"status": "spot-instance-preempted", "timestamp": _at(200), "end_timestamp": _at(205)},
            {"status": "submitted", "timestamp": _at(205), "end_timestamp": _at(230)},
            {
                "status": "computation-started",
                "timestamp": _at(230),
                "operations": [
                    _op("exec_command", 230, None, command="python sim.py --steps 1000")
                ],
            },
        ],
    }
)
"""A running task that was preempted and resubmitted once."""


class OnePane(App[None], Generic[W]):
    """One pane alone, filled by ``setup`` once mounted."""

    def __init__(self, pane: Callable[[], W], setup: Callable[[W], None]) -> None:
        super().__init__()
        self._make_pane = pane
        self._setup = setup

    def compose(self) -> ComposeResult:
        self._pane = self._make_pane()
        yield self._pane

    def on_mount(self) -> None:
        self._setup(self._pane)


def timeline_pane() -> OnePane[TimelineView]:
    """The timeline of :data:`RESUBMITTED`, five minutes after it was created."""
    formatter = Formatter(clock=FixedClock(T0 + timedelta(seconds=300)), tz=timezone.utc)

    def show(view: TimelineView) -> None:
        view.selected = RESUBMITTED

    return OnePane(lambda: TimelineView(formatter, id="pane"), show)


def fill_tail(panel: TailPanel) -> None:
    """Both streams: plain lines, markup and ANSI shown as text, a progress line rewritten."""
    panel.mode = TailMode.BOTH
    view = panel.view
    view.apply(
        panel.buffer.feed(
            "step 1 of 3\nstep 2 of 3\n[bold]literal[/] \x1b[31mred\x1b[0m\n", "stdout"
        )
    )
    view.apply(panel.buffer.feed("warning: slow convergence\n", "stderr"))
    view.apply(panel.buffer.feed("progress 10%\rprogress 55%", "stdout"))


def fill_files(panel: FilesPanel) -> None:
    """An output archive of two files at the top and two in a folder."""
    root = tree_from_archive(
        [
            FileInfo(name="stdout.txt", size=12_345, compressed_size=2_100),
            FileInfo(name="stderr.txt", size=0, compressed_size=2),
            FileInfo(name="vtk/field_0001.vtk", size=4_500_000, compressed_size=1_200_000),
            FileInfo(name="vtk/field_0002.vtk", size=4_500_000, compressed_size=1_190_000),
        ]
    )
    task = Task.model_validate(
        {
            "task_id": "t0files",
            "status": "success",
            "storage_output_path": "t0files/output.zip",
            "metrics": {"output_zipped_size_bytes": 2_392_512},
        }
    )
    panel.selected = task
    panel.source = TailSource.ARCHIVE
    panel._set_root(root, archive_summary(root, task))


async def search_tail(pilot: Pilot[None]) -> None:
    """Search the output for ``step``."""
    pilot.app.query_one(TailPanel).view.focus()
    await pilot.press("slash", *"step", "enter")


async def mark_file(pilot: Pilot[None]) -> None:
    """Mark the second file."""
    pilot.app.query_one(FilesPanel).file_tree.focus()
    await pilot.press("down", "space")


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


def _tail_pane(server: ServerProcess) -> App[None]:
    return OnePane(lambda: TailPanel(id="pane"), fill_tail)


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("main-120x40", dashboard, (120, 40), loaded),
    Scenario("main-80x24", dashboard, (80, 24), loaded),
    Scenario("kill-dialog", dashboard, (120, 40), _kill_dialog),
    Scenario("help", dashboard, (120, 40), _help),
    Scenario("board-120x40", dashboard, (120, 40), board),
    Scenario("board-80x24", dashboard, (80, 24), board),
    Scenario("sweep-120x40", dashboard, (120, 40), sweep_table),
    Scenario("sweep-80x24", dashboard, (80, 24), sweep_table),
    Scenario("failures-120x40", dashboard, (120, 40), failures),
    Scenario("failures-80x24", dashboard, (80, 24), failures),
    Scenario("pane-timeline", lambda server: timeline_pane(), (90, 20)),
    Scenario("pane-output", _tail_pane, (70, 10)),
    Scenario("pane-output-search", _tail_pane, (70, 10), search_tail),
    Scenario("fleet-120x40", lambda server: fleet_scene(), (120, 40), fleet_shown),
    Scenario("fleet-80x24", lambda server: fleet_scene(), (80, 24), fleet_shown),
    Scenario(
        "pane-files",
        lambda server: OnePane(lambda: FilesPanel(id="pane"), fill_files),
        (70, 12),
        mark_file,
    ),
)
