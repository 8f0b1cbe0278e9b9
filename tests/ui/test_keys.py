"""The keys people reach for first: quit, help, the footer, failures, kill's reasons, bursts.

Against a real seeded server (issue 12: items 6, 12, 17-20). A burst sends
every key to the app before it handles the first, as a laggy SSH link
delivers a line typed ahead.
"""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

from textual import events
from textual.binding import Binding
from textual.command import CommandPalette
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widgets import Input, Label
from textual.widgets._footer import FooterKey

from inductiva_top.monitor.statuses import FILTER_GROUPS
from inductiva_top.ui import screens
from inductiva_top.ui.app import InductivaTopApp
from inductiva_top.ui.keymap import loaded_binding_ids
from inductiva_top.ui.screens.board import BoardScreen
from inductiva_top.ui.screens.detail import TaskDetailScreen
from inductiva_top.ui.screens.export import ExportDialog
from inductiva_top.ui.screens.failures import FailuresScreen
from inductiva_top.ui.screens.fleet import FleetScreen
from inductiva_top.ui.screens.help import GENERIC, HelpScreen
from inductiva_top.ui.screens.main import MainScreen
from inductiva_top.ui.screens.queue import QueueScreen
from inductiva_top.ui.screens.status_filter import StatusFilter, StatusList
from inductiva_top.ui.widgets.task_table import TaskTable
from tests.ui.conftest import Seeded
from tests.ui.dashboard_helpers import click_when_shown, make_app, until

FAILED = frozenset(FILTER_GROUPS["failed"])


def _main(app: InductivaTopApp) -> MainScreen:
    screen = app.screen_stack[1]
    assert isinstance(screen, MainScreen)
    return screen


def _table(app: InductivaTopApp) -> TaskTable:
    return _main(app).query_one(TaskTable)


def _notes(app: InductivaTopApp) -> list[str]:
    return [str(note.message) for note in app._notifications]


async def burst(pilot: Pilot[None], *keys: str) -> None:
    """Hand every key to the app at once, then let it work through them."""
    app = pilot.app
    assert app._driver is not None
    for key in keys:
        char = " " if key == "space" else (key if len(key) == 1 else None)
        event = events.Key(key, char)
        event.set_sender(app)
        app._driver.send_message(event)
    await pilot.pause()
    await pilot.pause()


async def _loaded(pilot: Pilot[None], app: InductivaTopApp, seeded: Seeded) -> TaskTable:
    table = _table(app)
    await until(pilot, lambda: table.row_count == seeded.total, "the table to fill")
    await until(pilot, lambda: table.cursor_id is not None, "the cursor")
    return table


# -- 12: the status dialog takes keys typed ahead, in order --------------------------


async def _status_dialog(pilot: Pilot[None], app: InductivaTopApp, seeded: Seeded) -> None:
    await _loaded(pilot, app, seeded)
    await pilot.press("s")
    await until(
        pilot,
        # Its lists too: a screen is current before its children are mounted.
        lambda: isinstance(app.screen, StatusFilter) and bool(app.screen.query(StatusList)),
        "the status dialog",
    )


async def test_a_burst_in_the_status_dialog_ticks_each_row_it_passes(seeded: Seeded) -> None:
    app = make_app(seeded.server)
    async with app.run_test(size=(120, 40)) as pilot:
        await _status_dialog(pilot, app, seeded)
        dialog = app.screen
        await burst(pilot, "space", "down", "space", "down", "space", "down")
        waiting = dialog.query_one("#status-waiting", StatusList)
        assert waiting.selected == list(FILTER_GROUPS["waiting"][:3])
        # Focus moves on to the next group in the same burst, and keys follow it.
        await burst(pilot, "tab", "tab", "tab", "space", "down", "down", "space")
        failed = dialog.query_one("#status-failed", StatusList)
        assert failed.selected == [FILTER_GROUPS["failed"][0], FILTER_GROUPS["failed"][2]]


