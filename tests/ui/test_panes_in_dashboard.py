"""The panes inside the real dashboard: they follow the cursor, and download in read-only mode."""

from __future__ import annotations

import sys
from pathlib import Path

from textual.widgets import Tabs

from inductiva_top.monitor.output.tailsource import TailMode
from inductiva_top.ui.screens.main import MainScreen
from inductiva_top.ui.widgets.files import FilesPanel, FileTree
from inductiva_top.ui.widgets.panes import TaskPanes
from inductiva_top.ui.widgets.tail import TailPanel
from inductiva_top.ui.widgets.task_table import TaskTable
from inductiva_top.ui.widgets.timeline import TimelineView
from tests.conftest import ServerProcess
from tests.server.task_helpers import submit, wait_status
from tests.ui.dashboard_helpers import make_app, until

PY = sys.executable


async def test_panes_follow_the_cursor_and_download_in_read_only_mode(
    live_server: ServerProcess, tmp_path: Path
) -> None:
    with live_server.client() as http:
        older = submit(http, [PY, "-c", "print('older output')"])
        wait_status(http, older, "success")
        newer = submit(http, [PY, "-c", "print('newer output')"])
        wait_status(http, newer, "success")
    app = make_app(live_server, read_only=True, output_dir=tmp_path)
    async with app.run_test(size=(130, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, MainScreen), "the main screen")
        screen = app.screen
        table = screen.query_one(TaskTable)
        tail = screen.query_one(TailPanel)
        await until(pilot, lambda: table.cursor_id == newer, "the cursor on the newest task")

        def shown() -> list[str]:
            return [line.text for line in tail.view.lines]

        await until(pilot, lambda: shown() == ["newer output"], "the newest task's output")
        await pilot.press("down")
        await until(pilot, lambda: shown() == ["older output"], "the older task's output")
        await pilot.press("o")  # from the table: the tail pane switches to stderr
        assert tail.mode is TailMode.STDERR
        await until(
            pilot, lambda: tail.target is not None and tail.target.mode is TailMode.STDERR, "stderr"
        )
        assert screen.query_one("#pane-tail").border_subtitle == "stderr.txt"
        await pilot.press("o", "o")
        assert tail.mode is TailMode.STDOUT
        await until(pilot, lambda: shown() == ["older output"], "stdout again")
        timeline = screen.query_one(TimelineView)
        await until(
            pilot,
            lambda: (
                timeline.timeline is not None and timeline.timeline.states[-1].code == "success"
            ),
            "the older task's timeline",
        )
        files = screen.query_one(FilesPanel)
        await until(pilot, lambda: files.root is not None, "the older task's files")
        screen.query_one(FileTree).focus()
        await pilot.press("d")  # read-only mode: downloads write nothing to the server
        downloads = app.services.downloads  # type: ignore[union-attr]
        await until(pilot, lambda: downloads.jobs and downloads.jobs[-1].state != "running", "dl")
        assert downloads.jobs[-1].state == "done", downloads.jobs[-1].error
        assert (tmp_path / older / "outputs" / "stdout.txt").read_text() == "older output\n"


TICKER = (
    "import os, sys, time\n"
    "os.makedirs('out', exist_ok=True)\n"
    "for name in ('a.dat', 'b.dat'):\n"
    "    open(os.path.join('out', name), 'w').write('x')\n"
    "for i in range(6000):\n"
    "    print(f'tick {i}', flush=True)\n"
    "    print(f'warn {i}', file=sys.stderr, flush=True)\n"
    "    time.sleep(0.05)\n"
)


