"""Pilot tests of the dashboard against a real, seeded embedded server."""

from __future__ import annotations

from dataclasses import replace

import pytest
from textual import events
from textual.widgets import Input, Label

from inductiva_top.api.client import InductivaClient
from inductiva_top.monitor.rows.locate import locate
from inductiva_top.monitor.rows.merge import merged_page
from inductiva_top.monitor.rows.window import SortKey, TaskQuery
from inductiva_top.ui.columns import COLUMNS
from inductiva_top.ui.screens.detail import TaskDetailScreen
from inductiva_top.ui.screens.main import MainScreen
from inductiva_top.ui.screens.queue import QueueScreen
from inductiva_top.ui.screens.status_filter import StatusFilter
from inductiva_top.ui.widgets.panes import TimelinePane
from inductiva_top.ui.widgets.task_table import GUTTER, TaskTable
from tests.ui.conftest import Seeded
from tests.ui.dashboard_helpers import click_when_shown, dashboard, fresh, until


def _label(screen: MainScreen, selector: str) -> str:
    return str(screen.query_one(selector, Label).content)


def _visible_ids(table: TaskTable) -> list[str]:
    assert table.data is not None
    first, last = table.visible_range()
    return [task.task_id for _, task in table.data.window.rows(first, last)]


async def test_table_fills_with_every_task_and_the_header_counts(seeded: Seeded) -> None:
    async with dashboard(seeded.server, rows=seeded.total) as (pilot, _app, screen, table):
        await until(pilot, lambda: "success" in _label(screen, "#header-counts"), "counts")
        shown = set(_visible_ids(table))
        assert shown == set(seeded.success + seeded.failed + seeded.running + seeded.waiting)
        assert "connected" in _label(screen, "#header-state")
        assert fresh(_label(screen, "#header-age"))
        # Newest first: the waiting task was submitted last.
        assert _visible_ids(table)[0] == seeded.waiting[0]
        assert seeded.server.api_key not in _label(screen, "#header-api")


async def test_paging_fetches_only_what_is_shown(seeded: Seeded) -> None:
    async with dashboard(
        seeded.server, rows=seeded.total, size=(120, 12), what="the first page", page_size=3
    ) as (pilot, _app, screen, table):
        window = screen.state.window
        # The oldest task is on the last page, not fetched while the top is on screen.
        assert window.index_of(seeded.success[0]) is None
        await pilot.press("end")
        await until(
            pilot, lambda: table.cursor_id == seeded.success[0], "the cursor on the oldest task"
        )
        assert table.cursor == seeded.total - 1
        await pilot.press("home")
        await until(pilot, lambda: table.cursor_id == seeded.waiting[0], "back to the newest")
        await pilot.press("j", "down")
        assert table.cursor == 2


async def test_sort_cycles_columns_and_keeps_the_cursor_task(seeded: Seeded) -> None:
    async with dashboard(seeded.server, rows=seeded.total) as (pilot, _app, screen, table):
        await pilot.press("j", "j", "j")
        chosen = table.cursor_id
        assert chosen is not None
        while screen.state.window.query.sort[0].field != "project":
            await pilot.press("greater_than_sign")
        await until(pilot, lambda: table.row_count == seeded.total, "the sorted rows")
        await until(pilot, lambda: table.cursor_id == chosen, "the cursor to find its task")
        projects = [task.project for _, task in screen.state.window.rows(0, seeded.total - 1)]
        assert projects == sorted(projects)  # type: ignore[type-var]
        await pilot.press("r")
        await until(
            pilot,
            lambda: (
                screen.state.window.row(0) is not None
                and screen.state.window.row(0).project == "gamma"
            ),  # type: ignore[union-attr]
            "descending order",
        )
        assert table.cursor_id == chosen