async def test_a_group_toggles_as_one_by_its_key_and_its_title(seeded: Seeded) -> None:
    app = make_app(seeded.server)
    async with app.run_test(size=(120, 40)) as pilot:
        await _status_dialog(pilot, app, seeded)
        dialog = app.screen
        failed = dialog.query_one("#status-failed", StatusList)
        await pilot.press("4")
        assert set(failed.selected) == FAILED
        await pilot.click(".status-group-title", offset=(1, 0))  # the first: waiting
        assert set(dialog.query_one("#status-waiting", StatusList).selected) == set(
            FILTER_GROUPS["waiting"]
        )
        await pilot.press("4")
        assert failed.selected == []
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, MainScreen), "the dialog to close")
        assert _main(app).state.window.query.statuses == frozenset(FILTER_GROUPS["waiting"])


async def test_a_ticked_box_differs_from_an_unticked_one_without_colour(seeded: Seeded) -> None:
    app = make_app(seeded.server)
    async with app.run_test(size=(120, 40)) as pilot:
        await _status_dialog(pilot, app, seeded)
        waiting = app.screen.query_one("#status-waiting", StatusList)
        await pilot.press("space")
        ticked, unticked = waiting.render_line(0).text, waiting.render_line(1).text
        # The same row apart from the box: the glyph says ticked, not only the colour.
        assert ticked[:3] != unticked[:3]
        assert ticked[:3] == "▐X▌"


# -- 6: the filter bar says everything on its one line ---------------------------------


async def test_the_filter_bar_names_groups_and_the_sort_on_one_line_at_80(seeded: Seeded) -> None:
    statuses = (*FILTER_GROUPS["failed"], *FILTER_GROUPS["waiting"])
    app = make_app(seeded.server, statuses=statuses)
    async with app.run_test(size=(80, 24)) as pilot:
        table = _table(app)
        expected = len(seeded.failed) + len(seeded.waiting)
        await until(pilot, lambda: table.row_count == expected, "the filtered view")
        summary = _main(app).query_one("#filter-summary", Label)
        line = summary.render_line(0).text
        assert "waiting (4 codes), failed (6 codes)" in line
        assert "sort: submitted ↓" in line
        assert summary.size.height == 1
        await pilot.press("r")
        await until(pilot, lambda: "submitted ↑" in summary.render_line(0).text, "the reverse")


# -- 17: q quits, the footer keeps help and quit, ? puts this screen's keys first ---------


async def test_q_quits(seeded: Seeded) -> None:
    app = make_app(seeded.server)
    async with app.run_test(size=(80, 24)) as pilot:
        await _loaded(pilot, app, seeded)
        # Not pilot.press: it then waits for running animations, and a tab
        # underline animated while the screen is torn down never finishes
        # once the app's animator has stopped (Textual's pilot would hang).
        app.simulate_key("q")
        deadline = time.monotonic() + 30
        while not app._exit and time.monotonic() < deadline:  # noqa: ASYNC110 - no event to await
            await asyncio.sleep(0.01)
        assert app._exit


async def test_q_goes_back_from_every_screen_over_the_table_and_help_says_so(
    seeded: Seeded,
) -> None:
    app = make_app(seeded.server)
    async with app.run_test(size=(120, 40)) as pilot:
        await _loaded(pilot, app, seeded)
        for key, screen in (
            ("enter", TaskDetailScreen),
            ("M", FleetScreen),
            ("P", BoardScreen),
            ("T", FailuresScreen),
            ("s", StatusFilter),
            ("e", ExportDialog),
        ):
            await pilot.press(key)
            await until(pilot, lambda screen=screen: isinstance(app.screen, screen), str(screen))
            await pilot.press("q")
            await until(pilot, lambda: isinstance(app.screen, MainScreen), f"back from {screen}")
            assert not app._exit
        # Typed into a text field, q is a letter.
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, ExportDialog), "the export dialog")
        path = app.screen.query_one("#export-path", Input)
        path.focus()
        await pilot.press("end", "q")
        assert isinstance(app.screen, ExportDialog) and path.value.endswith("q")
        await pilot.press("escape")
        # Help over a pushed screen: q is Back there, and Quit is ctrl+q alone.
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, TaskDetailScreen), "the detail screen")
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help screen")
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        keys = {k.description: k.keys for s in help_screen.sections for k in s.keys}
        assert keys["Back"] == "esc q" and keys["Quit"] == "^q"
        await pilot.press("q", "q")
        await until(pilot, lambda: isinstance(app.screen, MainScreen), "back to the table")
        await pilot.press("q")
        await pilot.pause()
        assert app._exit


