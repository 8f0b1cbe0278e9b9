"""Pilot tests of the failures view and the bulk kill, on the demo's sweep run for real.

The sweep's 7 failures are two mistakes: a mesh too coarse (exit 2, every
run of resolution 12) and a diverging solution (exit 3, alpha 0.30 at the
finer meshes). Tests that kill or tag make tasks of their own first.
"""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Label

from inductiva_top.demo.plan import SWEEP_PROJECT
from inductiva_top.ui.app import InductivaTopApp
from inductiva_top.ui.screens.board import BoardScreen
from inductiva_top.ui.screens.confirm import ConfirmAction
from inductiva_top.ui.screens.detail import TaskDetailScreen
from inductiva_top.ui.screens.failures import FailuresScreen, why_text
from inductiva_top.ui.screens.main import MainScreen
from inductiva_top.ui.widgets.sheet import Sheet
from inductiva_top.ui.widgets.tail import TailPanel
from tests.server.task_helpers import status, submit, wait_status
from tests.ui.conftest import FAILED, Swept
from tests.ui.dashboard_helpers import LONG, click_when_shown, make_app, until

COARSE = "error: mesh too coarse"
DIVERGED = "diverged"


def _status(swept: Swept, task_id: str) -> str:
    """The task's status on the server now (asked between the app's steps: a wait that
    blocked the test would stop the app, and the kill it waits for with it)."""
    with swept.server.client() as client:
        return str(status(client, task_id)["status"])


def _main(app: InductivaTopApp) -> MainScreen:
    screen = app.screen
    assert isinstance(screen, MainScreen)
    return screen


def _failures(app: InductivaTopApp) -> FailuresScreen:
    screen = app.screen
    assert isinstance(screen, FailuresScreen)
    return screen


async def _grouped(pilot: Pilot[None], screen: FailuresScreen) -> None:
    """Until every stderr is read and the groups are final."""
    feed = screen.feed
    await until(pilot, lambda: feed.tasks is not None and feed.unread == 0, "the stderr read")
    await until(pilot, lambda: len(feed.groups) == 2, "two groups")


async def test_board_to_a_failed_groups_task_stderr_in_five_keys(swept: Swept) -> None:
    app = make_app(swept.server)
    async with app.run_test(size=(120, 40)) as pilot:
        main = _main(app)
        await until(pilot, lambda: main.state.counts, "the table")
        keys = ["P", "down", "T", "enter"]  # the board, the sweep (second: busy runs), failures
        await pilot.press("P")
        await until(pilot, lambda: isinstance(app.screen, BoardScreen), "the board")
        board = app.screen
        assert isinstance(board, BoardScreen)
        sheet = board.query_one(Sheet)
        await until(pilot, lambda: sheet.keys[:2] == ["busy", SWEEP_PROJECT], "busiest first")
        await pilot.press(*keys[1:3])
        await until(pilot, lambda: isinstance(app.screen, FailuresScreen), "the failures")
        screen = _failures(app)
        await _grouped(pilot, screen)
        coarse, diverged = screen.feed.groups
        assert (coarse.count, diverged.count) == (4, 3) and coarse.count + diverged.count == FAILED
        assert coarse.signature.exit_code == 2 and COARSE in coarse.signature.stderr
        assert diverged.signature.exit_code == 3 and DIVERGED in diverged.signature.stderr
        # What happened and what to do, as the detail screen says it, under the info line.
        why = screen.query_one("#failures-why", Label)
        await until(pilot, lambda: "What happened" in str(why.content), "the why-line")
        assert str(why_text(coarse.example)) == str(why.content)
        assert "exited with an error" in str(why.content) and "What to do" in str(why.content)
        # The pane shows the largest group's newest task's stderr before any key.
        panel = screen.query_one(TailPanel)
        await until(
            pilot,
            lambda: panel.selected is not None
            and panel.selected.task_id == coarse.example.task_id,
            "the example's stderr",
        )  # fmt: skip
        await pilot.press(keys[3])  # the group's tasks; the pane follows the cursor's
        assert screen.level.drilled == coarse.key
        cursor = screen.query_one(Sheet).cursor_key
        assert cursor in {task.task_id for task in coarse.tasks}
        await until(
            pilot,
            lambda: panel.selected is not None and panel.selected.task_id == cursor,
            "the task's stderr",
        )
        await until(
            pilot, lambda: any(COARSE in line.text for line in panel.buffer.lines()), "its text"
        )
        assert len(keys) <= 5
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, TaskDetailScreen), "the detail")