async def test_search_by_id_as_you_type_and_escape_clears(seeded: Seeded) -> None:
    target = seeded.failed[0]
    async with dashboard(seeded.server, rows=seeded.total) as (pilot, _app, screen, table):
        await pilot.press("slash", *target[:12])
        # A shorter prefix typed on the way may already find this one row: wait for the
        # whole search to be applied, not for the first single row.
        searched = f"search: {target[:12]} (all {seeded.total} rows)"
        await until(
            pilot,
            lambda: table.row_count == 1 and searched in _label(screen, "#filter-summary"),
            "the id search",
        )
        assert _visible_ids(table) == [target]
        await pilot.press("escape")
        await until(
            pilot,
            lambda: (
                table.row_count == seeded.total
                and "filters: none" in _label(screen, "#filter-summary")
            ),
            "the filter to clear",
        )


async def test_a_key_typed_before_the_search_box_has_its_focus_is_kept(seeded: Seeded) -> None:
    """Under load the second key after "/" arrived after the box opened but before its
    focus: the focus then selected the box's text and the next key replaced it (the id
    search of "gf8p..." searched "f8p...")."""
    async with dashboard(seeded.server, rows=seeded.total) as (pilot, _app, screen, _table):
        box = screen.query_one("#filter-input", Input)
        screen.action_filter_id()
        assert not box.has_focus  # its focus is on its way
        screen.on_key(events.Key("g", "g"))
        await until(pilot, lambda: box.has_focus, "the box's focus")
        await pilot.press("f")
        await until(pilot, lambda: box.value == "gf", "both keys in the box")


async def test_status_filter_modal(seeded: Seeded) -> None:
    async with dashboard(seeded.server, rows=seeded.total) as (pilot, app, screen, table):
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, StatusFilter), "the status modal")
        # Focus the "failed" group and tick its first code ("failed").
        await pilot.press("tab", "tab", "tab", "space")
        await click_when_shown(pilot, "#status-apply")
        await until(pilot, lambda: table.row_count == len(seeded.failed), "the status filter")
        assert set(_visible_ids(table)) == set(seeded.failed)
        assert "status: failed" in _label(screen, "#filter-summary")


async def test_project_picker_and_cli_filters(seeded: Seeded) -> None:
    async with dashboard(
        seeded.server, rows=len(seeded.failed), what="--project beta", project="beta"
    ) as (pilot, app, screen, table):
        assert "project: beta" in _label(screen, "#filter-summary")
        await pilot.press("p")
        await until(pilot, lambda: not isinstance(app.screen, MainScreen), "the project picker")
        # Options: All projects, alpha, beta, gamma.
        await pilot.press("home", "down", "down", "down", "enter")
        expected = len(seeded.running) + len(seeded.waiting)
        await until(pilot, lambda: table.row_count == expected, "project gamma")
    # --active: entering waits until the table holds the running and waiting tasks alone.
    async with dashboard(seeded.server, rows=expected, what="--active", active=True):
        pass


async def test_enter_opens_the_detail_screen(seeded: Seeded) -> None:
    async with dashboard(seeded.server, rows=seeded.total) as (pilot, app, _screen, table):
        while table.cursor_id != seeded.failed[0]:
            await pilot.press("down")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, TaskDetailScreen), "the detail screen")
        await until(
            pilot, lambda: app.screen.query(".detail-section"), "the detail sections to load"
        )
        headings = [str(w.content) for w in app.screen.query(".detail-heading")]
        assert headings[:3] == ["Task", "Timestamps", "Timeline"]
        assert "Storage" in headings and "Sizes and times" in headings
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_timeline_pane_follows_the_cursor(seeded: Seeded) -> None:
    async with dashboard(seeded.server, rows=seeded.total) as (pilot, _app, screen, table):
        while table.cursor_id != seeded.success[-1]:
            await pilot.press("down")
        body = screen.query_one(TimelinePane).query_one("#timeline-body")
        await until(pilot, lambda: "Success" in str(body.render()), "the success timeline")
        assert "In Queue" in str(body.render())


