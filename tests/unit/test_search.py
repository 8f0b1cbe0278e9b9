"""``/``: what a search matches, and how the row window serves it without asking at each key."""

from __future__ import annotations

import pytest

from inductiva_top.api.models import Task, TaskPage
from inductiva_top.monitor import state as state_module
from inductiva_top.monitor.rows.search import Search
from inductiva_top.monitor.rows.window import RowWindow, TaskQuery
from inductiva_top.monitor.state import DashboardState
from inductiva_top.ui.widgets.filter_bar import search_scope
from tests.unit.test_dashboard_state import MemorySource


def task(n: int, **fields: object) -> Task:
    return Task(task_id=f"id{n:03d}", status="success", **fields)  # type: ignore[arg-type]


def test_a_search_is_words_and_key_value_terms() -> None:
    assert Search.parse("  Plate  Alpha=0.3 ") == Search(("plate",), (("alpha", "0.3"),))
    assert Search.parse("=x= ") == Search(("x",))
    assert not Search.parse("   ")
    assert Search.parse("qz9c").id_word == "qz9c"
    assert Search.parse("plate n32").id_word is None
    assert Search.parse("plate alpha=1").id_word is None


def test_words_match_id_name_metadata_project_and_simulator() -> None:
    sweep = task(
        1,
        project="plate-sweep",
        simulator="heat2d",
        task_metadata={"name": "plate-a0.3-n32", "alpha": "0.3", "owner": "Ana"},
    )
    for text in ("id001", "a0.3-N32", "plate-sweep", "heat", "ana", "sweep heat2d"):
        assert Search.parse(text).matches(sweep), text
    for text in ("alpha", "nbody", "sweep nbody", "sweep-heat"):
        assert not Search.parse(text).matches(sweep), text


def test_key_value_wants_that_metadata_value_exactly() -> None:
    sweep = task(1, task_metadata={"Alpha": " 0.3 ", "resolution": "32"})
    assert Search.parse("alpha=0.3").matches(sweep)
    assert Search.parse("alpha=0.3 resolution=32").matches(sweep)
    assert not Search.parse("alpha=0.35").matches(sweep)
    assert not Search.parse("alpha=0").matches(sweep)
    assert not Search.parse("mesh=fine").matches(sweep)


def test_a_new_search_text_refilters_the_scan_without_forgetting_it() -> None:
    window = RowWindow(page_size=10, query=TaskQuery(search="a"))
    tasks = [task(n, task_metadata={"name": name}) for n, name in enumerate(["ab", "ac", "b"])]
    assert window.missing_pages(0, 9) == [1]  # the scan is due
    assert window.store_search(window.query, tasks, [])
    assert [t.task_id for _, t in window.rows(0, 9)] == ["id000", "id001"]
    assert window.set_query(TaskQuery(search="ac"))
    assert window.total == 1 and window.row(0) == tasks[1]
    assert window.missing_pages(0, 9) == []  # nothing to ask: the scan is at hand
    assert window.set_query(TaskQuery(search="ac", project="p"))
    assert window.total is None  # another view: scanned afresh


def test_id_matches_beyond_the_scan_follow_it_once() -> None:
    window = RowWindow(query=TaskQuery(search="id00"))
    scan = [task(1), task(2)]
    by_id = [task(2), task(9)]
    window.store_search(window.query, scan, by_id)
    assert [t.task_id for t in window.loaded_tasks()] == ["id001", "id002", "id009"]
    assert window.scanned == 2
    assert window.index_of("id009") == 2


async def test_a_search_scans_the_view_and_asks_the_server_for_ids(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(state_module, "SEARCH_SCAN", 5)
    named = {n: {"name": f"run-{n}"} for n in range(20)}
    source = MemorySource([task(n, task_metadata=named[n]) for n in range(20)])
    state = DashboardState(source, window=RowWindow(page_size=3))
    state.set_query(TaskQuery(search="id01", sort=()))
    await state.tick()
    # The scan holds id000..id004; the server finds id010..id019 by id anywhere.
    assert source.id_filters == [None, "id01"]
    assert [t.task_id for t in state.window.loaded_tasks()] == [f"id01{n}" for n in range(5)]
    assert (state.window.scanned, state.window.view_total) == (5, 20)
    source.requests.clear()
    # A name: filtered at once among the tasks at hand, without a request.
    state.set_query(TaskQuery(search="run-1", sort=()))
    assert source.requests == []
    held = ["id001", *(f"id01{n}" for n in range(5))]
    assert [t.task_id for t in state.window.loaded_tasks()] == held
    source.id_filters.clear()
    await state.tick()  # the next refresh: the scan, and no id holds "run-1"
    assert source.id_filters.count(None) >= 1 and "run-1" in source.id_filters
    assert [t.task_id for t in state.window.loaded_tasks()] == ["id001"]


def test_the_filter_bar_says_where_a_search_looked() -> None:
    window = RowWindow(query=TaskQuery(search="plate"))
    assert search_scope(window) == "searching…"
    window.store_search(window.query, [task(1)], [], view_total=4210)
    assert search_scope(window) == "first 1 of 4,210 rows, ids: all"
    window.set_query(TaskQuery(search="alpha=1"))
    assert search_scope(window) == "first 1 of 4,210 rows"
    window.store_search(window.query, [task(1)], [], view_total=1)
    assert search_scope(window) == "all 1 row"
    assert search_scope(RowWindow()) is None


def test_a_search_starts_from_the_rows_loaded_until_the_scan_comes() -> None:
    """The first key answered at once from the rows on screen (the cursor's task stays)."""
    window = RowWindow(page_size=10)
    rows = [task(n, task_metadata={"name": f"run-{n}"}) for n in range(10)]
    window.store(window.query, 1, TaskPage(total_size=300, tasks=rows))
    assert window.set_query(TaskQuery(search="run-3"))
    assert [t.task_id for t in window.loaded_tasks()] == ["id003"]
    assert window.provisional and window.missing_pages(0, 9) == [1]  # the scan is still due
    assert (window.scanned, window.view_total) == (10, 300)
    window.store_search(window.query, rows[:5], [], view_total=300)
    assert not window.provisional and window.missing_pages(0, 9) == []
    assert [t.task_id for t in window.loaded_tasks()] == ["id003"]