async def test_resizing_across_the_layout_keeps_every_pane_state(
    live_server: ServerProcess, tmp_path: Path
) -> None:
    with live_server.client() as http:
        task_id = submit(http, [PY, "-c", TICKER])
        wait_status(http, task_id, "computation-started")
    app = make_app(live_server, output_dir=tmp_path)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: isinstance(app.screen, MainScreen), "the main screen")
            screen = app.screen
            panes = screen.query_one(TaskPanes)
            tail = screen.query_one(TailPanel)
            files = screen.query_one(FilesPanel)
            await until(pilot, lambda: screen.query_one(TaskTable).cursor_id == task_id, "cursor")
            # The output mode: both files, merged.
            await pilot.press("o", "o")
            assert tail.mode is TailMode.BOTH
            await until(
                pilot,
                lambda: {line.stream for line in tail.view.lines} == {"stdout", "stderr"},
                "both streams followed",
            )
            # A search.
            tail.view.focus()
            await pilot.press("slash", *"tick 1", "enter")
            assert tail.view.matches
            # Marks and keep-zip in the files pane.
            await until(pilot, lambda: files.root is not None, "the live work dir")
            tree = files.file_tree
            tree.focus()
            out = next(n for n in tree.root.children if n.data is not None and n.data.is_dir)
            tree.move_cursor(out)
            await pilot.press("space", "x")
            marks = set(tree.marked)
            assert marks == {"out/"} and files.keep_zip

            def followers() -> list[object]:
                return [w for w in app.workers if w.node is tail and w.group == "tail"]

            (worker,) = followers()
            widgets = (panes.query_one("#pane-tail"), tail, tail.view, files, tree)
            buffer = tail.buffer
            first_lines = [line.text for line in buffer.lines()[:5]]
            matches = len(tail.view.matches)
            assert not panes.has_class("-narrow")

            await pilot.resize_terminal(100, 40)
            await until(pilot, lambda: panes.has_class("-narrow"), "the narrow layout")
            tabs = panes.query_one(Tabs)
            assert tabs.display and tabs.active == "tab-timeline"
            assert not panes.query_one("#pane-tail").display
            tabs.focus()
            await pilot.press("right")  # the tab strip's own keys pick the pane shown
            await until(pilot, lambda: tabs.active == "tab-tail", "the output tab")
            await until(pilot, lambda: panes.query_one("#pane-tail").display, "the output pane")
            assert not panes.query_one("#pane-timeline").display
            count = len(buffer.lines())
            await until(pilot, lambda: len(buffer.lines()) > count, "lines while narrow")

            await pilot.resize_terminal(120, 40)
            await until(pilot, lambda: not panes.has_class("-narrow"), "the wide layout")
            assert not tabs.display
            assert all(pane.display for pane in panes.query_one("#panes-row").children)

            # The same widgets, holding the same state; the same stream, never restarted.
            assert (panes.query_one("#pane-tail"), tail, tail.view, files, tree) == widgets
            assert followers() == [worker] and worker.is_running
            assert tail.buffer is buffer and tail.view.buffer is buffer
            assert [line.text for line in buffer.lines()[:5]] == first_lines
            assert len(tail.view.matches) >= matches
            assert "matches for /tick 1/" in str(tail.query_one("#tail-status").render())
            assert tail.mode is TailMode.BOTH and panes.query_one("#pane-tail").border_subtitle
            assert tree.marked == marks and files.keep_zip
            assert "out/" in {n.data.path for n in tree.root.children if n.data is not None}
    finally:
        with live_server.client() as http:
            http.post(f"/tasks/{task_id}/kill")


LONG_LINES = (
    "import time\n"
    "for i in range(6000):\n"
    "    print(f'step {i:5d} ' + 'residual=1.0e-03 ' * 12 + 'END', flush=True)\n"
    "    time.sleep(0.1)\n"
)


async def test_z_zooms_the_pane_with_focus_and_back(live_server: ServerProcess) -> None:
    """Each pane fills the screen on ``z`` and comes back on ``z``; nothing restarts."""
    with live_server.client() as http:
        task_id = submit(http, [PY, "-c", LONG_LINES])
        wait_status(http, task_id, "computation-started")
    app = make_app(live_server)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: isinstance(app.screen, MainScreen), "the main screen")
            screen = app.screen
            table = screen.query_one(TaskTable)
            tail = screen.query_one(TailPanel)
            await until(pilot, lambda: table.cursor_id == task_id, "the cursor")
            await until(pilot, lambda: len(tail.view.lines) >= 2, "the output")
            narrow = tail.view.size.width
            assert narrow >= 56  # the output is the widest of the three panes
            (worker,) = [w for w in app.workers if w.node is tail and w.group == "tail"]
            # From the table, z zooms the output, and gives it the focus.
            await pilot.press("z")
            pane = screen.query_one("#pane-tail")
            assert screen.maximized is pane and tail.view.has_focus
            await pilot.pause()
            assert tail.view.size.width >= 110 and pane.size.height >= 35
            # W wraps the long lines over rows instead of running off to the right.
            line = tail.view.lines[0].text
            await pilot.press("W")
            await pilot.pause()
            view_width = tail.view.scrollable_content_region.width
            assert tail.view.wrap and tail.view.virtual_size.width == view_width
            assert line.startswith("step") and line.endswith("END") and len(line) > view_width
            rows = ["".join(s.text for s in tail.view.render_line(y)) for y in range(6)]
            first = next(y for y, row in enumerate(rows) if row.startswith("step"))
            joined = "".join(row[:view_width] for row in rows[first:])
            # The first line that starts on screen reads whole over the next rows.
            assert any(joined.startswith(shown.text) for shown in tail.view.lines), rows
            # Esc closes the search in the zoomed pane first; then it unzooms, as z does.
            await pilot.press("slash", "escape")
            assert screen.maximized is pane and not tail.has_class("-searching")
            await pilot.press("escape")
            assert screen.maximized is None and table.has_focus
            await pilot.press("z", "z")
            assert screen.maximized is None and table.has_focus
            # The files pane and the timeline zoom from their own focus.
            screen.query_one(FileTree).focus()
            await pilot.press("z")
            assert screen.maximized is screen.query_one("#pane-files")
            await pilot.press("z")
            screen.query_one("#pane-timeline").focus()
            await pilot.press("z")
            assert screen.maximized is screen.query_one("#pane-timeline")
            await pilot.press("z")
            assert screen.maximized is None
            assert [w for w in app.workers if w.node is tail and w.group == "tail"] == [worker]
            assert worker.is_running  # the same stream all along
    finally:
        with live_server.client() as http:
            http.post(f"/tasks/{task_id}/kill")
