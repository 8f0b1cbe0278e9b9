"""The panes inside the real dashboard: they follow the cursor, and download in read-only mode."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.conftest import ServerProcess
from tests.server.task_helpers import submit, wait_status
from tests.ui.dashboard_helpers import make_app, until

from inductiva_top.monitor.tailsource import TailMode
from inductiva_top.ui.screens.main import MainScreen
from inductiva_top.ui.widgets.files import FilesPanel, FileTree
from inductiva_top.ui.widgets.tail import TailPanel
from inductiva_top.ui.widgets.task_table import TaskTable
from inductiva_top.ui.widgets.timeline import TimelineView

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