async def test_queue_view_of_a_waiting_task(seeded: Seeded) -> None:
    async with dashboard(seeded.server, rows=seeded.total) as (pilot, app, screen, table):
        await until(pilot, lambda: table.cursor_id == seeded.waiting[0], "the cursor")
        await until(
            pilot,
            lambda: screen.state.queue_ahead.get(seeded.waiting[0]) is not None,
            "the queue position",
        )
        await pilot.press("u")
        await until(pilot, lambda: isinstance(app.screen, QueueScreen), "the queue view")
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        await until(pilot, lambda: queue.view is not None, "the queue's first answer")
        assert queue.view is not None and queue.view.group is not None
        assert {t.task_id for t in queue.view.running} == set(seeded.running)
        # Every refresh of the table beside builds the view again from that refresh, not
        # only the view's own answers (an interval out of step with the table's).
        queue.workers.cancel_group(queue, "queue")  # no answers of its own from now on
        asked = queue.view
        queue.view = stale = replace(asked, ahead=[*asked.ahead, asked.running[0]])
        await until(pilot, lambda: queue.view is not stale, "the view built at a refresh")
        assert asked.running[0].task_id not in {t.task_id for t in queue.view.ahead}
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_reversing_the_sort_keeps_the_cursor_on_its_task(seeded: Seeded) -> None:
    async with dashboard(seeded.server, rows=seeded.total, size=(120, 16), page_size=3) as (
        pilot,
        _app,
        _screen,
        table,
    ):
        newest = seeded.waiting[0]
        await until(pilot, lambda: table.cursor_id == newest, "the cursor on the newest")
        await pilot.press("r")  # oldest first: the newest task is now the last row
        await until(pilot, lambda: table.cursor == seeded.total - 1, "the cursor to follow")
        assert table.cursor_id == newest
        first, last = table.visible_range()
        assert first <= table.cursor <= last


@pytest.mark.parametrize(
    "sort", ["create_time:asc", "create_time:desc", "project:asc", "status:desc", "task_id:asc"]
)
async def test_locate_finds_every_task_by_bisection(seeded: Seeded, sort: str) -> None:
    field, direction = sort.split(":")
    query = TaskQuery(sort=(SortKey(field, direction == "desc"),))
    async with InductivaClient(seeded.server.base_url, seeded.server.api_key) as client:
        everything = (await client.list_tasks(per_page=100, sort=[sort])).tasks
        for index, task in enumerate(everything):
            assert await locate(client, query, task, page_size=3) == index


async def test_every_column_shown_sorts_on_the_server(seeded: Seeded) -> None:
    """Duration, cost and queue position once had no sort; now every column has one.

    But the metadata columns (NAME, ``meta.KEY``): the API sorts by no metadata key; nor
    STARTS and ENDS, the dashboard's own estimates.
    """
    async with InductivaClient(seeded.server.base_url, seeded.server.api_key) as client:
        for column in COLUMNS.values():
            if column.meta_keys or column.key in {"starts", "ends"}:
                assert column.sort_field is None, column.key
                continue
            assert column.sort_field is not None, column.key
            for order in ("asc", "desc"):
                page = await client.list_tasks(per_page=100, sort=[f"{column.sort_field}:{order}"])
                assert page.total_size == seeded.total
    async with dashboard(seeded.server, rows=seeded.total) as (pilot, _app, screen, table):
        await pilot.press("greater_than_sign")  # from SUBMITTED to RUN
        assert screen.state.window.query.sort_params == ("computation_seconds:desc",)
        await until(pilot, lambda: table.row_count == seeded.total, "the sorted rows")
        running = {task.task_id for _, task in screen.state.window.rows(0, 1)}
        assert running == set(seeded.running)  # the longest runs: still running, ticking


async def test_clicking_a_header_sorts_by_it(seeded: Seeded) -> None:
    async with dashboard(seeded.server) as (pilot, _app, screen, table):
        keys = [c.key for c in table.columns]
        x = GUTTER + sum(width + 1 for width in table.widths[: keys.index("project")])
        await pilot.click(TaskTable, offset=(x + 1, 0))
        assert screen.state.window.query.sort_params == ("project:asc",)
        await pilot.click(TaskTable, offset=(x + 1, 0))
        assert screen.state.window.query.sort_params == ("project:desc",)


