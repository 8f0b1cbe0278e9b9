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
    Project,
    StorageContents,
    Task,
    TaskPage,
    TaskStatus,
    TaskSubmittedInfo,
    TaskWithStatusHistory,
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
