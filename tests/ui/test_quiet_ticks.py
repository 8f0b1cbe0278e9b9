"""A dashboard with nothing running repaints nothing second by second.

The table's ages of young tasks move in steps of ten seconds (``fmt.age``), so
the clock's tick finds nothing to redraw in between.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from textual.geometry import Region

from inductiva_top.api.models import Task
from inductiva_top.monitor.rows.window import RowWindow
from inductiva_top.ui.columns import RowContext
from inductiva_top.ui.widgets import task_table
from inductiva_top.ui.widgets.task_table import TableData
from tests.ui.table_helpers import NOW, TableApp, task


async def test_a_young_finished_task_repaints_its_row_every_ten_seconds_not_every_second(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = TableApp()
    async with app.run_test(size=(120, 8)) as pilot:
        table = app.table
        young = task(0, end_time=NOW.isoformat())  # submitted at NOW, finished
        window = RowWindow(page_size=500)
        app.show([young], window)
        clock = [NOW]
        table.show(TableData(window, lambda task: RowContext(clock[0], task.status, None)))
        await pilot.pause()
        repainted: list[int] = []
        refresh = table.refresh

        def spy(*regions: Region, **kwargs: bool) -> object:
            repainted.extend(region.y for region in regions)
            return refresh(*regions, **kwargs)

        monkeypatch.setattr(table, "refresh", spy)
        for second in range(1, 10):  # the clock ticks: the row still says "just now"
            clock[0] = NOW + timedelta(seconds=second)
            table.refresh_changed()
        assert repainted == []
        clock[0] = NOW + timedelta(seconds=10)
        table.refresh_changed()
        assert repainted == [1]  # "10s ago": the row's line (the title is line 0)
        assert "10s ago" in "".join(s.text for s in table.render_line(1))


def _running(n: int) -> Task:
    return task(n, "computation-started", computation_start_time=NOW.isoformat())


async def test_a_ticking_row_is_drawn_once_a_second_and_its_task_cells_once_a_task(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The tick drew each changed line twice (to compare it, then to paint it), and every
    cell of it: names, projects and machines are sanitized and cut once a task."""
    app = TableApp()
    async with app.run_test(size=(120, 8)) as pilot:
        table = app.table
        window = RowWindow(page_size=500)
        tasks = [_running(n) for n in range(3)]
        app.show(tasks, window)
        clock = [NOW]
        table.show(TableData(window, lambda task: RowContext(clock[0], task.status, None)))
        await pilot.pause()
        rows: list[int] = []
        cells: list[str] = []
        row_strip, render_cell = table._row_strip, table._render_cell
        monkeypatch.setattr(table, "_row_strip", lambda i: rows.append(i) or row_strip(i))
        monkeypatch.setattr(
            table, "_render_cell", lambda c, t, x: cells.append(c.key) or render_cell(c, t, x)
        )
        clock[0] = NOW + timedelta(seconds=1)  # every RUN cell ticks
        table.refresh_changed()
        await pilot.pause()
        # Each row once (and the blank lines under them): the painting took what was compared.
        assert sorted(set(rows)) == sorted(rows) and {0, 1, 2} <= set(rows)
        task_cells = {column.key for column in table.columns if column.task_only}
        assert task_cells and not task_cells & set(cells)
        assert "run" in cells
        assert "1s" in "".join(segment.text for segment in table.render_line(1))


async def test_a_line_drawn_ahead_is_drawn_again_after_a_cursor_move() -> None:
    app = TableApp()
    async with app.run_test(size=(120, 8)) as pilot:
        table = app.table
        window = RowWindow(page_size=500)
        app.show([_running(n) for n in range(3)], window)
        clock = [NOW]
        table.show(TableData(window, lambda task: RowContext(clock[0], task.status, None)))
        await pilot.pause()
        clock[0] = NOW + timedelta(seconds=1)
        table.refresh_changed()  # lines 1..3 drawn ahead, the cursor on line 1
        table.move_to(1)  # before they are painted
        await pilot.pause()
        cursor = table.get_component_rich_style("task-table--cursor").bgcolor
        first, second = table.render_line(1), table.render_line(2)
        assert cursor not in {segment.style.bgcolor for segment in first if segment.style}
        assert cursor in {segment.style.bgcolor for segment in second if segment.style}


async def test_rows_whose_cells_say_the_same_are_neither_cut_nor_compared_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Tasks running for days show minutes: their rows change once a minute, and a second's
    tick cut every ticking cell of every row again and compared every line of the table."""
    app = TableApp()
    async with app.run_test(size=(120, 8)) as pilot:
        table = app.table
        window = RowWindow(page_size=500)
        days = NOW - timedelta(days=2)
        old = [
            task(n, "computation-started", computation_start_time=days.isoformat()) for n in (1, 2)
        ]
        young = task(0, "computation-started", computation_start_time=NOW.isoformat())
        app.show([young, *old], window)
        clock = [NOW + timedelta(seconds=5)]
        table.show(TableData(window, lambda task: RowContext(clock[0], task.status, None)))
        await pilot.pause()
        cut: list[str] = []
        compared: list[str] = []
        real_cut, real_key = task_table._cut, task_table._strip_key
        monkeypatch.setattr(
            task_table,
            "_cut",
            lambda cell, w, column: cut.append(column.key) or real_cut(cell, w, column),
        )
        monkeypatch.setattr(
            task_table, "_strip_key", lambda strip: compared.append(strip.text) or real_key(strip)
        )
        clock[0] += timedelta(seconds=1)
        table.refresh_changed()
        await pilot.pause()
        assert cut == ["run"]  # the young task's RUN; its status, age and queue say the same
        short = [t.task_id[:8] for t in old]  # as the id column shows them
        assert not [line for line in compared if any(s in line for s in short)]
        assert "6s" in table.render_line(1).text
        assert "2d 00h 00m" in table.render_line(2).text
        clock[0] += timedelta(seconds=60)  # the old tasks' minutes move
        table.refresh_changed()
        await pilot.pause()
        assert "2d 00h 01m" in table.render_line(2).text


async def test_a_row_is_one_segment_per_run_of_one_style() -> None:
    """A row was a segment per cell and gap (27): every later step of a redraw (cropping,
    styling, comparing, the terminal's write) went through each of them."""
    app = TableApp()
    async with app.run_test(size=(120, 8)) as pilot:
        app.show([_running(n) for n in range(2)])
        await pilot.pause()
        segments = list(app.table._row_strip(1))
        assert all(a.style != b.style for a, b in itertools.pairwise(segments))
        assert len(segments) < len(app.table.columns)
