"""Pure pieces of the dashboard: status counts, the queue view, column choice."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from inductiva_top.api.models import Project, Task
from inductiva_top.monitor.state import count_statuses
from inductiva_top.monitor.task.queue import queue_view
from inductiva_top.ui.columns import DEFAULT_COLUMNS, columns_from_config

NOW = datetime(2026, 1, 2, 12, 0, tzinfo=timezone.utc)


def _task(task_id: str, status: str, minutes_ago: float, group: str = "g1") -> Task:
    return Task(
        task_id=task_id,
        status=status,
        machine_group_id=group,
        create_time=NOW - timedelta(minutes=minutes_ago),
        input_submit_time=NOW - timedelta(minutes=minutes_ago),
    )


def test_counts_sum_project_overviews_and_skip_empty() -> None:
    projects = [
        Project(name="a", task_status_overview={"success": 3, "failed": 1, "killed": 0}),
        Project(name="b", task_status_overview={"success": 2, "submitted": None}),
        Project(name="c"),
    ]
    assert count_statuses(projects) == {"success": 5, "failed": 1}


def test_queue_view_lists_older_waiting_tasks_of_the_same_group() -> None:
    me = _task("me", "submitted", 5)
    active = [
        me,
        _task("older", "submitted", 10),
        _task("oldest", "pending-input", 20),
        _task("newer", "submitted", 1),
        _task("other-group", "submitted", 30, group="g2"),
        _task("running", "computation-started", 40),
    ]
    view = queue_view(me, active, tasks_ahead=3, now=NOW)
    assert [t.task_id for t in view.ahead] == ["oldest", "older"]
    assert [t.task_id for t in view.running] == ["running"]
    assert view.ahead_partial  # the server counts 3 ahead; 2 are visible
    assert view.waited_seconds == 300


def test_columns_from_config_keeps_order_and_reports_unknown_names() -> None:
    columns, unknown = columns_from_config(["status", "id", "colour"])
    assert [c.key for c in columns] == ["status", "id"]
    assert unknown == ["colour"]
    default, none_unknown = columns_from_config(None)
    assert tuple(c.key for c in default) == DEFAULT_COLUMNS and not none_unknown
    fallback, _ = columns_from_config(["nope"])
    assert tuple(c.key for c in fallback) == DEFAULT_COLUMNS
