"""The project board's rows: counts, rates, time, ETA and the order by activity."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from inductiva_top.api.models import Project
from inductiva_top.monitor import fmt
from inductiva_top.monitor.batch.board import (
    Deadlines,
    Parallelism,
    board_rows,
    eta_text,
    project_row,
    row_eta_text,
)
from inductiva_top.monitor.foresight.estimates import Span
from inductiva_top.monitor.statuses import StatusKind

NOW = datetime(2026, 3, 14, 15, 0, tzinfo=timezone.utc)


def project(
    name: str, overview: dict[str, int], average: float | None = 10.0, **more: Any
) -> Project:
    statistics = {"avg_task_duration_seconds": average} if average is not None else None
    return Project(
        name=name,
        num_tasks=sum(overview.values()),
        task_status_overview=overview,
        statistics=statistics,
        **more,
    )


def test_a_row_counts_rates_cost_and_time_from_the_listing_alone() -> None:
    row = project_row(
        project(
            "sweep",
            {"success": 6, "failed": 2, "computation-started": 2, "submitted": 6},
            average=30.0,
            estimated_computation_cost=0.41,
        ),
        NOW,
    )
    assert row.total == 16 and row.counts.done == 8 and row.active
    assert row.success_rate == pytest.approx(0.75)  # no statistics.success_rate: from counts
    assert row.cost == 0.41
    assert row.time_seconds == 8 * 30.0
    # 2 running end within one average; 6 waiting run 2 at a time: 3 more turns of 30 s.
    assert row.eta.span is not None
    assert (row.eta.span.low, row.eta.span.high) == pytest.approx((90.0, 120.0), abs=0.1)
    assert eta_text(row.eta) == "~2m"


def test_running_tasks_the_dashboard_estimates_end_when_their_estimates_say() -> None:
    listed = project("sweep", {"computation-started": 2, "submitted": 2}, average=30.0)
    # Without them: the running end within 0-30 s, then the 2 waiting run 30 s on 2 machines.
    blind = project_row(listed, NOW).eta.span
    assert blind is not None and (blind.low, blind.high) == pytest.approx((30.0, 60.0), abs=0.1)
    # One has 5 s left by how long it ran; the other, not held, is taken as before: a
    # waiting task gets its machine at 5 s at the earliest, not now.
    known = project_row(listed, NOW, running_left=[Span(5.0, 5.0)]).eta.span
    assert known is not None and (known.low, known.high) == pytest.approx((35.0, 60.0), abs=0.1)
    both = project_row(listed, NOW, running_left=[Span(5.0, 5.0), Span(8.0, 10.0)]).eta.span
    assert both is not None and (both.low, both.high) == pytest.approx((38.0, 40.0), abs=0.1)
    # More estimates than the listing has running tasks (it lags): only as many count.
    more = [Span(5.0, 5.0), Span(8.0, 10.0), Span(500.0, 500.0)]
    assert project_row(listed, NOW, running_left=more).eta.span == both
    rows = board_rows([listed], NOW, running_left={"sweep": [Span(5.0, 5.0), Span(8.0, 10.0)]})
    assert rows[0].eta.span == both


def test_the_eta_is_done_unknown_or_uses_the_parallelism_seen() -> None:
    assert eta_text(project_row(project("a", {"success": 3}), NOW).eta) == "done"
    # Nothing finished yet: no average duration to go by.
    no_average = project_row(project("b", {"submitted": 3, "started": 1}, average=None), NOW)
    assert eta_text(no_average.eta) == "unknown"
    # Waiting with nothing running: machines unknown, unless seen running lately.
    waiting = project("c", {"submitted": 4, "success": 2})
    assert eta_text(project_row(waiting, NOW).eta) == "unknown"
    seen = project_row(waiting, NOW, machines=2)
    assert seen.eta.span is not None and seen.eta.span.high == pytest.approx(20.0, abs=0.1)


def test_parallelism_remembers_the_recent_most_running() -> None:
    seen = Parallelism(window=60.0)
    seen.observe({"p": 3}, 0.0)
    seen.observe({"p": 0}, 30.0)  # between two tasks: its machines are still there
    assert seen.machines("p") == 3
    seen.observe({"p": 1}, 100.0)
    assert seen.machines("p") == 1
    assert seen.machines("never") is None


def test_the_board_puts_busy_projects_first_then_the_newest() -> None:
    rows = board_rows(
        [
            project("old-done", {"success": 9}, created_at=NOW - timedelta(days=3)),
            project("new-done", {"failed": 1}, created_at=NOW - timedelta(days=1)),
            project("waiting", {"submitted": 5}),
            project("busy", {"started": 2, "submitted": 1}),
            project("busier", {"computation-started": 4}),
        ],
        NOW,
    )
    assert [row.name for row in rows] == ["busier", "busy", "waiting", "new-done", "old-done"]
    assert rows[0].counts[StatusKind.RUNNING] == 4


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (44.6, "45s"), (61, "1m"), (3599, "1h 00m"), (3 * 3600 + 300, "3h 05m"),
     (86_400 * 2 + 4 * 3600, "2d 04h")],
)  # fmt: skip
def test_compact_durations(seconds: float, text: str) -> None:
    assert fmt.compact_duration(seconds) == text


def test_a_project_past_its_eta_while_nothing_changed_says_how_late() -> None:
    # One task runs, average 10 s: due within 10 s; the listing alone would say so forever.
    deadlines = Deadlines()
    running = project("r", {"computation-started": 1, "success": 1})
    first = board_rows([running], NOW, deadlines=deadlines)[0]
    assert row_eta_text(first) == "0s-10s"
    later = board_rows([running], NOW + timedelta(seconds=75), deadlines=deadlines)[0]
    assert row_eta_text(later) == "late 1m"
    # The counts moved: a new promise, not late.
    moved = project("r", {"computation-started": 1, "success": 2})
    fresh = board_rows([moved], NOW + timedelta(seconds=80), deadlines=deadlines)[0]
    assert fresh.late_seconds is None and row_eta_text(fresh) == "0s-10s"
    # A finished project is never late.
    done = project("r", {"success": 3})
    assert (
        row_eta_text(board_rows([done], NOW + timedelta(hours=1), deadlines=deadlines)[0]) == "done"
    )
