"""Failure signatures: normalised so numbers and paths do not split groups; shared parameters."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from inductiva_top.api.models import ProjectTaskInfo, Task
from inductiva_top.monitor.batch.triage import (
    exit_code,
    group_failures,
    last_line,
    normalise,
    shared_parameters,
    siblings,
)

T0 = datetime(2026, 3, 14, 15, 0, tzinfo=timezone.utc)


def task(n: int, status: str = "failed", detail: str | None = None, **metadata: str) -> Task:
    data: dict[str, Any] = {
        "task_id": f"t{n}",
        "status": status,
        "create_time": (T0 + timedelta(seconds=n)).isoformat(),
        "error_detail": detail,
        "task_metadata": metadata or None,
        "project": "sweep",
    }
    return Task.model_validate(data)


def test_numbers_paths_ids_and_times_do_not_split_a_message() -> None:
    a = "[10:27:35] error: mesh too coarse: 12x12 cells in /work/a1/run.dat (need 16)"
    b = "[11:02:01] error: mesh too coarse: 20x20 cells in /work/b7/run.dat (need 24)"
    assert normalise(a) == normalise(b) == "error: mesh too coarse: #x# cells in <path> (need #)"
    assert normalise("solution diverged at step 1.5e3, task 3fa85f6457174562") == (
        "solution diverged at step #, task <id>"
    )
    assert normalise("diverged") != normalise("mesh too coarse")
    assert normalise(None) == "" and len(normalise("x " * 500)) <= 160


def test_the_exit_code_and_the_last_line_of_stderr() -> None:
    assert exit_code(task(1, detail="the command failed with exit code 2")) == 2
    assert exit_code(task(2, detail="signal SIGSEGV (11)")) is None
    assert exit_code(task(3)) is None
    assert last_line("one\nerror: two\n\n  \n") == "error: two"
    assert last_line("") is None and last_line(None) is None


def test_groups_are_largest_first_and_split_by_stderr_and_exit_code() -> None:
    coarse = "the command failed with exit code 2"
    diverged = "the command failed with exit code 3"
    tasks = [
        task(1, detail=coarse, resolution="12", alpha="0.1"),
        task(2, detail=diverged, resolution="20", alpha="0.3"),
        task(3, detail=coarse, resolution="12", alpha="0.2"),
        task(4, detail=coarse, resolution="12", alpha="0.3"),
        task(5, "success"),
        task(6, "executer-failed", detail="machine lost"),
    ]
    stderr = {
        "t1": "error: mesh too coarse: 12x12 (need 16)",
        "t3": "error: mesh too coarse: 12x12 (need 20)",
        "t4": "error: mesh too coarse: 12x12 (need 24)",
        "t2": "solution diverged at step 120",
    }
    groups = group_failures(tasks, stderr)
    assert [g.count for g in groups] == [3, 1, 1]
    first = groups[0]
    assert first.signature.exit_code == 2 and first.example.task_id == "t4"  # newest
    assert first.signature.label == "Failed · exit 2 · error: mesh too coarse: #x# (need #)"
    assert shared_parameters(first.tasks) == {"resolution": "12"}
    # Same detail, no stderr read yet: a group of its own until it is read.
    assert len(group_failures(tasks, {**stderr, "t4": None})) == 4
    assert {g.example.task_id for g in groups[1:]} == {"t2", "t6"}


def test_the_running_siblings_share_every_parameter_of_the_group() -> None:
    def info(task_id: str, status: str, **parameters: Any) -> ProjectTaskInfo:
        return ProjectTaskInfo.model_validate(
            {"task_id": task_id, "status": status, "parameters": parameters}
        )

    rows = [
        info("a", "computation-started", resolution=12, alpha="0.4"),
        info("b", "submitted", resolution="12"),
        info("c", "success", resolution="12"),
        info("d", "computation-started", resolution="20"),
    ]
    assert siblings(rows, {"resolution": "12"}) == ["a", "b"]
    assert siblings(rows, {}) == []
    # Names never count as shared parameters.
    assert shared_parameters([task(1, name="x", alpha="1"), task(2, name="x", alpha="1")]) == {
        "alpha": "1"
    }
