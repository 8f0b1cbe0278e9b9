"""The dashboard's state, changed through its methods, over an in-memory task source."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

from inductiva_top.api.errors import ClientError, NotFound
from inductiva_top.api.models import (
    PositionInQueue,
    Project,
    Task,
    TaskPage,
    TaskStatus,
    TaskWithStatusHistory,
)
from inductiva_top.monitor.foresight.tracker import Foresight
from inductiva_top.monitor.rows.seek import seek_row
from inductiva_top.monitor.rows.window import RowWindow
from inductiva_top.monitor.state import DashboardState

NOW = datetime(2026, 1, 2, 12, 0, tzinfo=timezone.utc)


class MemorySource:
    """Tasks in a dict; sorted by ``task_id`` or ``create_time``, one status filter at most."""

    def __init__(self, tasks: Sequence[Task]) -> None:
        self.tasks = {task.task_id: task for task in tasks}
        self.requests: list[str] = []
        self.id_filters: list[str | None] = []
        """The ``task_id_filter`` of each listing, in order."""
        self.kill_fails: set[str] = set()
        self.projects = 1

    async def list_tasks(
        self,
        *,
        page: int = 1,
        per_page: int = 50,
        status: str | Sequence[str] | None = None,
        project: str | None = None,
        active: bool | None = None,
        task_id_filter: str | None = None,
        sort: Sequence[str] = (),
    ) -> TaskPage:
        self.requests.append(f"list {page}")
        self.id_filters.append(task_id_filter)
        rows = [t for t in self.tasks.values() if status is None or t.status == status]
        if task_id_filter:  # as the API's: a substring of the id
            rows = [t for t in rows if task_id_filter in t.task_id]
        if active:
            rows = [t for t in rows if not t.is_terminated]
        field, _, direction = (sort[0] if sort else "task_id:asc").partition(":")
        rows.sort(key=lambda t: getattr(t, field), reverse=direction == "desc")
        start = (page - 1) * per_page
        return TaskPage(total_size=len(rows), tasks=rows[start : start + per_page])

    async def get_task(self, task_id: str) -> TaskWithStatusHistory:
        self.requests.append(f"get {task_id}")
        if task_id not in self.tasks:
            raise NotFound(f"no task {task_id}", status=404)
        return TaskWithStatusHistory(**self.tasks[task_id].model_dump())

    async def get_status(self, task_id: str) -> TaskStatus:
        self.requests.append(f"status {task_id}")
        return TaskStatus(
            id=task_id,
            status=self.tasks[task_id].status,
            position_in_queue=PositionInQueue(tasks_ahead=3),
        )

    async def kill(self, task_id: str) -> TaskStatus:
        self.requests.append(f"kill {task_id}")
        if task_id in self.kill_fails:
            raise ClientError("not now", status=409)
        return TaskStatus(id=task_id, status="pending-kill")

    async def list_projects(
        self, *, page: int = 1, per_page: int = 100, project_type: str | None = None
    ) -> list[Project]:
        """``self.projects`` projects, each holding every task (their status counts)."""
        self.requests.append(f"projects {page}")
        overview = dict(Counter(task.status for task in self.tasks.values()))
        every = [Project(name=f"p{n}", task_status_overview=overview) for n in range(self.projects)]
        return every[(page - 1) * per_page : page * per_page]


def _task(task_id: str, status: str = "started", minutes_ago: float = 0) -> Task:
    terminated = status in {"success", "failed", "killed"}
    return Task(
        task_id=task_id,
        status=status,
        is_terminated=terminated,
        machine_group_id="g",
        create_time=NOW - timedelta(minutes=minutes_ago),
        input_submit_time=NOW - timedelta(minutes=minutes_ago),
    )


async def _loaded(source: MemorySource, page_size: int = 50) -> DashboardState:
    """A state whose first view has arrived and been followed up."""
    state = DashboardState(source, window=RowWindow(page_size=page_size))
    state.set_visible(0, 9)
    await state.tick()
    assert state.take_followup()
    await state.tick()
    return state


async def test_a_new_view_asks_for_its_follow_up_once() -> None:
    state = DashboardState(MemorySource([_task("a")]))
    assert not state.take_followup()
    await state.tick()
    assert state.take_followup()
    assert not state.take_followup()


async def test_the_first_tick_takes_the_prefetched_page_instead_of_asking_again() -> None:
    source = MemorySource([_task("a"), _task("b")])
    state = DashboardState(source)
    state.prefetch()
    await asyncio.sleep(0)  # the request goes out before any tick
    assert source.requests == ["list 1"]
    state.set_visible(0, 9)
    await state.tick()
    assert source.requests == ["list 1"]
    assert state.window.total == 2


async def test_a_prefetch_for_a_view_no_longer_shown_is_dropped() -> None:
    source = MemorySource([_task("a", minutes_ago=5), _task("b")])
    state = DashboardState(source)
    state.prefetch()
    await asyncio.sleep(0)
    assert state.set_query(state.window.query.sorted_by("task_id"))
    state.set_visible(0, 9)
    await state.tick()
    assert len(source.requests) == 2  # the prefetch, then the view shown
    assert [task.task_id for task in state.held_tasks()] == ["a", "b"]


async def test_select_forgets_the_detail_and_a_late_answer_for_another_task_is_dropped() -> None:
    source = MemorySource([_task("a"), _task("b")])
    state = await _loaded(source)
    state.select("a")
    a = await source.get_task("a")
    assert state.take_selected(a) and state.selected == a
    state.select("b")
    assert state.selected is None
    assert not state.take_selected(a)
    assert state.selected is None
    await state.tick()
    assert state.selected is not None and state.selected.task_id == "b"


class _HeldSource(MemorySource):
    """Holds every detail request until ``answer`` is set, so that requests overlap."""

    def __init__(self, tasks: Sequence[Task]) -> None:
        super().__init__(tasks)
        self.answer = asyncio.Event()

    async def get_task(self, task_id: str) -> TaskWithStatusHistory:
        self.requests.append(f"get {task_id}")
        await self.answer.wait()
        return TaskWithStatusHistory(**self.tasks[task_id].model_dump())


async def test_a_detail_asked_while_its_request_is_in_flight_joins_it() -> None:
    source = _HeldSource([_task("a"), _task("b")])
    state = DashboardState(source)  # type: ignore[arg-type]
    cursor = asyncio.ensure_future(state.load_detail("a"))
    refresh = asyncio.ensure_future(state.load_detail("a"))
    other = asyncio.ensure_future(state.load_detail("b"))
    await asyncio.sleep(0)
    cursor.cancel()  # a newer cursor move: the refresh still gets its answer
    source.answer.set()
    assert (await refresh).task_id == "a" and (await other).task_id == "b"
    assert source.requests == ["get a", "get b"]
    await state.load_detail("a")  # answered already: asked again
    assert source.requests == ["get a", "get b", "get a"]


async def test_a_kill_shows_pending_before_asking_and_is_asked_once_per_task() -> None:
    source = MemorySource([_task("a"), _task("b"), _task("c", "success")])
    source.kill_fails.add("b")
    state = await _loaded(source)
    seen: list[tuple[str, ...]] = []

    def pending() -> None:
        held = {task.task_id: task for task in state.held_tasks()}
        seen.append(tuple(state.row_status(held[i]) for i in ("a", "b")))
        assert not [r for r in source.requests if r.startswith("kill")]

    outcomes = await state.kill(["a", "b"], on_pending=pending)
    assert seen == [("pending-kill", "pending-kill")]
    assert [r for r in source.requests if r.startswith("kill")] == ["kill a", "kill b"]
    assert [(o.task_id, o.status, o.error) for o in outcomes] == [
        ("a", "pending-kill", None),
        ("b", None, "not now"),
    ]
    assert state.kills == {"a": "pending-kill"}


async def test_killable_keeps_the_held_tasks_a_kill_applies_to() -> None:
    state = await _loaded(MemorySource([_task("a"), _task("done", "success")]))
    assert state.killable(["a", "done", "unknown", ""]) == ["a"]


async def test_held_tasks_are_the_rows_the_selected_task_and_the_active_ones_once() -> None:
    source = MemorySource([_task("a"), _task("b", "success")])
    state = await _loaded(source)
    state.select("b")
    await state.tick()
    # "a" is a row and an active task, "b" a row and the selected one: each is held once
    # (counted twice, a group's two running tasks looked like four machines busy at once).
    held = [task.task_id for task in state.held_tasks()]
    assert held == ["a", "b"]
    assert state.held_tasks()[0] is state.active[0]  # the active list's copy, the freshest


async def test_a_task_held_as_a_row_and_as_active_is_one_busy_machine_to_the_estimates() -> None:
    # held_tasks() is where the rows and the active list meet, and the one place a task
    # given twice becomes one: the estimates downstream count what they are given.
    source = MemorySource([_task("r1"), _task("r2"), _task("me", "submitted", minutes_ago=-1)])
    state = await _loaded(source)
    assert len(list(state.window.loaded_tasks())) == len(state.active) == 3
    seer = Foresight(NOW, stall_after=1800)
    seer.observe(state.held_tasks(), {"me": 3}, NOW)
    start = seer.starts["me"]
    assert (start.running, start.machines, start.machines_described) == (2, 2, False)


async def test_fetch_row_of_loads_the_page_a_sort_moved_the_task_to() -> None:
    tasks = [_task(f"t{i:02}", minutes_ago=i) for i in range(12)]
    state = await _loaded(MemorySource(tasks), page_size=5)
    target = state.task("t01")
    assert target is not None
    query = state.window.query.sorted_by("task_id")  # ascending by id
    query = query.sorted_by("task_id")  # again: descending, t01 is on page 3
    assert state.set_query(query)
    await state.fetch_row_of(target, query)
    assert state.window.index_of("t01") == 10
    assert state.window.total == 12


async def test_queue_of_takes_the_servers_count_and_the_active_tasks() -> None:
    source = MemorySource([_task("me", "submitted", 1), _task("old", "submitted", 5)])
    state = await _loaded(source)
    view = await state.queue_of("me", NOW)
    assert (view.task.task_id, view.tasks_ahead) == ("me", 3)
    assert [task.task_id for task in view.ahead] == ["old"]


async def test_queue_again_lists_the_latest_refresh_not_the_one_asked_with() -> None:
    # Seen: the queue view listed a task ahead that the table beside showed running.
    source = MemorySource([_task("me", "submitted", 1), _task("old", "submitted", 5)])
    state = await _loaded(source)
    view = await state.queue_of("me", NOW)
    assert [task.task_id for task in view.ahead] == ["old"] and view.running == []
    source.tasks["old"] = _task("old", "started", 5)
    await state.tick()  # the table now shows "old" running
    again = state.queue_again(view, NOW)
    assert again.ahead == []
    assert [task.task_id for task in again.running] == ["old"]
    assert again.tasks_ahead == view.tasks_ahead == 3  # the server's count, as last asked


async def test_fetch_each_leaves_out_what_fails() -> None:
    state = DashboardState(MemorySource([_task("a"), _task("b")]))
    fetched = await state.fetch_each(["a", "gone", "b"])
    assert [task.task_id for task in fetched] == ["a", "b"]


# -- seeking the next failed row (] and [) --------------------------------------


def _failed(task: Task) -> bool:
    return task.status == "failed"


async def test_seek_finds_the_next_match_in_the_loaded_rows_without_asking() -> None:
    source = MemorySource(
        [_task(f"t{n:02}", "failed" if n in (3, 7) else "started") for n in range(10)]
    )
    state = await _loaded(source)
    source.requests.clear()
    down = await seek_row(state, 0, 1, _failed)
    assert (down.index, down.complete) == (3, True)
    assert (await seek_row(state, 3, 1, _failed)).index == 7
    assert (await seek_row(state, 7, -1, _failed)).index == 3
    assert source.requests == []


async def test_seek_fetches_the_pages_past_the_loaded_ones_and_keeps_them() -> None:
    tasks = [_task(f"t{n:03}", "failed" if n == 57 else "started") for n in range(80)]
    source = MemorySource(tasks)
    state = await _loaded(source, page_size=10)
    assert state.window.row(57) is None
    source.requests.clear()
    found = await seek_row(state, 0, 1, _failed)
    assert found.index == 57
    assert source.requests == [f"list {page}" for page in range(2, 7)]
    assert state.window.row(57) is not None and state.window.row(57).task_id == "t057"


async def test_seek_gives_up_after_its_page_budget_and_says_how_far_it_looked() -> None:
    source = MemorySource([_task(f"t{n:03}") for n in range(100)])
    state = await _loaded(source, page_size=10)
    nothing = await seek_row(state, 0, 1, _failed, max_pages=3)
    assert (nothing.index, nothing.complete, nothing.searched) == (None, False, 39)
    to_the_top = await seek_row(state, 5, -1, _failed)
    assert (to_the_top.index, to_the_top.complete, to_the_top.searched) == (None, True, 5)


async def test_the_status_counts_are_as_fresh_as_the_rows() -> None:
    """They were refreshed every fifth tick: "1 running" over two running rows for 5 ticks."""
    source = MemorySource([_task("a"), _task("b", "success")])
    state = await _loaded(source)
    assert state.counts == {"started": 1, "success": 1}
    source.tasks["b"] = _task("b", "started")
    source.requests.clear()
    await state.tick()
    assert state.window.row(1) == source.tasks["b"]
    assert state.counts == {"started": 2}
    # One request per tick for the counts, however many tasks there are.
    assert [r for r in source.requests if r.startswith("projects")] == ["projects 1"]


async def test_counts_add_up_every_page_of_projects() -> None:
    source = MemorySource([_task("a")])
    source.projects = 150
    state = await _loaded(source)
    assert state.counts == {"started": 150}


async def test_a_tick_that_started_before_the_cursor_moved_keeps_the_new_detail() -> None:
    """A tick asked for no task; the cursor moved meanwhile and its detail came: it stays."""
    source = MemorySource([_task("a"), _task("b")])
    state = await _loaded(source)
    assert state.selected_id is None
    original = source.list_projects

    async def cursor_moves_meanwhile(**kwargs: object) -> list[Project]:
        state.select("a")
        assert state.take_selected(TaskWithStatusHistory(**source.tasks["a"].model_dump()))
        return await original(**kwargs)  # type: ignore[arg-type]

    source.list_projects = cursor_moves_meanwhile  # type: ignore[method-assign]
    await state.tick()
    assert state.selected is not None and state.selected.task_id == "a"


async def test_a_tick_where_only_running_tasks_aged_changes_nothing() -> None:
    """The API moves a live task's duration so far; the dashboard counts it itself."""
    source = MemorySource([_task("a", "computation-started")])
    state = await _loaded(source)
    state.select("a")
    await state.tick()
    row, active, selected = state.window.row(0), state.active[0], state.selected
    source.tasks["a"] = source.tasks["a"].model_copy(update={"duration_seconds": 42.0})
    assert await state.tick() is False
    assert state.window.row(0) is row and state.active[0] is active
    assert state.selected is selected
    source.tasks["a"] = source.tasks["a"].model_copy(update={"status": "computation-ended"})
    assert await state.tick() is True
