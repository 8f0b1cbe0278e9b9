"""Pilot tests of the project board, the sweep table and the totals line on a real sweep.

The server runs the demo's sweep for real (16 heat2d runs over alpha x
resolution, named in their metadata; 4 fail "mesh too coarse" with exit 2
and 3 diverge with exit 3), without the demo's pacing, and one long task in
project ``busy`` keeps running.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

import pytest
from rich.text import Text
from textual.binding import Binding
from textual.command import CommandPalette
from textual.widgets import Label

from inductiva_top.api.client import InductivaClient
from inductiva_top.api.models import TaskPage
from inductiva_top.demo.plan import SWEEP_PROJECT
from inductiva_top.monitor.batch.bars import KindCounts
from inductiva_top.monitor.batch.feeds import BoardFeed
from inductiva_top.monitor.batch.sweep import SweepGroup, SweepRow
from inductiva_top.monitor.batch.totals import PAGE, Totals
from inductiva_top.monitor.statuses import StatusKind
from inductiva_top.ui.screens.board import BoardScreen
from inductiva_top.ui.screens.detail import TaskDetailScreen
from inductiva_top.ui.screens.main import MainScreen
from inductiva_top.ui.screens.sweep import SweepScreen
from inductiva_top.ui.widgets.sheet import Sheet
from inductiva_top.ui.widgets.task_table import TaskTable
from inductiva_top.ui.widgets.totals import BEHIND, TotalsLine, behind_text, totals_text
from tests.ui.conftest import FAILED, RUNS, Swept
from tests.ui.dashboard_helpers import make_app, until


def _main(app: object) -> MainScreen:
    screen = app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, MainScreen)
    return screen


async def test_a_board_refresh_is_one_request_whatever_the_tasks(swept: Swept) -> None:
    async with InductivaClient(swept.server.base_url, swept.server.api_key) as client:
        feed = BoardFeed(client, lambda: datetime.now(timezone.utc))
        before = client.stats.snapshot()
        await feed.tick()
        assert (client.stats - before).requests == 1
    row = next(row for row in feed.rows if row.name == SWEEP_PROJECT)
    assert (row.total, row.counts.done, row.counts[StatusKind.FAILED]) == (RUNS, RUNS, FAILED)
    assert row.success_rate == pytest.approx((RUNS - FAILED) / RUNS)
    assert row.cost is not None and row.cost > 0
    assert row.eta.span is not None and row.eta.span.high == 0  # done


async def test_p_opens_the_board_busiest_first_and_enter_filters_the_table(swept: Swept) -> None:
    app = make_app(swept.server)
    async with app.run_test(size=(120, 40)) as pilot:
        main = _main(app)
        await until(pilot, lambda: main.state.counts, "the table")
        await pilot.press("P")
        await until(pilot, lambda: isinstance(app.screen, BoardScreen), "the board")
        board = app.screen
        assert isinstance(board, BoardScreen)
        sheet = board.query_one(Sheet)
        await until(pilot, lambda: SWEEP_PROJECT in sheet.keys, "the board's rows")
        assert sheet.keys[0] == "busy"  # running tasks first
        legend = str(board.query_one("#board-legend", Label).content)
        assert "busiest first" in legend and "failed" in legend
        sheet.move_to_key(SWEEP_PROJECT)
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is main, "back to the table")
        assert main.state.window.query.project == SWEEP_PROJECT
        totals = main.query_one(TotalsLine)
        await until(
            pilot,
            lambda: totals.totals is not None and totals.totals.complete
            and totals.view_query == main.state.window.query,
            "the totals of the project",
        )  # fmt: skip
        counted = totals.totals
        assert counted is not None and counted.from_project and counted.requests == 1
        assert (counted.seen, counted.counts[StatusKind.FAILED]) == (RUNS, FAILED)
        assert str(totals.render()).startswith(f"Σ {RUNS} tasks")


async def test_the_sweep_groups_sorts_and_reaches_a_failed_runs_stderr(swept: Swept) -> None:
    app = make_app(swept.server, project=SWEEP_PROJECT)
    async with app.run_test(size=(120, 40)) as pilot:
        main = _main(app)
        await until(pilot, lambda: main.state.counts, "the table")
        await pilot.press("S")
        await until(pilot, lambda: isinstance(app.screen, SweepScreen), "the sweep table")
        screen = app.screen
        assert isinstance(screen, SweepScreen)
        await until(pilot, lambda: screen.feed.data is not None, "the runs")
        data = screen.feed.data
        assert data is not None
        assert {"alpha", "resolution", "name"} <= set(data.keys)
        assert len(data.rows) == RUNS
        # It opens grouped by the first parameter that repeats: four alphas of four runs.
        groups = [e for e in screen._entries if isinstance(e, SweepGroup)]
        assert [g.value for g in groups] == ["0.10", "0.16", "0.22", "0.30"]
        assert sum(g.failed for g in groups) == FAILED
        assert all(len(g.rows) == 4 for g in groups)
        # b: by resolution; the coarsest mesh fails at every alpha.
        await pilot.press("b")
        coarse = next(e for e in screen._entries if isinstance(e, SweepGroup))
        assert (coarse.label, coarse.failed) == ("resolution=12", 4)
        assert "4/4 done, 4 failed" in coarse.summary()
        # Enter lists its runs; > sorts by the next column, r reverses, numbers as numbers.
        await pilot.press("enter")
        runs = [e for e in screen._entries if isinstance(e, SweepRow)]
        assert len(runs) == 4 and all(r.parameters["resolution"] == "12" for r in runs)
        while screen.view.sort != "alpha":
            await pilot.press("greater_than_sign")
        await pilot.press("r")
        alphas = [e.parameters["alpha"] for e in screen._entries if isinstance(e, SweepRow)]
        assert alphas == ["0.30", "0.22", "0.16", "0.10"]
        # The output pane shows the failed run's stderr; Enter opens its detail.
        sheet = screen.query_one(Sheet)
        await until(pilot, lambda: sheet.cursor_key is not None, "the cursor")
        output = screen.query_one("#sweep-output")
        await until(pilot, lambda: "plate-a" in str(output.border_title), "the run's output")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, TaskDetailScreen), "the detail")
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen, "back to the sweep")
        await pilot.press("escape")  # from the group's runs to the groups
        assert screen.view.drilled is None
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is main, "back to the table")


async def test_totals_follow_the_filter_and_a_new_filter_cancels_the_count(swept: Swept) -> None:
    app = make_app(swept.server)
    async with app.run_test(size=(120, 40)) as pilot:
        main = _main(app)
        totals = main.query_one(TotalsLine)
        await until(
            pilot,
            lambda: totals.totals is not None and totals.totals.complete,
            "the totals of every task",
        )
        counted = totals.totals
        assert counted is not None and not counted.from_project
        assert counted.seen == RUNS + 1
        assert counted.counts[StatusKind.RUNNING] == 1
        # Two filters in a row: the first count is cancelled, the line is the second's.
        first = replace(main.state.window.query, project="busy")
        last = replace(main.state.window.query, project=SWEEP_PROJECT, statuses={"failed"})
        main._set_query(first)
        main._set_query(last)
        await until(
            pilot,
            lambda: totals.totals is not None and totals.totals.complete,
            "the totals of the last filter",
        )
        assert totals.view_query == last
        counted = totals.totals
        assert counted is not None
        assert (counted.seen, counted.counts[StatusKind.FAILED]) == (FAILED, FAILED)
        assert not any(w.group == "totals" and not w.is_finished for w in app.workers)


async def test_the_totals_are_counted_once_the_first_rows_are_in(
    swept: Swept, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At launch the rows come first: the totals' pages of 500 tasks would hold them up."""
    app = make_app(swept.server)
    client = app.source
    assert isinstance(client, InductivaClient)
    rows_then: list[int] = []
    """The table's rows when each page of the totals was asked for."""
    list_tasks = client.list_tasks

    async def listing(*args: Any, **kwargs: Any) -> TaskPage:
        if kwargs.get("per_page") == PAGE:
            rows_then.append(_main(app).query_one(TaskTable).row_count)
        return await list_tasks(*args, **kwargs)

    monkeypatch.setattr(client, "list_tasks", listing)
    async with app.run_test(size=(120, 40)) as pilot:
        totals = _main(app).query_one(TotalsLine)
        await until(
            pilot, lambda: totals.totals is not None and totals.totals.complete, "the totals"
        )
    assert rows_then and min(rows_then) > 0


