"""The timeline layout: spans, open state, resubmissions, bar cells."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from inductiva_top.api.models import TaskWithStatusHistory
from inductiva_top.monitor.statuses import StatusKind
from inductiva_top.monitor.task.timeline import Outcome, Span, bar_cells, build_timeline

T0 = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)


def at(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat()


def entry(status: str, start: float, end: float | None, **extra: Any) -> dict[str, Any]:
    return {
        "status": status,
        "timestamp": at(start),
        "end_timestamp": at(end) if end is not None else None,
        **extra,
    }


def task(status: str, history: list[dict[str, Any]]) -> TaskWithStatusHistory:
    return TaskWithStatusHistory.model_validate(
        {"task_id": "t1", "status": status, "status_history": history}
    )


def test_finished_task_spans_are_proportional_and_closed() -> None:
    done = task(
        "success",
        [
            entry("submitted", 0, 10),
            entry(
                "computation-started",
                10,
                40,
                operations=[
                    {
                        "name": "exec_command",
                        "start_timestamp": at(10),
                        "end_timestamp": at(40),
                        "status": "OK",
                        "attributes": {"command": "echo \x1b]0;x\x07hi", "exit_code": 0},
                    }
                ],
            ),
            entry("success", 40, None),
        ],
    )
    timeline = build_timeline(done, T0 + timedelta(hours=5))
    assert timeline.total == 40 and not timeline.live
    states = timeline.states
    assert [s.code for s in states] == ["submitted", "computation-started", "success"]
    assert [s.seconds for s in states] == [10, 30, 0]
    assert not any(s.open for s in timeline.rows)
    run = timeline.rows[2]
    assert run.depth == 1 and run.label == "run" and run.status == "OK"
    assert "\x1b" not in run.detail and run.detail.endswith("(exit 0)")
    assert states[0].kind is StatusKind.WAITING and states[2].kind is StatusKind.SUCCESS


def test_current_state_grows_with_the_clock() -> None:
    running = task(
        "computation-started", [entry("submitted", 0, 5), entry("computation-started", 5, None)]
    )
    early = build_timeline(running, T0 + timedelta(seconds=20))
    later = build_timeline(running, T0 + timedelta(seconds=80))
    assert early.live and early.rows[-1].open
    assert early.rows[-1].seconds == 15 and later.rows[-1].seconds == 75
    assert later.total == 80


def test_resubmission_after_machine_loss_is_marked() -> None:
    history = [
        entry("submitted", 0, 1),
        entry("started", 1, 2),
        entry("computation-started", 2, 30),
        entry("spot-instance-preempted", 30, 31),
        entry("submitted", 31, 40),
        entry("computation-started", 40, None),
    ]
    timeline = build_timeline(task("computation-started", history), T0 + timedelta(seconds=60))
    assert timeline.resubmissions == 1
    flags = [s.resubmission for s in timeline.states]
    assert flags == [False, False, False, False, True, False]


def test_bar_cells_fit_the_axis_and_never_vanish() -> None:
    assert bar_cells(Span("a", 0, 10), 40, 20) == (0, 5)
    assert bar_cells(Span("b", 10, 40), 40, 20) == (5, 15)
    first, length = bar_cells(Span("c", 40, 40), 40, 20)
    assert first == 19 and length == 1  # an instant still shows
    assert bar_cells(Span("d", 0, 0), 0, 20) == (0, 1)
    assert bar_cells(Span("e", 0, 1), 1, 0) == (0, 0)


def test_no_history_gives_an_empty_timeline() -> None:
    timeline = build_timeline(task("submitted", []), T0)
    assert timeline.rows == () and timeline.total == 0


def test_unclosed_operation_of_a_closed_state_ends_with_the_state() -> None:
    history = [
        entry(
            "computation-started",
            0,
            50,
            operations=[{"name": "exec_command", "start_timestamp": at(0), "end_timestamp": None}],
        ),
        entry("executer-terminated", 50, 51),
        entry("submitted", 51, None),
    ]
    timeline = build_timeline(task("submitted", history), T0 + timedelta(seconds=60))
    run = timeline.rows[1]
    assert run.seconds == 50 and not run.open


def _exec(start: float, end: float, status: str) -> dict[str, Any]:
    return {
        "name": "exec_command",
        "start_timestamp": at(start),
        "end_timestamp": at(end),
        "status": status,
    }


def test_a_run_stopped_by_a_kill_was_killed_not_failed() -> None:
    asked = task(
        "killed",
        [
            entry("computation-started", 0, 10, operations=[_exec(0, 11, "FAILED")]),
            entry("pending-kill", 10, 12),
            entry("killed", 12, None),
        ],
    )
    straight = task(
        "killed",
        [
            entry("computation-started", 0, 10, operations=[_exec(0, 10, "FAILED")]),
            entry("killed", 10, None),
        ],
    )
    for killed in (asked, straight):
        run = next(row for row in build_timeline(killed, T0).rows if row.depth == 1)
        assert run.status == "FAILED" and run.killed
    # A command that failed on its own before a kill was asked for stays failed.
    failed_first = task(
        "killed",
        [
            entry("computation-started", 0, 10, operations=[_exec(0, 5, "FAILED")]),
            entry("computation-ended", 10, 20),
            entry("pending-kill", 20, 21),
            entry("killed", 21, None),
        ],
    )
    run = next(row for row in build_timeline(failed_first, T0).rows if row.depth == 1)
    assert not run.killed


def test_the_outcome_says_why_a_task_did_not_succeed() -> None:
    def outcome(status: str, **fields: Any) -> Outcome | None:
        history = [entry(status, 0, None)]
        made = TaskWithStatusHistory.model_validate(
            {"task_id": "t1", "status": status, "status_history": history, **fields}
        )
        return build_timeline(made, T0).outcome

    assert outcome("success") == Outcome("Success", StatusKind.SUCCESS)
    assert outcome("computation-started") == Outcome("Running", StatusKind.RUNNING)
    failed = outcome("failed", error_detail="exit \x1b[31m3")
    assert failed is not None and failed.reason == "exit 3"  # sanitized
    disk = outcome("executer-failed", executer={"error_detail": "disk full"})
    assert disk is not None and disk.reason == "disk full"
    killed = outcome("killed")
    assert killed is not None and killed.reason == "Killed on request."
