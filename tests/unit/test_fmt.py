"""Formatting with an injected clock and time zone: stable, compact, never 'None'."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from inductiva_top.api.models import Task
from inductiva_top.monitor import fmt
from inductiva_top.monitor.fmt import FixedClock, Formatter

NOW = datetime(2026, 8, 4, 12, 6, 17, tzinfo=timezone.utc)


def _task(**fields: Any) -> Task:
    return Task.model_validate({"task_id": "t1", "status": "success", **fields})


def _at(seconds_before_now: float) -> str:
    return (NOW - timedelta(seconds=seconds_before_now)).isoformat()


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (45.9, "45s"),
        (60, "1m 00s"),
        (192, "3m 12s"),
        (3723, "1h 02m 03s"),
        (86_400 * 2 + 3 * 3600 + 4 * 60 + 5, "2d 03h 04m"),
        (-5, "0s"),
        (None, "-"),
        (float("nan"), "-"),
    ],
)
def test_duration(seconds: float | None, text: str) -> None:
    assert fmt.duration(seconds) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (2, "just now"),
        (9.9, "just now"),
        (10, "10s ago"),
        (59, "50s ago"),
        (61, "1m ago"),
        (3599, "59m ago"),
        (7200, "2h ago"),
        (86_399, "23h ago"),
        (3 * 86_400, "3d ago"),
    ],
)
def test_ago_is_compact_and_coarse(seconds: float, text: str) -> None:
    assert fmt.ago(NOW - timedelta(seconds=seconds), NOW) == text


def test_ago_handles_clock_skew_and_missing() -> None:
    assert fmt.ago(NOW + timedelta(seconds=3), NOW) == "just now"
    assert fmt.ago(None, NOW) == "-"


@pytest.mark.parametrize(("seconds", "step"), [(0, 10), (50, 10), (60, 60), (3600, 3600)])
def test_an_age_changes_once_a_step(seconds: float, step: float) -> None:
    assert fmt.age_step(seconds) == step
    assert fmt.age(seconds) == fmt.age(seconds + step - 0.01) != fmt.age(seconds + step)


def test_a_young_age_writes_its_cell_six_times_a_minute_not_sixty() -> None:
    assert len({fmt.age(second) for second in range(60)}) == 6


def test_natural_ago_uses_words() -> None:
    assert fmt.natural_ago(NOW - timedelta(minutes=3), NOW) == "3 minutes ago"


def test_timestamp_like_the_official_cli_in_the_injected_zone() -> None:
    assert fmt.timestamp(NOW, timezone.utc) == "04 Aug, 12:06:17"
    lisbon_summer = timezone(timedelta(hours=1))
    assert fmt.timestamp(NOW, lisbon_summer) == "04 Aug, 13:06:17"
    assert fmt.timestamp(None, timezone.utc) == "-"


def test_timestamp_full() -> None:
    assert fmt.timestamp_full(NOW, timezone.utc) == "2026-08-04 12:06:17 +00:00"
    assert fmt.timestamp_full(NOW, timezone(timedelta(hours=-3))) == "2026-08-04 09:06:17 -03:00"


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "0 B"),
        (1, "1 B"),
        (512, "512 B"),
        (1024, "1.0 KiB"),
        (3_250_585, "3.1 MiB"),
        (None, "-"),
    ],
)
def test_size(n: int | None, text: str) -> None:
    assert fmt.size(n) == text


@pytest.mark.parametrize(
    ("usd", "text"),
    [
        (0.0123, "$0.0123"),
        (0, "$0.0000"),
        (12.345, "$12.35"),
        (1234.5, "$1,234.50"),
        (-0.5, "-$0.5000"),
        (None, "-"),
    ],
)
def test_cost(usd: float | None, text: str) -> None:
    assert fmt.cost(usd) == text


def test_count_rate_eta() -> None:
    assert fmt.count(1_234_567) == "1,234,567"
    assert fmt.count(None) == "-"
    assert fmt.rate(12.3 * 1024 * 1024) == "12.3 MiB/s"
    assert fmt.eta(10 * 1024 * 1024, 3 * 1024 * 1024) == "ETA 4s"
    assert fmt.eta(10, 0) == "ETA -"
    assert fmt.eta(None, 5.0) == "ETA -"


def test_run_time_ticks_while_the_task_computes() -> None:
    clock = FixedClock(NOW)
    formatter = Formatter(clock, timezone.utc)
    task = _task(status="computation-started", computation_start_time=_at(65))
    assert formatter.run_time(task) == "1m 05s"
    clock.advance(10)
    assert formatter.run_time(task) == "1m 15s"


def test_run_and_total_keep_their_meaning_when_the_task_ends() -> None:
    """Queued 60 s, computed 30 s: RUN is 30 s then and after, TOTAL counts from submission."""
    running = _task(
        status="computation-started",
        create_time=_at(90),
        start_time=_at(30),
        computation_start_time=_at(30),
    )
    assert fmt.run_time(running, NOW) == 30.0
    assert fmt.total_time(running, NOW) == 90.0
    # It ends now; the server's duration_seconds counts the queue too, and RUN must not take it.
    done = _task(
        status="success",
        create_time=_at(90),
        start_time=_at(30),
        computation_start_time=_at(30),
        computation_end_time=_at(0),
        end_time=_at(0),
        duration_seconds=90.0,
    )
    later = NOW + timedelta(hours=1)
    assert fmt.run_time(done, later) == 30.0
    assert fmt.total_time(done, later) == 90.0


def test_the_server_metrics_win() -> None:
    task = _task(metrics={"computation_seconds": 42.0, "total_seconds": 50.0})
    assert (fmt.run_time(task, NOW), fmt.total_time(task, NOW)) == (42.0, 50.0)
    # Killed mid-run: the run stopped when the task ended.
    killed = _task(status="killed", computation_start_time=_at(100), end_time=_at(40))
    assert fmt.run_time(killed, NOW) == 60.0
    # No end time: the server's duration_seconds is the total.
    assert fmt.total_time(_task(status="failed", duration_seconds=7.0), NOW) == 7.0


def test_a_waiting_task_has_no_run_time_even_after_a_preemption() -> None:
    assert fmt.run_time(_task(status="submitted", create_time=_at(9)), NOW) is None
    assert fmt.total_time(_task(status="submitted", create_time=_at(9)), NOW) == 9.0
    resubmitted = _task(status="submitted", computation_start_time=_at(300))
    assert fmt.run_time(resubmitted, NOW) is None
    assert fmt.run_time(_task(status="killed"), NOW) is None


def test_queue_wait() -> None:
    waiting = _task(status="submitted", input_submit_time=_at(90))
    assert fmt.queue_wait(waiting, NOW) == 90.0
    started = _task(status="computation-started", input_submit_time=_at(90), start_time=_at(30))
    assert fmt.queue_wait(started, NOW) == 60.0
    with_metric = _task(input_submit_time=_at(90), metrics={"queue_time_seconds": 12.5})
    assert fmt.queue_wait(with_metric, NOW) == 12.5
    killed_in_queue = _task(status="killed", create_time=_at(50), end_time=_at(20))
    assert fmt.queue_wait(killed_in_queue, NOW) == 30.0
    assert fmt.queue_wait(_task(), NOW) is None
    assert Formatter(FixedClock(NOW)).queue_wait(waiting) == "1m 30s"


def test_machine_label() -> None:
    mpi = _task(executer={"host_type": "gcp", "vm_type": "c2d-highcpu-16", "n_mpi_hosts": 4})
    assert fmt.machine_label(mpi) == "gcp c2d-highcpu-16 x4"
    named = _task(executer={"host_type": "local", "vm_type": "n/a", "vm_name": "box"})
    assert fmt.machine_label(named) == "local box"
    twice = _task(executer={"host_type": "local", "vm_type": "local-std"})
    assert fmt.machine_label(twice) == "local-std"
    same = _task(executer={"host_type": "local", "vm_type": "local"})
    assert fmt.machine_label(same) == "local"
    assert fmt.machine_label(_task()) == ""
    hostile = _task(executer={"host_type": "gcp\x1b]0;x\x07", "vm_type": "c2\u202e"})
    assert fmt.machine_label(hostile) == "gcp c2"


def test_formatter_uses_its_clock_and_zone() -> None:
    clock = FixedClock(NOW)
    formatter = Formatter(clock, timezone.utc)
    assert formatter.now() == NOW
    assert formatter.ago(NOW - timedelta(seconds=42)) == "40s ago"
    assert formatter.natural_ago(NOW - timedelta(hours=2)) == "2 hours ago"
    assert formatter.timestamp(NOW) == "04 Aug, 12:06:17"
    assert formatter.timestamp_full(NOW) == "2026-08-04 12:06:17 +00:00"


def test_default_formatter_reads_the_real_clock() -> None:
    assert Formatter().clock is fmt.system_clock
    assert fmt.system_clock().utcoffset() == timedelta(0)


def test_fixed_clock_refuses_naive_times() -> None:
    with pytest.raises(ValueError, match="aware"):
        FixedClock(datetime(2026, 1, 1))
