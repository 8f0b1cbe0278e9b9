"""The header and the filter bar are handed the dashboard's state every second (the age
ticks); what in them did not change is not made again (issue 16 busy CPU)."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult

from inductiva_top.monitor.poller import Freshness
from inductiva_top.monitor.rows.window import TaskQuery
from inductiva_top.ui.columns import COLUMNS, DEFAULT_COLUMNS
from inductiva_top.ui.widgets import filter_bar, header
from inductiva_top.ui.widgets.filter_bar import FilterBar
from inductiva_top.ui.widgets.header import StatusHeader
from tests.ui.table_helpers import TableApp


def _counting(monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> list[int]:
    calls: list[int] = []
    real = getattr(module, name)

    def counted(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls


async def test_the_header_fits_its_counts_again_only_when_they_or_its_room_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fits = _counting(monkeypatch, header, "fit_header")
    app = TableApp()
    async with app.run_test(size=(120, 12)) as pilot:
        bar = app.query_one(StatusHeader)
        await pilot.pause()
        counts = {"started": 50}
        bar.update_status(Freshness(), 0.0, counts)
        fitted = len(fits)
        assert fitted
        for second in range(1, 4):  # the clock's ticks: the same age, counts and width
            bar.update_status(Freshness(), float(second), counts)
        assert len(fits) == fitted  # fitted once per change, not per second (3 more before)
        bar.update_status(Freshness(), 4.0, {"started": 49, "success": 1})
        assert len(fits) > fitted
        assert "1" in str(bar.query_one("#header-counts").content)
        fitted = len(fits)
        app.theme = "textual-light" if app.theme != "textual-light" else "nord"
        bar.update_status(Freshness(), 5.0, {"started": 49, "success": 1})
        assert len(fits) > fitted  # the counts' colours are the theme's


class BarApp(App[None]):
    def compose(self) -> ComposeResult:
        yield FilterBar([COLUMNS[key] for key in DEFAULT_COLUMNS])


async def test_the_filter_bar_makes_its_summary_only_when_what_it_says_changed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    updates = _counting(monkeypatch, filter_bar, "update_if_changed")
    app = BarApp()
    async with app.run_test(size=(120, 5)):
        bar = app.query_one(FilterBar)
        for _ in range(3):
            bar.update_summary(TaskQuery(), 50, 0, False)
        assert len(updates) == 1  # made once, not each second (3 before)
        bar.update_summary(TaskQuery(), 51, 0, False)
        assert len(updates) == 2
        assert "tasks 51" in str(bar.query_one("#filter-summary").content)
