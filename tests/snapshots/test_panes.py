"""SVG snapshots of each task pane, fed fixed data (no server, a frozen clock).

Update after an intended change of looks with
``pytest tests/snapshots/test_panes.py --snapshot-update`` and review the SVGs.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from textual.app import App, ComposeResult
from textual.pilot import Pilot

from inductiva_top.api.models import FileInfo, TaskWithStatusHistory
from inductiva_top.monitor.filetree import summary, tree_from_archive
from inductiva_top.monitor.fmt import FixedClock, Formatter
from inductiva_top.monitor.tailsource import TailMode
from inductiva_top.ui.widgets.files import FilesPanel
from inductiva_top.ui.widgets.tail import TailPanel
from inductiva_top.ui.widgets.timeline import TimelineView

Compare = Callable[..., bool]
T0 = datetime(2026, 3, 14, 15, 0, 0, tzinfo=timezone.utc)


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


class OnePane(App[None]):
    def __init__(self, pane: Callable[[], Any], setup: Callable[[Any], None]) -> None:
        super().__init__()
        self._pane = pane
        self._setup = setup

    def compose(self) -> ComposeResult:
        yield self._pane()

    def on_mount(self) -> None:
        self._setup(self.query_one("#pane"))


def show_resubmitted(view: TimelineView) -> None:
    view.selected = RESUBMITTED


def test_timeline_pane(snap_compare: Compare) -> None:
    formatter = Formatter(clock=FixedClock(T0 + timedelta(seconds=300)), tz=timezone.utc)
    app = OnePane(lambda: TimelineView(formatter, id="pane"), show_resubmitted)
    assert snap_compare(app, terminal_size=(90, 20))


def test_timeline_pane_compact(snap_compare: Compare) -> None:
    formatter = Formatter(clock=FixedClock(T0 + timedelta(seconds=300)), tz=timezone.utc)
    app = OnePane(lambda: TimelineView(formatter, id="pane"), show_resubmitted)
    assert snap_compare(app, terminal_size=(40, 20))


def _fill_tail(panel: TailPanel) -> None:
    panel.mode = TailMode.BOTH
    view = panel.view
    view.apply(
        panel.buffer.feed(
            "step 1 of 3\nstep 2 of 3\n[bold]literal[/] \x1b[31mred\x1b[0m\n", "stdout"
        )
    )
    view.apply(panel.buffer.feed("warning: slow convergence\n", "stderr"))
    view.apply(panel.buffer.feed("progress 10%\rprogress 55%", "stdout"))


def test_tail_pane(snap_compare: Compare) -> None:
    app = OnePane(lambda: TailPanel(id="pane"), _fill_tail)
    assert snap_compare(app, terminal_size=(70, 10))


def test_tail_pane_search(snap_compare: Compare) -> None:
    async def search(pilot: Pilot[None]) -> None:
        pilot.app.query_one(TailPanel).view.focus()
        await pilot.press("slash", *"step", "enter")

    app = OnePane(lambda: TailPanel(id="pane"), _fill_tail)
    assert snap_compare(app, terminal_size=(70, 10), run_before=search)


def _fill_files(panel: FilesPanel) -> None:
    root = tree_from_archive(
        [
            FileInfo(name="stdout.txt", size=12_345, compressed_size=2_100),
            FileInfo(name="stderr.txt", size=0, compressed_size=2),
            FileInfo(name="vtk/field_0001.vtk", size=4_500_000, compressed_size=1_200_000),
            FileInfo(name="vtk/field_0002.vtk", size=4_500_000, compressed_size=1_190_000),
        ]
    )
    panel._set_root(root, f"{summary(root)} · output archive 2.3 MiB")


def test_files_pane(snap_compare: Compare) -> None:
    async def mark(pilot: Pilot[None]) -> None:
        pilot.app.query_one(FilesPanel).file_tree.focus()
        await pilot.press("down", "space")

    app = OnePane(lambda: FilesPanel(id="pane"), _fill_files)
    assert snap_compare(app, terminal_size=(70, 12), run_before=mark)
