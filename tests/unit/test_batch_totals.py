"""The totals of a view: from a project's runs in one request, else page by page."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

import pytest

from inductiva_top.api.errors import NotFound
from inductiva_top.api.models import ProjectTaskInfo, Task, TaskMetrics, TaskPage
from inductiva_top.monitor.batch import totals as totals_module
from inductiva_top.monitor.batch.totals import Totals, info_matches, view_totals
from inductiva_top.monitor.rows.window import TaskQuery
from inductiva_top.monitor.statuses import FILTER_GROUPS, StatusKind

NOW = datetime(2026, 3, 14, 15, 0, tzinfo=timezone.utc)


def task(n: int, status: str, project: str = "p") -> Task:
    created = NOW - timedelta(minutes=n)
    return Task(
        task_id=f"t{n:04d}",
        status=status,
        project=project,
        create_time=created,
        input_submit_time=created,
        start_time=created + timedelta(seconds=n % 7 * 10) if status != "submitted" else None,
        estimated_computation_cost=0.5,
        metrics=TaskMetrics(computation_seconds=60.0) if status == "success" else None,
    )


class Source:
    """Tasks in memory; tasks_info as the embedded server answers it, or missing."""

    def __init__(self, tasks: Sequence[Task], *, tasks_info: bool = True) -> None:
        self.tasks = list(tasks)
        self.has_tasks_info = tasks_info
        self.requests: list[str] = []

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
        self.requests.append(f"tasks {status} {page}")
        rows = [
            t for t in self.tasks
            if (status is None or t.status == status) and (project is None or t.project == project)
            and (not task_id_filter or task_id_filter in t.task_id)
        ]  # fmt: skip
        rows.sort(key=lambda t: t.create_time or NOW, reverse=True)
        return TaskPage(total_size=len(rows), tasks=rows[(page - 1) * per_page : page * per_page])

    async def project_tasks_info(
        self, name: str, *, select: str = "all", status: str | None = None
    ) -> list[ProjectTaskInfo]:
        self.requests.append(f"tasks_info {name} {status}")
        if not self.has_tasks_info:
            raise NotFound("no route", status=404)
        return [
            ProjectTaskInfo.model_validate(
                {
                    "task_id": t.task_id,
                    "status": t.status,
                    "computation_time (s)": t.metrics.computation_seconds if t.metrics else None,
                    "queue_time (s)": 4.0 if t.start_time else None,
                    "estimated_computation_cost (US$)": t.estimated_computation_cost,
                }
            )
            for t in self.tasks
            if t.project == name and (status is None or t.status == status)
        ]


async def last(source: Source, query: TaskQuery) -> Totals:
    seen = [totals async for totals in view_totals(source, query, NOW)]  # type: ignore[arg-type]
    assert seen[-1].complete and all(not t.complete for t in seen[:-1])
    return seen[-1]


TASKS = [task(n, status) for n, status in enumerate(
    ["success"] * 5 + ["failed"] * 2 + ["computation-started", "submitted", "killed"]
)] + [task(100 + n, "success", project="other") for n in range(3)]  # fmt: skip


async def test_one_project_is_counted_from_its_runs_in_one_request() -> None:
    source = Source(TASKS)
    totals = await last(source, TaskQuery(project="p"))
    assert source.requests == ["tasks_info p None"]
    assert totals.from_project and totals.seen == 10 and totals.requests == 1
    assert totals.counts[StatusKind.SUCCESS] == 5 and totals.counts[StatusKind.FAILED] == 2
    assert totals.cost == pytest.approx(5.0) and totals.compute_seconds == 300.0
    assert totals.median_wait == 4.0


async def test_the_other_filters_apply_to_the_projects_runs() -> None:
    source = Source(TASKS)
    failed = await last(source, TaskQuery(project="p", statuses=frozenset({"failed"})))
    assert source.requests == ["tasks_info p failed"]  # one code goes to the server
    assert failed.seen == 2
    active = await last(source, TaskQuery(project="p", active=True))
    assert active.counts.active == 2 and active.seen == 2
    assert (await last(source, TaskQuery(project="p", search="t000"))).seen == 10
    assert info_matches(ProjectTaskInfo(task_id="x", status="success"), TaskQuery())


async def test_without_tasks_info_a_project_is_paged_through() -> None:
    source = Source(TASKS, tasks_info=False)
    totals = await last(source, TaskQuery(project="p"))
    assert source.requests == ["tasks_info p None", "tasks None 1"]
    assert not totals.from_project and totals.seen == 10


async def test_a_search_is_matched_on_every_task_of_the_pages() -> None:
    # The API cannot search: every page of the view is read, and the search applied here.
    source = Source(TASKS, tasks_info=False)
    totals = await last(source, TaskQuery(search="t0003"))
    assert (totals.seen, totals.scanned, totals.expected) == (1, len(TASKS), len(TASKS))
    project = await last(Source(TASKS), TaskQuery(project="p", search="t0003"))
    assert project.from_project and project.seen == 1


async def test_several_statuses_page_one_stream_per_code() -> None:
    source = Source(TASKS)
    failed = frozenset(FILTER_GROUPS["failed"])
    totals = await last(source, TaskQuery(statuses=failed))
    assert len(source.requests) == len(failed) and totals.seen == 2


async def test_paging_counts_each_task_once_and_stops_at_the_cap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    many = [task(n, "success" if n % 3 else "failed") for n in range(25)]
    monkeypatch.setattr(totals_module, "PAGE", 4)
    source = Source(many)
    progress = [t.seen async for t in view_totals(source, TaskQuery(), NOW)]  # type: ignore[arg-type]
    assert progress[0] == 4 and progress[-1] == 25 and len(source.requests) == 7
    monkeypatch.setattr(totals_module, "MAX_TASKS", 10)
    capped = await last(Source(many), TaskQuery())
    assert capped.capped and capped.seen == 10 and capped.expected == 25
