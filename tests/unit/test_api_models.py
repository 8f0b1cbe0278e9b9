"""The client models parse what real servers send, and tolerate what they may send."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from inductiva_top.api.models import (
    ApiVersion,
    MachineGroup,
    Project,
    ProjectTaskInfo,
    StorageContents,
    Task,
    TaskPage,
    TaskStatus,
    TaskSubmittedInfo,
    TaskWithStatusHistory,
    UserInfo,
    ZipArchiveInfo,
    ZipFileRange,
)

FIXTURES = Path(__file__).parent / "fixtures"

ALL_STATUS_CODES = {
    "pending-input",
    "submitted",
    "started",
    "computation-started",
    "computation-ended",
    "success",
    "failed",
    "pending-kill",
    "killed",
    "spot-instance-preempted",
    "executer-terminated",
    "executer-terminated-by-user",
    "executer-terminated-ttl-exceeded",
    "executer-terminated-credits-exhausted",
    "executer-failed",
    "zombie",
    "ttl-exceeded",
}

UTC = timezone.utc


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def test_task_page_keeps_every_status_code_and_unknown_ones() -> None:
    page = TaskPage.model_validate(load("tasks_page.json"))
    assert page.total_size == 1234
    statuses = [task.status for task in page.tasks]
    assert set(statuses) >= ALL_STATUS_CODES
    assert "hibernating" in statuses  # a code this client has never heard of


def test_extra_fields_are_ignored_and_missing_ones_are_none() -> None:
    page = TaskPage.model_validate(load("tasks_page.json"))
    future = next(t for t in page.tasks if t.status == "hibernating")
    assert not hasattr(future, "a_field_from_the_future")
    assert future.metrics is None
    assert future.create_time is None
    sparse = next(t for t in page.tasks if t.task_id.startswith("sparse"))
    assert sparse.simulator is None
    assert sparse.is_terminated is None
    assert sparse.executer is None
    assert sparse.create_time == datetime(2025, 3, 4, 10, 0, tzinfo=UTC)


def test_fixture_timestamps_become_aware_utc() -> None:
    page = TaskPage.model_validate(load("tasks_page.json"))
    started = next(t for t in page.tasks if t.status == "started")
    assert started.create_time == datetime(2025, 3, 4, 10, 0, 0, 123456, tzinfo=UTC)
    assert started.start_time == datetime(2025, 3, 4, 10, 0, 5, tzinfo=UTC)  # was +05:30
    assert started.computation_start_time == datetime(2025, 3, 4, 10, 0, 9, 500000, tzinfo=UTC)
    for task in page.tasks:
        for field in ("create_time", "start_time", "end_time", "computation_end_time"):
            value = getattr(task, field)
            assert value is None or value.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-04T10:00:00Z", datetime(2025, 3, 4, 10, tzinfo=UTC)),
        ("2025-03-04T10:00:00z", datetime(2025, 3, 4, 10, tzinfo=UTC)),
        ("2025-03-04T10:00:00+00:00", datetime(2025, 3, 4, 10, tzinfo=UTC)),
        ("2025-03-04T15:30:00+05:30", datetime(2025, 3, 4, 10, tzinfo=UTC)),
        ("2025-03-04T02:00:00-08:00", datetime(2025, 3, 4, 10, tzinfo=UTC)),
        ("2025-03-04T10:00:00", datetime(2025, 3, 4, 10, tzinfo=UTC)),
        ("2025-03-04 10:00:00", datetime(2025, 3, 4, 10, tzinfo=UTC)),
        ("2025-03-04T10:00:00.5Z", datetime(2025, 3, 4, 10, 0, 0, 500000, tzinfo=UTC)),
        ("2025-03-04T10:00:00.123456+00:00", datetime(2025, 3, 4, 10, 0, 0, 123456, tzinfo=UTC)),
        ("2025-03-04T10:00:00.1234", datetime(2025, 3, 4, 10, 0, 0, 123400, tzinfo=UTC)),
        ("", None),
        (None, None),
    ],
)
def test_timestamp_forms(text: str | None, expected: datetime | None) -> None:
    task = Task.model_validate({"task_id": "t", "status": "success", "end_time": text})
    assert task.end_time == expected
    if task.end_time is not None:
        assert task.end_time.tzinfo is not None
        assert task.end_time.utcoffset() == timedelta(0)


def test_a_timestamp_that_is_not_one_fails_validation() -> None:
    with pytest.raises(ValidationError):
        Task.model_validate({"task_id": "t", "status": "success", "end_time": "yesterday"})


def test_wrong_shape_fails_validation() -> None:
    with pytest.raises(ValidationError):
        TaskPage.model_validate({"total_size": 1, "tasks": {"not": "a list"}})
    with pytest.raises(ValidationError):
        Task.model_validate({"status": "success"})  # no task_id


def test_task_with_status_history() -> None:
    task = TaskWithStatusHistory.model_validate(load("task_detail.json"))
    assert [entry.status for entry in task.status_history] == [
        "pending-input",
        "submitted",
        "started",
        "computation-started",
        "computation-ended",
        "success",
    ]
    started = task.status_history[2]
    assert [op.name for op in started.operations] == [
        "download_container",
        "download_input",
        "uncompress_input",
    ]
    assert started.end_timestamp == datetime(2025, 3, 4, 10, 0, 9, tzinfo=UTC)
    exec_op = task.status_history[3].operations[0]
    assert exec_op.attributes["command"] == "simpleFoam -parallel"
    upload = task.status_history[4].operations[1]
    assert upload.status == "RUNNING"
    assert upload.end_timestamp is None
    assert task.status_history[-1].end_timestamp is None
    assert task.machine_operations[0].type == "started"
    assert task.steps is not None and task.steps[0].duration == 3.0
    assert task.metrics is not None and task.metrics.computation_seconds == 441.0
    assert task.orchestration_fee is not None and task.orchestration_fee.currency == "USD"


def test_executer_machine_label() -> None:
    page = TaskPage.model_validate(load("tasks_page.json"))
    labels = {t.executer.machine_label for t in page.tasks if t.executer is not None}
    assert labels == {"GCP c2d-highcpu-4", "GCP c2d-highcpu-4 x2"}


def test_task_status_and_submitted_info() -> None:
    status = TaskStatus.model_validate(load("task_status.json"))
    assert status.position_in_queue is not None
    assert status.position_in_queue.tasks_ahead == 3
    submitted = TaskSubmittedInfo.model_validate(load("task_submitted.json"))
    assert submitted.status == "pending-input"
    assert submitted.position_in_queue is None
    assert submitted.storage_region == "europe-west1"
    assert submitted.time_to_live_seconds == 3600


def test_projects() -> None:
    wave, default = (Project.model_validate(p) for p in load("projects.json"))
    assert wave.task_status_overview == {
        "success": 40,
        "failed": 1,
        "killed": None,
        "computation-started": 1,
    }
    assert wave.statistics is not None and wave.statistics.success_rate == 0.95
    assert wave.created_at == datetime(2025, 1, 10, 8, tzinfo=UTC)
    assert default.statistics is None
    assert default.created_at == datetime(2024, 12, 1, tzinfo=UTC)


def test_storage_models() -> None:
    archive = ZipArchiveInfo.model_validate(load("zip_contents.json"))
    assert archive.contents[0].name == "artifacts/stdout.txt"
    assert archive.contents[2].creation_time is None
    member = ZipFileRange.model_validate(load("zip_file_range.json"))
    assert (member.range_start, member.range_end, member.compress_type) == (4300, 5104299, 8)
    contents = StorageContents.model_validate(load("storage_contents.json"))
    assert contents.contents[0].size == 5242880  # the API's "size_bytes"
    assert contents.contents[1].is_directory is True
    assert ApiVersion.model_validate(load("version.json")).version == "1.42.0"


def test_machine_groups() -> None:
    cloud, starting = (MachineGroup.model_validate(g) for g in load("machine_groups.json"))
    assert (cloud.name, cloud.status, cloud.num_vms, cloud.spot) == (
        "api-7x2kq9d3p0s8v1b4n6m5c2z7",
        "started",
        2,
        True,
    )
    assert (cloud.max_idle_time, cloud.idle_seconds) == (180.0, 95)
    assert cloud.auto_terminate_ts == datetime(2025, 6, 2, 10, 45, tzinfo=UTC)
    assert cloud.creation_timestamp is not None and cloud.creation_timestamp.tzinfo is not None
    assert cloud.machines is not None
    assert [m.current_task_id for m in cloud.machines] == ["k3n0f8w2x1m9q7r4t6y5u2i8o", None]
    assert cloud.cost_per_hour is not None and cloud.cost_per_hour.current == 1.44
    assert cloud.costs is not None and cloud.costs.cost == 0.97
    assert cloud.statistics is not None and cloud.statistics.idle_time is not None
    assert cloud.statistics.idle_time.value == 720.5
    # A group still starting has little to say: what is missing or null is None.
    assert (starting.is_elastic, starting.max_vms, starting.machines) == (True, 5, None)
    assert starting.cost_per_hour is None and starting.idle_seconds is None


def test_user_info_counts_credits_unless_told_otherwise() -> None:
    user = UserInfo.model_validate(load("user_info.json"))
    assert (user.total_available_credits, user.terminate_resources_credits_threshold) == (
        41.37,
        5.0,
    )
    assert user.credits_counted is True and user.tier == "Standard"
    local = UserInfo.model_validate({**load("user_info.json"), "credits_counted": False})
    assert local.credits_counted is False


def test_tasks_info_rows_split_fixed_columns_from_parameters() -> None:
    first, second = (ProjectTaskInfo.model_validate(r) for r in load("tasks_info.json"))
    assert (first.task_id, first.machine_type, first.computation_time) == (
        "a1b2c3d4e5f6g7h8i9j0k1l2m",
        "c2d-highcpu-16",
        812.4,
    )
    assert first.estimated_computation_cost == 0.31
    assert first.status is None and first.simulator is None  # left out by select=distinct
    assert first.parameters == {"n_cores": 16, "input_filename": "case_a.in"}
    assert second.computation_time is None
    assert second.parameters["parameters"] == "a key named like the field"
    # Built in code (or from a dump of itself), a row keeps its parameters as given.
    again = ProjectTaskInfo.model_validate(first.model_dump())
    assert again == first