async def test_totals_older_than_the_header_say_so(swept: Swept) -> None:
    """Between two counts the header's counts move first: the line must not contradict them."""
    app = make_app(swept.server)
    async with app.run_test(size=(120, 40)) as pilot:
        totals = _main(app).query_one(TotalsLine)
        await until(
            pilot, lambda: totals.totals is not None and totals.totals.complete, "the totals"
        )
        main = _main(app)
        await until(pilot, lambda: bool(main.state.counts), "the header's counts")
        query = totals.view_query
        assert query is not None and totals.totals is not None
        totals.follow(query, main.state.counts, totals.totals.seen)  # what a tick does
        assert not any(note.plain in str(totals.content) for note in BEHIND)
        # A task changed status just after the count: not counted again yet.
        totals.follow(query, {"computation-started": 99}, totals.totals.seen)
        # At 120 columns the whole sentence fits.
        assert str(totals.content).endswith(BEHIND[0].plain)


@pytest.mark.parametrize(
    ("width", "note"), [(120, BEHIND[0]), (80, BEHIND[1]), (70, BEHIND[2]), (60, BEHIND[2])]
)
def test_the_older_count_note_fits_the_width(width: int, note: Text) -> None:
    """The demo's line at 80 columns cut the note to 'befor…': the longest that fits is said."""
    counts = {StatusKind.RUNNING: 3, StatusKind.WAITING: 2, StatusKind.SUCCESS: 3}
    totals = Totals(
        counts=KindCounts({**counts, StatusKind.FAILED: 1}),
        cost=0.0005,
        compute_seconds=4,
        waits=[0.0],
        seen=9,
        scanned=9,
        expected=9,
        complete=True,
    )
    line = behind_text(totals_text(totals), width)
    assert line.plain.startswith("Σ 9 tasks: ▶3 ◷2 ✔3 ✘1 · $0.0005 · compute 4s")
    assert line.plain.endswith(note.plain)
    assert line.cell_len <= width or note is BEHIND[-1]


@pytest.mark.parametrize("screen", [BoardScreen, SweepScreen])
def test_every_key_of_the_board_and_the_sweep_is_in_their_help(
    screen: type[BoardScreen] | type[SweepScreen],
) -> None:
    named = {binding_id for ids in screen.HELP_SECTIONS.values() for binding_id in ids}
    ids = {binding.id for binding in screen.BINDINGS if isinstance(binding, Binding)}
    assert ids <= named, ids - named


async def test_the_palette_opens_the_board_and_the_sweep_of_the_filtered_project(
    swept: Swept,
) -> None:
    app = make_app(swept.server, project=SWEEP_PROJECT)
    async with app.run_test(size=(120, 40)) as pilot:
        main = _main(app)
        await until(pilot, lambda: main.state.counts, "the table")
        for words, screen in (("sweep table", SweepScreen), ("project board", BoardScreen)):
            await pilot.press("ctrl+p")
            await until(pilot, lambda: isinstance(app.screen, CommandPalette), "the palette")
            await pilot.press(*words)
            await pilot.pause(0.3)
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, screen), words)  # noqa: B023
            await pilot.press("escape")
            await until(pilot, lambda: app.screen is main, "back to the table")