async def test_the_queue_view_moved_to_u(seeded: Seeded) -> None:
    app = make_app(seeded.server)
    async with app.run_test(size=(120, 40)) as pilot:
        table = await _loaded(pilot, app, seeded)
        await until(pilot, lambda: table.cursor_id == seeded.waiting[0], "the waiting task")
        await pilot.press("u")
        await until(pilot, lambda: isinstance(app.screen, QueueScreen), "the queue view")
        await pilot.press("escape")
        assert not app._exit


async def test_the_footer_at_80_columns_keeps_help_and_quit(seeded: Seeded) -> None:
    app = make_app(seeded.server, keymap={"app.quit": "ctrl+x"})
    async with app.run_test(size=(80, 24)) as pilot:
        await _loaded(pilot, app, seeded)

        def shown() -> dict[str, Region]:
            return {
                key.action: key.region
                for key in _main(app).query(FooterKey)
                if key.region.width and key.region.right <= 80
            }

        # The footer is arranged after the table fills (one pause was not always enough).
        wanted = {"help", "quit", "status_filter"}
        await until(pilot, lambda: wanted <= shown().keys(), "help, quit and s in the footer")
        keys = shown()
        assert keys["help"].x < keys["quit"].x < keys["status_filter"].x


async def test_help_lists_this_screens_keys_first_and_scrolling_last(seeded: Seeded) -> None:
    app = make_app(seeded.server)
    async with app.run_test(size=(120, 40)) as pilot:
        await _loaded(pilot, app, seeded)
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help screen")
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        sections = help_screen.sections
        titles = [section.title for section in sections]
        assert titles[:4] == ["Navigate", "Filter and sort", "Act on tasks", "Panes"]
        assert titles[-2:] == ["Everywhere", GENERIC] and sections[-1].folded
        by_title = {s.title: [k.description for k in s.keys] for s in sections}
        assert by_title["Navigate"][:2] == ["Down", "Up"]
        assert {"Find", "Status", "Failed", "Sort"} <= set(by_title["Filter and sort"])
        assert {"Kill", "Queue", "Watch"} <= set(by_title["Act on tasks"])
        assert "Focus Next" in by_title[GENERIC]
        listed = [(k.keys, k.description) for s in sections for k in s.keys]
        assert len(listed) == len(set(listed))  # each key once
        keys = {k.description: k.keys for s in sections for k in s.keys}
        assert keys["Quit"] == "q ^q"


def test_every_key_of_the_main_screen_and_its_table_has_a_help_section() -> None:
    named = {binding_id for ids in MainScreen.HELP_SECTIONS.values() for binding_id in ids}
    for cls in (MainScreen, TaskTable):
        ids = {binding.id for binding in cls.BINDINGS if isinstance(binding, Binding)}
        assert ids <= named, ids - named


# -- 18: failures in one key -------------------------------------------------------------


async def test_F_toggles_every_failure_code(seeded: Seeded) -> None:
    app = make_app(seeded.server, active=True)
    async with app.run_test(size=(120, 40)) as pilot:
        table = _table(app)
        await until(pilot, lambda: table.row_count == 3, "the active tasks")
        screen = _main(app)
        await pilot.press("F")
        await until(pilot, lambda: table.row_count == len(seeded.failed), "the failed tasks")
        assert screen.state.window.query.statuses == FAILED
        assert not screen.state.window.query.active  # failed tasks are never active
        summary = str(screen.query_one("#filter-summary", Label).content)
        assert "status: failed (6 codes)" in summary
        await pilot.press("F")
        await until(pilot, lambda: table.row_count == seeded.total, "every task again")
        assert screen.state.window.query.statuses == frozenset()