async def test_no_color_still_shows_status_symbols(
    seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    async with dashboard(seeded.server, size=(80, 24), theme="textual-light") as (
        pilot,
        app,
        _screen,
        table,
    ):
        await pilot.pause()
        # Rendering through the monochrome filter must work (it once crashed)...
        assert "<svg" in app.export_screenshot()
        # ...and statuses read by their symbol and alias.
        lines = [table.render_line(y).text for y in range(1, seeded.total + 1)]
    assert any("◷ In Queue" in line for line in lines)
    assert any("✔ Success" in line for line in lines)


async def test_no_column_is_cut_by_the_right_edge(seeded: Seeded) -> None:
    """At 80 columns the header once ended in 'SUBMITTE' over cells reading '6h ag'."""
    async with dashboard(seeded.server, size=(80, 24)) as (pilot, _app, _screen, table):
        titles = {column.title for column in table.columns}
        seen: set[str] = set()
        for width in range(70, 92, 3):  # wherever the edge falls
            await pilot.resize_terminal(width, 24)
            await pilot.pause()
            for _ in range(3):  # and scrolled sideways, column by column
                header = table.render_line(0).text
                words = header.replace("▼", " ").replace("▲", " ").split()
                assert words and set(words) <= titles, (width, header)
                seen.update(words)
                await pilot.press("right")
                await pilot.pause()
            table.scroll_to(x=0, animate=False)
    assert "SUBMITTED" in seen and len(seen) > 6


@pytest.mark.parametrize("sort", ["create_time:desc", "create_time:asc"])
async def test_several_statuses_merge_one_stream_per_code(seeded: Seeded, sort: str) -> None:
    wanted = ["failed", "success"]
    async with InductivaClient(seeded.server.base_url, seeded.server.api_key) as client:
        everything = (await client.list_tasks(per_page=100, sort=[sort])).tasks
        expected = [t.task_id for t in everything if t.status in wanted]
        got: list[str] = []
        for page in range(1, 5):
            merged = await merged_page(client, wanted, page, 3, sort=[sort])
            assert merged.total_size == len(expected)
            got.extend(t.task_id for t in merged.tasks)
    assert got == expected


async def test_status_filter_with_several_codes(seeded: Seeded) -> None:
    expected = len(seeded.failed) + len(seeded.running)
    statuses = ("failed", "computation-started")
    async with dashboard(
        seeded.server, rows=expected, what="the merged view", statuses=statuses
    ) as (pilot, _app, _screen, table):
        await until(pilot, lambda: table.cursor_id is not None, "the cursor")
        assert set(_visible_ids(table)) == set(seeded.failed + seeded.running)
        assert _visible_ids(table)[:2] == list(reversed(seeded.running))


async def test_merged_pages_read_from_the_end_match_the_top(seeded: Seeded) -> None:
    wanted = ["failed", "success", "computation-started"]
    sort = ["create_time:desc"]
    async with InductivaClient(seeded.server.base_url, seeded.server.api_key) as client:
        total = (await merged_page(client, wanted, 1, 3, sort=sort)).total_size
        for page in range(1, -(-total // 3) + 1):
            from_top = await merged_page(client, wanted, page, 3, sort=sort)
            from_end = await merged_page(client, wanted, page, 3, sort=sort, total_hint=total)
            assert [t.task_id for t in from_end.tasks] == [t.task_id for t in from_top.tasks]


async def test_keymap_remaps_bindings_by_id_and_reports_unknown_ids(seeded: Seeded) -> None:
    async with dashboard(
        seeded.server, keymap={"main.status_filter": "f", "main.nothing": "z"}
    ) as (pilot, app, _screen, _table):
        await pilot.press("f")
        await until(pilot, lambda: isinstance(app.screen, StatusFilter), "the status modal on f")
        notes = " ".join(n.message for n in app._notifications)
    assert "main.nothing" in notes
