"""Help, palette, copy, watch and export on the dashboard, against a real server."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from textual.command import CommandPalette
from textual.widgets import Checkbox, Input, Label, RadioButton

from inductiva_top.api.models import Task
from inductiva_top.ui.app import InductivaTopApp
from inductiva_top.ui.screens.detail import TaskDetailScreen
from inductiva_top.ui.screens.export import ExportDialog
from inductiva_top.ui.screens.help import GENERIC, HelpScreen, help_sections
from inductiva_top.ui.screens.main import MainScreen
from inductiva_top.ui.widgets.tailview import TailView
from inductiva_top.ui.widgets.task_table import TaskTable
from tests.conftest import ServerProcess
from tests.server.task_helpers import submit
from tests.ui.conftest import Seeded
from tests.ui.dashboard_helpers import QUICK, click_when_shown, make_app, until


def _table(app: InductivaTopApp) -> TaskTable:
    screen = app.screen_stack[1] if len(app.screen_stack) > 1 else app.screen
    assert isinstance(screen, MainScreen)
    return screen.query_one(TaskTable)


async def test_help_lists_the_live_keys_with_the_keymap_applied(seeded: Seeded) -> None:
    app = make_app(seeded.server, keymap={"main.kill": "x", "main.export": "ctrl+e"})
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: _table(app).row_count > 0, "rows")
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help screen")
        assert isinstance(app.screen, HelpScreen)
        keys = {
            key.description: key.keys for section in app.screen.sections for key in section.keys
        }
        assert keys["Kill"] == "x"
        assert keys["Export"] == "^e"
        assert keys["Help"] == "?"
        assert keys["Details"] == "⏎"
        titles = [section.title for section in app.screen.sections]
        assert titles[0] == "Navigate" and titles[-2:] == ["Everywhere", GENERIC]
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_help_is_built_once_and_shown_again(seeded: Seeded) -> None:
    app = make_app(seeded.server)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: _table(app).row_count > 0, "rows")
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help screen")
        first = app.screen
        labels = list(first.query(Label))
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, HelpScreen), "help closed")
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help again")
        # The same dialog and widgets: not composed (nor styled) again.
        assert app.screen is first
        assert list(first.query(Label)) == labels
        await pilot.press("q")
        await until(pilot, lambda: not isinstance(app.screen, HelpScreen), "help closed by q")
        assert not app._exit
        # Over another screen the one dialog lists that screen's keys, and the main
        # screen's again once back there.
        main_sections = first.sections
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, TaskDetailScreen), "the detail")
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), "the detail's help")
        assert app.screen is first and first.sections == help_sections(app.screen_stack[-2])
        assert first.sections != main_sections
        await pilot.press("escape", "escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen), "back on the table")
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help once more")
        assert app.screen is first and first.sections == main_sections


async def test_help_dims_what_read_only_switches_off(seeded: Seeded) -> None:
    app = make_app(seeded.server, read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: _table(app).row_count > 0, "rows")
        kill = [
            key
            for section in help_sections(app.screen)
            for key in section.keys
            if key.description == "Kill"
        ]
        assert [k.enabled for k in kill] == [False]


async def test_c_copies_the_cursor_task_id(seeded: Seeded) -> None:
    app = make_app(seeded.server)
    async with app.run_test(size=(120, 40)) as pilot:
        table = _table(app)
        await until(pilot, lambda: table.cursor_id is not None, "a cursor task")
        await pilot.press("c")
        assert app.clipboard == table.cursor_id


async def test_w_marks_the_row_and_a_finishing_task_is_announced(seeded: Seeded) -> None:
    app = make_app(seeded.server)
    async with app.run_test(size=(120, 40)) as pilot:
        table = _table(app)
        await until(pilot, lambda: table.cursor_id is not None, "a cursor task")
        await pilot.press("w")
        assert table.cursor_id is not None and table.watched(table.cursor_id)
        # A task seen running, then finished: the watcher reports it once.
        running = seeded.running[0]
        with seeded.server.client() as client:
            client.post(f"/tasks/{running}/kill")
        if running not in app.watcher.watched:
            app.watcher.toggle(Task(task_id=running, status="computation-started"))
        await until(
            pilot,
            lambda: any(str(n.message) == f"{running} was killed" for n in app._notifications),
            "a toast for the killed task",
        )


async def test_palette_offers_the_dashboard_commands(seeded: Seeded) -> None:
    app = make_app(seeded.server)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: _table(app).cursor_id is not None, "rows")
        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette), "the palette")
        await pilot.press(*"copy task id")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await until(pilot, lambda: app.clipboard == _table(app).cursor_id, "a copy")


async def test_export_writes_every_task_of_the_view(seeded: Seeded, tmp_path: Path) -> None:
    app = make_app(seeded.server, page_size=3, output_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: _table(app).row_count > 0, "rows")
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, ExportDialog), "the export dialog")
        dialog = app.screen
        target = tmp_path / "view.csv"
        dialog.query_one("#export-path", Input).value = str(target)
        await click_when_shown(pilot, "#export-go")
        await until(pilot, target.exists, "the CSV file")
        rows = list(csv.DictReader(target.open()))
        assert sorted(row["task_id"] for row in rows) == sorted(
            seeded.success + seeded.failed + seeded.running + seeded.waiting
        )


async def test_export_refuses_to_overwrite_and_writes_json_on_request(
    seeded: Seeded, tmp_path: Path
) -> None:
    app = make_app(seeded.server, page_size=4, statuses=("success", "failed"))
    target = tmp_path / "view.json"
    target.write_text("keep")
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: _table(app).row_count > 0, "rows")
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, ExportDialog), "the export dialog")
        dialog = app.screen
        await click_when_shown(pilot, "#export-json")
        await until(pilot, lambda: dialog.query_one("#export-json", RadioButton).value, "JSON")
        dialog.query_one("#export-path", Input).value = str(target)
        await click_when_shown(pilot, "#export-go")
        error = dialog.query_one("#export-error", Label)
        await until(pilot, lambda: "already exists" in str(error.content), "the refusal")
        assert target.read_text() == "keep"
        dialog.query_one("#export-overwrite", Checkbox).value = True
        assert dialog.query_one("#export-json", RadioButton).value
        await click_when_shown(pilot, "#export-go")
        await until(pilot, lambda: target.read_text() != "keep", "the JSON file")
        ids = [item["task_id"] for item in json.loads(target.read_text())]
        assert sorted(ids) == sorted(seeded.success + seeded.failed)
        assert not isinstance(app.screen, ExportDialog)


async def test_new_tasks_take_the_cursor_only_when_following(live_server: ServerProcess) -> None:
    """``f`` follows (shown in the header); else the cursor stays and the header counts new rows."""
    app = make_app(live_server)
    async with app.run_test(size=(120, 16)) as pilot:
        table = _table(app)
        header = app.screen.query_one("#header-follow", Label)
        await until(pilot, lambda: table.data is not None and table.data.window.total == 0, "empty")
        with live_server.client() as client:
            ids = [submit(client, QUICK, project="head") for _ in range(6)]
            await until(pilot, lambda: table.row_count == 6, "six tasks")
            await pilot.press("end")
            await until(pilot, lambda: table.cursor_id == ids[0], "the cursor on the oldest")
            first = table.first_row
            assert first > 0
            newer = submit(client, QUICK, project="head")
            await until(pilot, lambda: table.row_count == 7, "a seventh task")
            assert table.cursor_id == ids[0]
            await until(pilot, lambda: str(header.content) == "1 new ↑", "the header's count")
            await pilot.press("g")
            assert table.cursor_id == newer
            await until(pilot, lambda: not str(header.content), "the count to go")
            await pilot.press("f")
            assert "following new" in str(header.content)
            newest = submit(client, QUICK, project="head")
            await until(pilot, lambda: table.cursor_id == newest, "the cursor on the newest")
            await pilot.press("f")
            assert not str(header.content)
            submit(client, QUICK, project="head")
            await until(pilot, lambda: table.row_count == 9, "a ninth task")
            assert table.cursor_id == newest


async def test_mouse_clicks_select_and_double_clicks_open(seeded: Seeded) -> None:
    app = make_app(seeded.server)
    async with app.run_test(size=(120, 40)) as pilot:
        table = _table(app)
        await until(pilot, lambda: table.row_count == seeded.total, "rows")
        await pilot.click(TaskTable, offset=(5, 3))  # line 0 is the header: row 2
        assert table.cursor == 2
        await pilot.double_click(TaskTable, offset=(5, 1))
        await until(pilot, lambda: isinstance(app.screen, TaskDetailScreen), "the details")


async def test_c_in_the_output_pane_copies_its_lines(seeded: Seeded) -> None:
    app = make_app(seeded.server)
    async with app.run_test(size=(120, 40)) as pilot:
        table = _table(app)
        await until(pilot, lambda: table.row_count == seeded.total, "rows")
        index = table.data.window.index_of(seeded.success[0]) if table.data else None
        assert index is not None
        table.move_to(index)
        view = app.screen.query_one(TailView)
        await until(pilot, lambda: any(line.text == "done" for line in view.lines), "output")
        view.focus()
        await pilot.press("c")
        assert app.clipboard == "done"


async def test_a_theme_picked_is_saved_to_the_config_file(seeded: Seeded, tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("refresh: 1\n")
    app = make_app(seeded.server, config_path=path)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: _table(app).row_count > 0, "rows")
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette), "the theme picker")
        await pilot.press(*"nord")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await until(pilot, lambda: "theme: nord" in path.read_text(), "the saved theme")
        assert app.theme == "nord"
        assert "refresh: 1" in path.read_text()


async def test_switching_profile_from_the_palette_restarts_on_it(
    seeded: Seeded, tmp_path: Path
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        "profiles:\n"
        f"  other:\n    api_url: {seeded.server.base_url}/\n    api_key: {seeded.server.api_key}\n"
    )
    app = make_app(seeded.server, config_path=path)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: _table(app).row_count > 0, "rows")
        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette), "the palette")
        await pilot.press(*"switch profile")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await until(pilot, lambda: app.next_config is not None, "the switch")
    assert app.next_config is not None
    assert app.next_config.profile == "other"
    assert app.next_config.api_url.rstrip("/") == seeded.server.base_url.rstrip("/")
    assert app.next_config.refresh == 1.0  # the rest of the settings carried over
