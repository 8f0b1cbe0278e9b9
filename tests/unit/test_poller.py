"""Poll scheduling: pace, idle slow-down, backoff with jitter, Retry-After, staleness."""

from __future__ import annotations

import asyncio
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


def test_a_short_outage_is_retried_within_one_interval() -> None:
    clock = FakeClock()
    policy = PollPolicy(interval=2, short_outage=30, jitter=0.25)
    schedule = PollSchedule(policy, random.Random(7), monotonic=clock)
    for _ in range(14):
        delay = schedule.after_failure()
        assert 1.5 <= delay <= 2  # never later than one interval
        clock.now += delay


def test_a_long_outage_backs_off_doubling_within_jitter_and_caps() -> None:
    clock = FakeClock()
    policy = PollPolicy(interval=2, short_outage=10, backoff_max=16, jitter=0.25)
    schedule = PollSchedule(policy, random.Random(7), monotonic=clock)
    schedule.after_failure()
    clock.now += 10  # the outage is no longer short
    delays = [schedule.after_failure() for _ in range(5)]
    for delay, base in zip(delays, [4, 8, 16, 16, 16], strict=True):
        assert base * 0.75 <= delay <= base * 1.25
    # Success ends the outage: the next failure is retried within an interval again.
    schedule.after_success(changed=False)
    assert schedule.after_failure() <= 2


def test_jitter_spreads_delays() -> None:
    schedule = PollSchedule(PollPolicy(), random.Random(1))
    delays = {schedule.after_failure() for _ in range(1)}
    other = PollSchedule(PollPolicy(), random.Random(2))
    delays |= {other.after_failure()}
    assert len(delays) == 2


def test_retry_after_is_honoured() -> None:
    schedule = PollSchedule(PollPolicy(interval=1), random.Random(0))
    assert schedule.after_failure(retry_after=30) == 30


def test_freshness_describes_age_and_retry() -> None:
    fresh = Freshness()
    assert fresh.describe(0) == "no data yet"  # not "connecting" twice beside the state
    assert fresh.connection is Connection.CONNECTING
    fresh.succeeded(10)
    assert fresh.describe(12) == "up to date"
    assert fresh.connection is Connection.CONNECTED
    fresh.failed(ConnectionFailed("down"), 45, retry_in=8)
    assert fresh.stale
    assert fresh.describe(51) == "stale 41s, retrying in 2s"
    assert fresh.connection is Connection.OFFLINE
    fresh.failed(Unauthorized("no", status=401, key_source="env"), 51, retry_in=4)
    assert fresh.connection is Connection.UNAUTHORIZED
    fresh.succeeded(60)
    assert not fresh.stale and fresh.describe(60) == "up to date"


def test_the_age_is_said_only_once_the_data_is_older_than_the_pace_makes_it() -> None:
    fresh = Freshness(patience=2)
    fresh.succeeded(10, pace=8)  # nothing changed for a while: the next refresh in 8 s
    assert [fresh.describe(10 + age) for age in (1, 9, 16)] == ["up to date"] * 3
    assert fresh.describe(27) == "updated 17s ago"
    fresh.succeeded(30, pace=2)  # back to the interval
    assert fresh.describe(34) == "up to date"
    assert fresh.overdue(34.5) and fresh.describe(34.5) == "updated 4s ago"


async def test_the_loop_tells_the_freshness_its_planned_pace() -> None:
    clock = FakeClock()

    async def tick() -> bool:
        return False

    loop = PollLoop(
        tick, PollSchedule(PollPolicy(interval=2, idle_after=0), random.Random(0)), monotonic=clock
    )
    delay = await loop.tick_once()
    assert delay > 2 and loop.freshness.pace == delay
    clock.now += 2 * delay - 0.1
    assert loop.freshness.describe(clock.now) == "up to date"


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
    assert 1.5 <= first_delay <= 2
    assert loop.freshness.stale
    assert await loop.tick_once() == 20
    assert await loop.tick_once() == 2
    assert not loop.freshness.stale
    assert seen == [
        Connection.CONNECTED,
        Connection.OFFLINE,
        Connection.THROTTLED,
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


def test_a_refresh_that_outlives_the_interval_is_shown_as_waiting() -> None:
    fresh = Freshness(patience=2)
    fresh.succeeded(10)
    fresh.started(20)
    assert fresh.state(21) is Connection.CONNECTED
    assert fresh.describe(21) == "updated 11s ago"
    assert fresh.state(22.5) is Connection.WAITING
    assert fresh.describe(33) == "waiting for the API 13s, data 23s old"
    fresh.ended()
    assert fresh.state(33) is Connection.CONNECTED
    first = Freshness(patience=2)
    first.started(0)
    assert first.describe(5) == "waiting for the API 5s, no data yet"


def test_throttled_counts_down_and_says_when_it_retries() -> None:
    fresh = Freshness(patience=2)
    fresh.succeeded(10)
    fresh.failed(RateLimited("slow down", status=429, retry_after=30), 12, retry_in=30)
    assert fresh.state(13) is Connection.THROTTLED
    assert fresh.describe(13) == "stale 3s, retrying in 29s"
    assert fresh.describe(40) == "stale 30s, retrying in 2s"
    fresh.started(42)
    assert fresh.describe(42) == "stale 32s, retrying now"
    fresh.ended(asked_again=True)  # F5 during that refresh: one more comes at once
    assert fresh.describe(43) == "stale 33s, retrying now (F5)"
    healthy = Freshness()
    healthy.succeeded(1)
    healthy.asked = True
    assert healthy.describe(2) == "refreshing now (F5)"


async def test_f5_cuts_a_backoff_short_but_a_poke_does_not() -> None:
    calls: list[float] = []

    async def tick() -> bool:
        calls.append(asyncio.get_running_loop().time())
        if len(calls) == 1:
            raise RateLimited("slow down", status=429, retry_after=3600)
        if len(calls) == 2:
            raise _Stop
        return False

    loop = PollLoop(tick, PollSchedule(PollPolicy(interval=1)))
    runner = asyncio.ensure_future(loop.run())
    await asyncio.sleep(0.05)
    loop.poke(now=True)  # a key press: the server asked to wait, so it waits
    await asyncio.sleep(0.05)
    assert len(calls) == 1
    loop.retry_now()  # F5
    with pytest.raises(_Stop):
        await asyncio.wait_for(runner, timeout=5)
    assert len(calls) == 2


async def test_f5_abandons_a_hung_refresh_for_a_new_one() -> None:
    clock = FakeClock()
    hung = asyncio.Event()
    progress: list[str] = []

    async def tick() -> bool:
        if not hung.is_set():
            hung.set()
            await asyncio.sleep(3600)  # the API does not answer
        raise _Stop

    loop = PollLoop(
        tick,
        PollSchedule(PollPolicy(interval=1)),
        on_progress=lambda f: progress.append(f.describe(clock.now)),
        monotonic=clock,
    )
    runner = asyncio.ensure_future(loop.run())
    await hung.wait()
    loop.retry_now()  # young: it finishes first (not abandoned)
    assert not runner.done()
    clock.now += 5
    assert loop.freshness.describe(clock.now) == "waiting for the API 5s, no data yet"
    loop.retry_now()
    with pytest.raises(_Stop):
        await asyncio.wait_for(runner, timeout=5)
    assert progress[-1] == "refreshing now (F5)"
    assert loop.ticks == 2