async def test_kill_alike_kills_only_the_unfinished_runs_that_share_the_parameters(
    swept: Swept,
) -> None:
    with swept.server.client() as client:
        alike = submit(
            client, LONG, project=SWEEP_PROJECT, metadata={"resolution": "12", "alpha": "9"}
        )
        other = submit(
            client, LONG, project=SWEEP_PROJECT, metadata={"resolution": "99", "alpha": "9"}
        )
        for task_id in (alike, other):
            wait_status(client, task_id, "submitted", "computation-started")
    # A keymap moves "tag": the line under the groups says the key as it is now.
    app = make_app(swept.server, project=SWEEP_PROJECT, keymap={"failures.tag": "t"})
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: _main(app).state.counts, "the table")
        await pilot.press("T")
        await until(pilot, lambda: isinstance(app.screen, FailuresScreen), "the failures")
        screen = _failures(app)
        await _grouped(pilot, screen)
        info = str(screen.query_one("#failures-info", Label).render())
        assert info.endswith("⏎: its tasks · k: kill alike · d: stderr · t: tag"), info
        await pilot.press("k")
        await until(pilot, lambda: isinstance(app.screen, ConfirmAction), "the confirmation")
        dialog = app.screen
        assert isinstance(dialog, ConfirmAction)
        assert dialog.title_text == "Kill 1 task with resolution=12?"
        assert dialog.names == [alike]
        await click_when_shown(pilot, "#confirm-go")
        await until(pilot, lambda: _status(swept, alike) == "killed", "the alike task killed")
        assert _status(swept, other) != "killed"
        with swept.server.client() as client:
            client.post(f"/tasks/{other}/kill")


async def test_download_puts_every_stderr_of_a_group_in_one_folder_and_tag_patches(
    swept: Swept, tmp_path: Path
) -> None:
    app = make_app(swept.server, project=SWEEP_PROJECT, output_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: _main(app).state.counts, "the table")
        await pilot.press("T")
        await until(pilot, lambda: isinstance(app.screen, FailuresScreen), "the failures")
        screen = _failures(app)
        await _grouped(pilot, screen)
        diverged = screen.feed.groups[1]
        screen.query_one(Sheet).move_to(1)
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmAction), "the confirmation")
        await click_when_shown(pilot, "#confirm-go")
        await until(pilot, lambda: len(list(tmp_path.glob("failures/*/*"))) == 3, "3 files")
        folders = list((tmp_path / "failures").iterdir())
        assert len(folders) == 1 and "exit3" in folders[0].name
        for task in diverged.tasks:
            text = (folders[0] / f"{task.task_id}.stderr.txt").read_text()
            assert "diverged" in text
        # m: tag the group in metadata, merged with what each task had.
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, ConfirmAction), "the tag dialog")
        dialog = app.screen
        assert isinstance(dialog, ConfirmAction) and dialog.title_text.startswith("Tag 3 tasks")
        await pilot.press("ctrl+u", *"triage=unstable", "enter")
        with swept.server.client() as client:

            def tagged() -> bool:
                return all(
                    client.get(f"/tasks/{task.task_id}/metadata").json().get("triage") == "unstable"
                    for task in diverged.tasks
                )

            await until(pilot, tagged, "the tags on the server")
            metadata = client.get(f"/tasks/{diverged.example.task_id}/metadata").json()
        assert metadata["alpha"] == "0.30"


async def test_read_only_refuses_kill_and_tag_in_the_failures_view(swept: Swept) -> None:
    app = make_app(swept.server, project=SWEEP_PROJECT, read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: _main(app).state.counts, "the table")
        await pilot.press("T")
        await until(pilot, lambda: isinstance(app.screen, FailuresScreen), "the failures")
        screen = _failures(app)
        await _grouped(pilot, screen)
        assert screen.check_action("kill_siblings", ()) is False
        assert screen.check_action("tag", ()) is False
        assert screen.check_action("download", ()) is True
        # The line under the groups offers only what works (it once offered kill and tag).
        info = str(screen.query_one("#failures-info", Label).render())
        assert "stderr" in info and "kill" not in info and "tag" not in info
        await pilot.press("k", "m")
        await pilot.pause()
        assert app.screen is screen
        # A task opened from here keeps the promise: its metadata cannot be edited either.
        await pilot.press("enter")
        await until(pilot, lambda: screen.level.drilled is not None, "the group's tasks")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, TaskDetailScreen), "the detail")
        detail = app.screen
        assert isinstance(detail, TaskDetailScreen) and detail.context.read_only


async def test_bulk_kill_of_a_filtered_view_confirms_with_the_count_and_names(
    swept: Swept,
) -> None:
    with swept.server.client() as client:
        ids = [submit(client, LONG, project="bulk") for _ in range(3)]
        for task_id in ids:
            wait_status(client, task_id, "submitted", "computation-started")
    app = make_app(swept.server, project="bulk")
    async with app.run_test(size=(120, 40)) as pilot:
        main = _main(app)
        await until(pilot, lambda: main.state.window.total == 3, "the view of project bulk")
        await pilot.press("K")
        await until(pilot, lambda: isinstance(app.screen, ConfirmAction), "the confirmation")
        dialog = app.screen
        assert isinstance(dialog, ConfirmAction)
        assert dialog.title_text == "Kill 3 tasks of project: bulk?"
        assert sorted(name.split()[0] for name in dialog.names) == sorted(ids)
        await click_when_shown(pilot, "#confirm-go")
        await until(
            pilot, lambda: all(_status(swept, i) == "killed" for i in ids), "the three killed"
        )
