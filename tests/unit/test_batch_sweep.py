"""The sweep table's rows: from tasks_info or the tasks' metadata, sorted and grouped."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from inductiva_top.api.models import Project, ProjectTaskInfo, Task, TaskMetrics
from inductiva_top.monitor.batch.bars import KindCounts
from inductiva_top.monitor.batch.sweep import (
    COST,
    STATUS,
    SweepRow,
    column_title,
    from_tasks,
    from_tasks_info,
    group_key_for,
    group_rows,
    groupable_keys,
    sort_rows,
    value_key,
)
from inductiva_top.monitor.statuses import StatusKind

FIXTURES = Path(__file__).parent / "fixtures"


def info(
    task_id: str, status: str | None = "success", cost: float | None = 0.1, **params: Any
) -> ProjectTaskInfo:
    row: dict[str, Any] = {"task_id": task_id, "estimated_computation_cost (US$)": cost, **params}
    if status is not None:
        row["status"] = status
    return ProjectTaskInfo.model_validate(row)


def test_distinct_rows_become_parameter_columns_in_the_order_they_come() -> None:
    data = from_tasks_info(
        "sweep",
        [
            info("a", name="run-a", alpha="0.1", resolution=12),
            info("b", "failed", name="run-b", alpha="0.3", resolution=20.0),
        ],
    )
    assert data is not None and not data.derived
    assert data.keys == ("name", "alpha", "resolution")
    assert data.columns[:3] == data.keys and column_title(data.columns[3]) == "status"
    assert [row.parameters["resolution"] for row in data.rows] == ["12", "20"]
    assert [row.status for row in data.rows] == ["success", "failed"]


def test_a_status_left_out_by_distinct_is_the_projects_only_code() -> None:
    project = Project(
        name="done", num_tasks=2, task_status_overview={"success": 2, "failed": 0},
        estimated_computation_cost=0.5,
    )  # fmt: skip
    data = from_tasks_info("done", [info("a", None, None, x="1"), info("b", None, None, x="2")],
                           project)  # fmt: skip
    assert data is not None
    assert [row.status for row in data.rows] == ["success", "success"]
    assert [row.cost for row in data.rows] == [0.25, 0.25]  # one cost for all: shared out


def test_rows_without_any_status_in_a_mixed_project_cannot_make_a_sweep_table() -> None:
    rows = [
        ProjectTaskInfo.model_validate(r)
        for r in json.loads((FIXTURES / "tasks_info.json").read_text())
    ]
    mixed = Project(name="wave", task_status_overview={"success": 1, "failed": 1})
    assert from_tasks_info("wave", rows, mixed) is None


def test_derived_from_tasks_only_the_metadata_that_varies() -> None:
    def task(task_id: str, status: str, **meta: str) -> Task:
        return Task(
            task_id=task_id, status=status, task_metadata=meta, estimated_computation_cost=0.2,
            metrics=TaskMetrics(computation_seconds=12.0, queue_time_seconds=3.0),
        )  # fmt: skip

    data = from_tasks(
        "p",
        [task("a", "success", study="s", alpha="1"), task("b", "failed", study="s", alpha="2"),
         task("c", "success", study="s")],
    )  # fmt: skip
    assert data.derived and data.keys == ("alpha",)
    assert [row.parameters["alpha"] for row in data.rows] == ["1", "2", None]
    assert data.rows[0].compute_seconds == 12.0 and data.rows[0].queue_seconds == 3.0


def test_parameters_sort_as_numbers_when_they_are_numbers() -> None:
    values = [("a", "10"), ("b", "9"), ("c", None), ("d", "1e2"), ("e", "x"), ("f", "-1")]
    rows = [SweepRow(t, "success", {"n": n}) for t, n in values]
    assert [r.task_id for r in sort_rows(rows, "n")] == ["f", "b", "a", "d", "e", "c"]
    # Missing values stay last in either direction.
    assert [r.task_id for r in sort_rows(rows, "n", descending=True)] == [
        "e",
        "d",
        "a",
        "b",
        "f",
        "c",
    ]
    assert value_key("0.30") == value_key(0.3)
    assert value_key("nan")[0] == 1  # not a number to sort by


def test_fixed_columns_sort_too() -> None:
    rows = [SweepRow("a", "success", {}, cost=0.3), SweepRow("b", "failed", {}, cost=None),
            SweepRow("c", "killed", {}, cost=0.1)]  # fmt: skip
    assert [r.task_id for r in sort_rows(rows, COST)] == ["c", "a", "b"]
    assert [r.task_id for r in sort_rows(rows, STATUS)] == ["b", "c", "a"]


def test_groups_count_their_runs_and_say_so_in_a_line() -> None:
    rows = [
        SweepRow("a", "success", {"alpha": "0.3"}, cost=0.1),
        SweepRow("b", "success", {"alpha": "0.3"}, cost=0.1),
        SweepRow("c", "failed", {"alpha": "0.3"}, cost=0.11),
        SweepRow("d", "computation-started", {"alpha": "0.3"}, cost=0.05),
        SweepRow("e", "success", {"alpha": "0.3"}, cost=0.05),
        SweepRow("f", "success", {"alpha": "0.10"}, cost=0.2),
        SweepRow("g", "success", {}, cost=None),
    ]
    groups = group_rows(rows, "alpha")
    assert [g.label for g in groups] == ["alpha=0.10", "alpha=0.3", "alpha unset"]
    third = groups[1]
    assert third.counts == KindCounts({StatusKind.SUCCESS: 3, StatusKind.FAILED: 1,
                                       StatusKind.RUNNING: 1})  # fmt: skip
    assert third.summary() == "4/5 done, 1 failed, 1 running, $0.4100"
    assert groups[2].summary() == "1/1 done"
    assert next(g.label for g in group_rows(rows, "alpha", descending=True)) == "alpha=0.3"


def test_a_sweep_opens_grouped_by_the_first_parameter_whose_values_repeat() -> None:
    data = from_tasks_info(
        "s", [info(str(i), name=f"run-{i}", alpha=str(i % 2), seed="7") for i in range(4)]
    )
    assert data is not None
    assert groupable_keys(data) == ["alpha"]  # names are unique, the seed is one value
    assert group_key_for(data) == "alpha"


@pytest.mark.parametrize("rows", [[], [info("a", x="1")]])
def test_small_sweeps(rows: list[ProjectTaskInfo]) -> None:
    data = from_tasks_info("s", rows)
    assert data is not None and group_key_for(data) is None
