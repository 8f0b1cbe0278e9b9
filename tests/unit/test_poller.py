"""Poll scheduling: pace, idle slow-down, backoff with jitter, Retry-After, staleness."""

from __future__ import annotations

import random

import pytest

from inductiva_top.api.errors import ConnectionFailed, RateLimited, Unauthorized
from inductiva_top.monitor.poller import Connection, Freshness, PollLoop, PollPolicy, PollSchedule


class _Stop(Exception):
    """Ends the otherwise endless loop in a test."""


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_healthy_pace_slows_while_nothing_changes_and_resets_on_change() -> None:
    schedule = PollSchedule(PollPolicy(interval=2, idle_after=2, max_idle_interval=10))
    delays = [schedule.after_success(changed=False) for _ in range(6)]
    assert delays == [2, 2, 4, 8, 10, 10]
    assert schedule.after_success(changed=True) == 2


def test_activity_restores_the_normal_pace() -> None:
    schedule = PollSchedule(PollPolicy(interval=2, idle_after=0, max_idle_interval=30))
    for _ in range(4):
        schedule.after_success(changed=False)
    assert schedule.current_interval() > 2
    schedule.on_activity()
    assert schedule.current_interval() == 2


def test_backoff_doubles_within_jitter_and_caps() -> None:
    policy = PollPolicy(backoff_base=1, backoff_max=8, jitter=0.25)
    schedule = PollSchedule(policy, random.Random(7))
    delays = [schedule.after_failure() for _ in range(6)]
    for delay, base in zip(delays, [1, 2, 4, 8, 8, 8], strict=True):
        assert base * 0.75 <= delay <= base * 1.25
    # Success clears the failure count.
    schedule.after_success(changed=False)
    assert schedule.after_failure() <= 1.25


def test_jitter_spreads_delays() -> None:
    schedule = PollSchedule(PollPolicy(), random.Random(1))
    delays = {schedule.after_failure() for _ in range(1)}
    other = PollSchedule(PollPolicy(), random.Random(2))
    delays |= {other.after_failure()}
    assert len(delays) == 2


def test_retry_after_is_honoured() -> None:
    schedule = PollSchedule(PollPolicy(backoff_base=1), random.Random(0))
    assert schedule.after_failure(retry_after=30) == 30


def test_freshness_describes_age_and_retry() -> None:
    fresh = Freshness()
    assert fresh.describe(0) == "no data yet"  # not "connecting" twice beside the state
    assert fresh.connection is Connection.CONNECTING
    fresh.succeeded(10)
    assert fresh.describe(12) == "updated 2s ago"
    assert fresh.connection is Connection.CONNECTED
    fresh.failed(ConnectionFailed("down"), 45, retry_in=8)
    assert fresh.stale
    assert fresh.describe(51) == "stale 41s, retrying in 2s"
    assert fresh.connection is Connection.OFFLINE
    fresh.failed(Unauthorized("no", status=401, key_source="env"), 51, retry_in=4)
    assert fresh.connection is Connection.UNAUTHORIZED
    fresh.succeeded(60)
    assert not fresh.stale and fresh.describe(60) == "updated 0s ago"


async def test_loop_marks_stale_on_api_errors_and_recovers() -> None:
    clock = FakeClock()
    outcomes: list[Exception | bool] = [
        True,
        ConnectionFailed("down"),
        RateLimited("slow", retry_after=20),
        False,
    ]
    seen: list[Connection] = []

    async def tick() -> bool:
        outcome = outcomes.pop(0)
        clock.now += 1
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    loop = PollLoop(
        tick,
        PollSchedule(PollPolicy(interval=2), random.Random(0)),
        on_update=lambda f: seen.append(f.connection),
        monotonic=clock,
    )
    assert await loop.tick_once() == 2
    first_delay = await loop.tick_once()
    assert 0.75 <= first_delay <= 1.25
    assert loop.freshness.stale
    assert await loop.tick_once() == 20
    assert await loop.tick_once() == 2
    assert not loop.freshness.stale
    assert seen == [
        Connection.CONNECTED,
        Connection.OFFLINE,
        Connection.ERROR,
        Connection.CONNECTED,
    ]
    assert loop.ticks == 4


async def test_poke_wakes_the_loop_at_once() -> None:
    calls = 0

    async def tick() -> bool:
        nonlocal calls
        calls += 1
        loop.poke(now=True)  # a filter changed while this tick was in flight
        if calls == 3:
            raise _Stop
        return False

    loop = PollLoop(tick, PollSchedule(PollPolicy(interval=3600)))
    with pytest.raises(_Stop):
        await loop.run()
    assert calls == 3