async def test_brackets_jump_between_failed_tasks(seeded: Seeded) -> None:
    app = make_app(seeded.server, page_size=3)
    async with app.run_test(size=(120, 40)) as pilot:
        table = await _loaded(pilot, app, seeded)
        newest_failure, older_failure = reversed(seeded.failed)
        await pilot.press("right_square_bracket")
        await until(pilot, lambda: table.cursor_id == newest_failure, "the first failure")
        await pilot.press("right_square_bracket")
        await until(pilot, lambda: table.cursor_id == older_failure, "the next failure")
        await pilot.press("right_square_bracket")
        await until(pilot, lambda: "No failed task below." in _notes(app), "nothing below")
        assert table.cursor_id == older_failure
        await pilot.press("left_square_bracket")
        await until(pilot, lambda: table.cursor_id == newest_failure, "back up")


# -- 19: kill says why it cannot, and is in the palette ----------------------------------


async def test_k_on_a_finished_task_says_why(seeded: Seeded) -> None:
    app = make_app(seeded.server)
    async with app.run_test(size=(120, 40)) as pilot:
        table = await _loaded(pilot, app, seeded)
        index = table.data.window.index_of(seeded.success[0]) if table.data else None
        assert index is not None
        table.move_to(index)
        await pilot.press("k")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        said = f"{seeded.success[0]} has finished (Success): there is nothing to kill."
        await until(pilot, lambda: said in _notes(app), "the reason")


async def test_k_in_read_only_mode_says_so_and_the_palette_offers_kill(seeded: Seeded) -> None:
    app = make_app(seeded.server, read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        table = await _loaded(pilot, app, seeded)
        await until(pilot, lambda: table.cursor_id == seeded.waiting[0], "a killable task")
        await pilot.press("k")
        said = "Read-only mode: nothing is changed on the server."
        await until(pilot, lambda: said in _notes(app), "the reason")
        app.clear_notifications()
        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette), "the palette")
        await pilot.press(*"kill")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await until(pilot, lambda: said in _notes(app), "the palette's kill says why")


# -- 20: no key, no mystery --------------------------------------------------------------


async def test_no_api_key_is_said_in_one_line_naming_where_a_key_comes_from(
    seeded: Seeded,
) -> None:
    app = make_app(seeded.server, api_key=None, api_key_source="")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = _main(app)
        await until(pilot, lambda: screen.loop.freshness.last_error is not None, "the refusal")
        notes = [n for n in app._notifications if "API key" in str(n.message)]
        assert len(notes) == 1  # the refusal that follows is the same news: said once
        message = str(notes[0].message)
        assert "\n" not in message
        for place in ("INDUCTIVA_API_KEY", "~/.inductiva/api_key", "inductiva auth login"):
            assert place in message


def test_the_readme_key_table_names_real_binding_ids() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("| key | id | does |") :].split("\n\n", 1)[0]
    listed = set(re.findall(r"`([a-z_]+\.[a-z_]+)`", table))
    screens.load_all()
    known = loaded_binding_ids()
    assert listed <= known, listed - known
    for cls in (MainScreen, TaskTable, InductivaTopApp):
        ids = {binding.id for binding in cls.BINDINGS if isinstance(binding, Binding)}
        assert ids - {None} <= listed, ids - listed


# -- 13: small words --------------------------------------------------------------------


async def test_an_export_of_one_task_says_one_task(seeded: Seeded, tmp_path: Path) -> None:
    app = make_app(seeded.server, project="gamma", statuses=("submitted",))
    async with app.run_test(size=(120, 40)) as pilot:
        table = _table(app)
        await until(pilot, lambda: table.row_count == 1, "the one waiting task")
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, ExportDialog), "the export dialog")
        target = tmp_path / "one[1].csv"  # brackets: shown as text, not markup
        app.screen.query_one("#export-path", Input).value = str(target)
        await click_when_shown(pilot, "#export-go")
        await until(pilot, lambda: f"1 task to {target}" in _notes(app), "the toast")
