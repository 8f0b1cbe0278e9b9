"""A dashboard with nothing running repaints nothing second by second.

The table's ages of young tasks move in steps of ten seconds (``fmt.age``), so
the clock's tick finds nothing to redraw in between.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from textual.geometry import Region

from inductiva_top.monitor.rows.window import RowWindow
from inductiva_top.ui.columns import RowContext
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
