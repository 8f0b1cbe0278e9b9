"""The row window: page arithmetic, query invalidation, stale answers, eviction."""

from __future__ import annotations

from inductiva_top.api.models import Task, TaskPage
from inductiva_top.monitor.rows.window import (
    RowWindow,
    SortKey,
    TaskQuery,
    keep_settled,
    same_but_clock,
)


def _page(start: int, count: int, total: int) -> TaskPage:
    tasks = [Task(task_id=f"t{i}", status="success") for i in range(start, start + count)]
    return TaskPage(total_size=total, tasks=tasks)


def test_pages_for_maps_rows_to_one_based_pages() -> None:
    window = RowWindow(page_size=10)
    assert window.pages_for(0, 9) == [1]
    assert window.pages_for(5, 25) == [1, 2, 3]
    assert window.pages_for(3, 2) == []


def test_pages_for_is_clamped_to_the_known_total() -> None:
    window = RowWindow(page_size=10)
    query = window.query
    window.store(query, 1, _page(0, 10, 15))
    assert window.pages_for(0, 1000) == [1, 2]
    assert window.pages_for(500, 600) == [2]


def test_an_empty_result_still_asks_page_one() -> None:
    window = RowWindow(page_size=10)
    window.store(window.query, 1, TaskPage(total_size=0, tasks=[]))
    assert window.pages_for(0, 20) == [1]
    assert window.row(0) is None


def test_rows_come_from_their_page() -> None:
    window = RowWindow(page_size=10)
    window.store(window.query, 2, _page(10, 10, 25))
    assert window.row(9) is None
    assert window.row(10) is not None and window.row(10).task_id == "t10"  # type: ignore[union-attr]
    assert window.missing_pages(0, 24) == [1, 3]
    assert window.index_of("t13") == 13
    assert window.index_of("t99") is None


def test_store_reports_changes_only() -> None:
    window = RowWindow(page_size=10)
    assert window.store(window.query, 1, _page(0, 10, 10))
    assert not window.store(window.query, 1, _page(0, 10, 10))
    assert window.store(window.query, 1, _page(0, 10, 11))


def test_changing_the_query_forgets_pages_and_drops_late_answers() -> None:
    window = RowWindow(page_size=10)
    old = window.query
    window.store(old, 1, _page(0, 10, 10))
    assert window.set_query(TaskQuery(project="p"))
    assert window.total is None and window.row(0) is None
    assert not window.store(old, 1, _page(0, 10, 10))
    assert window.row(0) is None
    assert not window.set_query(TaskQuery(project="p"))


def test_shrinking_total_drops_pages_past_the_end() -> None:
    window = RowWindow(page_size=10)
    window.store(window.query, 3, _page(20, 10, 30))
    window.store(window.query, 1, _page(0, 10, 8))
    assert window.row(25) is None
    assert window.missing_pages(0, 100) == []


def test_eviction_keeps_the_most_recent_pages() -> None:
    window = RowWindow(page_size=1, max_pages=2)
    for page in (1, 2, 3):
        window.store(window.query, page, _page(page - 1, 1, 100))
    assert window.row(0) is None
    assert window.row(1) is not None and window.row(2) is not None


def test_sorting_toggles_direction_on_the_same_field() -> None:
    query = TaskQuery()
    assert query.sort_params == ("create_time:desc",)
    by_sim = query.sorted_by("simulator")
    assert by_sim.sort == (SortKey("simulator", descending=False),)
    assert by_sim.sorted_by("simulator").sort_params == ("simulator:desc",)
    assert query.sorted_by("create_time").sort_params == ("create_time:asc",)


def test_describe_lists_active_filters() -> None:
    query = TaskQuery(statuses=frozenset({"failed", "killed"}), project="p", search=" ab  x=1 ")
    assert query.describe() == ["status: failed, killed", "project: p", "search: ab  x=1"]
    assert TaskQuery().describe() == []


def test_sort_step_walks_the_fields_and_wraps() -> None:
    fields = ["task_id", "status", "create_time"]
    query = TaskQuery()  # sorted by create_time, which is last
    forward = query.sort_step(fields, 1)
    assert forward.sort == (SortKey("task_id"),)
    assert forward.sort_step(fields, -1).sort == (SortKey("create_time", descending=True),)
    assert TaskQuery(sort=()).sort_step(fields, -1).sort == (SortKey("task_id"),)
    assert query.sort_step([], 1) is query


def _running(task_id: str, duration: float, **fields: object) -> Task:
    return Task(task_id=task_id, status="computation-started", duration_seconds=duration, **fields)


def test_a_live_tasks_age_so_far_is_no_news_and_its_object_is_kept() -> None:
    """Fifty running tasks were fifty changes in every answer: the poll never slowed down."""
    window = RowWindow(page_size=10)
    first = [_running("a", 3.0), _running("b", 4.0)]
    window.store(window.query, 1, TaskPage(total_size=2, tasks=first))
    later = [_running("a", 5.0), _running("b", 6.0)]
    assert window.store(window.query, 1, TaskPage(total_size=2, tasks=later)) is False
    assert window.row(0) is first[0] and window.row(1) is first[1]  # what was drawn holds
    moved = [_running("a", 7.0), _running("b", 8.0, project="other")]
    assert window.store(window.query, 1, TaskPage(total_size=2, tasks=moved)) is True
    assert window.row(0) is first[0] and window.row(1) is moved[1]


def test_a_finished_tasks_duration_is_news() -> None:
    held = Task(task_id="a", status="success", duration_seconds=3.0)
    assert not same_but_clock(held, Task(task_id="a", status="success", duration_seconds=4.0))
    assert same_but_clock(_running("a", 3.0), _running("a", 9.0))
    assert keep_settled([held], [Task(task_id="a", status="success", duration_seconds=3.0)]) == [
        held
    ]
