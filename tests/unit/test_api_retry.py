"""The retry policy: full-jitter backoff, bounds, Retry-After, transient errors only."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from inductiva_top.api.errors import (
    ApiError,
    ConnectionFailed,
    NotFound,
    RateLimited,
    ServerError,
    TimedOut,
    Unauthorized,
)
from inductiva_top.api.retry import (
    NO_RETRY,
    RetryPolicy,
    is_transient,
    parse_retry_after,
    refresh_retry_policy,
    run_with_retries,
)

NOW = datetime(2025, 3, 4, 10, 0, 0, tzinfo=timezone.utc)


class FakeTime:
    """A clock that moves only when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_backoff_without_jitter_doubles_up_to_the_cap() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=3.0, jitter=False)
    assert [policy.backoff(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_full_jitter_spans_zero_to_the_ceiling() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=10.0)
    assert policy.backoff(3, rng=lambda: 0.0) == 0.0
    assert policy.backoff(3, rng=lambda: 0.5) == 2.0
    assert policy.backoff(3, rng=lambda: 0.999) == pytest.approx(3.996)


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(base_delay=-1)


def test_delay_gives_up_after_max_attempts_and_total_time() -> None:
    policy = RetryPolicy(max_attempts=3, base_delay=1.0, max_total_seconds=10.0, jitter=False)
    assert policy.delay_before_retry(1, elapsed=0.0, retry_after=None) == 1.0
    assert policy.delay_before_retry(3, elapsed=0.0, retry_after=None) is None
    assert policy.delay_before_retry(1, elapsed=9.5, retry_after=None) is None
    # Retry-After replaces the backoff, but must fit in the total budget.
    assert policy.delay_before_retry(1, elapsed=0.0, retry_after=6.0) == 6.0
    assert policy.delay_before_retry(1, elapsed=5.0, retry_after=6.0) is None


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (ConnectionFailed("x"), True),
        (TimedOut("x"), True),
        (TimedOut("x", status=408), True),
        (RateLimited("x", status=429), True),
        (ServerError("x", status=503), True),
        (ServerError("x", status=501), False),
        (NotFound("x", status=404), False),
        (Unauthorized("x", status=401), False),
    ],
)
def test_is_transient(error: ApiError, transient: bool) -> None:
    assert is_transient(error) is transient


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5", 5.0),
        (" 0 ", 0.0),
        ("1.5", 1.5),
        ("-3", 0.0),
        ("Tue, 04 Mar 2025 10:00:30 GMT", 30.0),
        ("Tue, 04 Mar 2025 09:59:00 GMT", 0.0),
        ("Tuesday, 04-Mar-25 10:01:00 GMT", 60.0),
        ("", None),
        (None, None),
        ("soon", None),
        ("nan", None),
        ("inf", None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, NOW) == expected


async def test_retries_transient_errors_then_succeeds() -> None:
    time = FakeTime()
    failures: list[ApiError] = [ConnectionFailed("down"), ServerError("boom", status=502)]

    async def attempt() -> str:
        if failures:
            raise failures.pop(0)
        return "ok"

    policy = RetryPolicy(max_attempts=4, base_delay=1.0, jitter=False)
    result = await run_with_retries(attempt, policy, sleep=time.sleep, clock=time.clock)
    assert result == "ok"
    assert time.sleeps == [1.0, 2.0]


async def test_gives_up_after_max_attempts_with_the_last_error() -> None:
    time = FakeTime()
    calls = 0

    async def attempt() -> None:
        nonlocal calls
        calls += 1
        raise TimedOut(f"attempt {calls}")

    policy = RetryPolicy(max_attempts=3, base_delay=0.1, jitter=False)
    with pytest.raises(TimedOut, match="attempt 3"):
        await run_with_retries(attempt, policy, sleep=time.sleep, clock=time.clock)
    assert calls == 3


async def test_permanent_errors_are_not_retried() -> None:
    time = FakeTime()
    calls = 0

    async def attempt() -> None:
        nonlocal calls
        calls += 1
        raise NotFound("gone", status=404)

    with pytest.raises(NotFound):
        await run_with_retries(attempt, RetryPolicy(), sleep=time.sleep, clock=time.clock)
    assert calls == 1
    assert time.sleeps == []


async def test_no_retry_policy_makes_one_attempt() -> None:
    time = FakeTime()
    calls = 0

    async def attempt() -> None:
        nonlocal calls
        calls += 1
        raise ConnectionFailed("down")

    with pytest.raises(ConnectionFailed):
        await run_with_retries(attempt, NO_RETRY, sleep=time.sleep, clock=time.clock)
    assert calls == 1


async def test_retry_after_is_honoured_and_bounded() -> None:
    time = FakeTime()
    answers: list[ApiError] = [RateLimited("slow down", status=429, retry_after=4.0)]

    async def attempt() -> str:
        if answers:
            raise answers.pop(0)
        return "ok"

    policy = RetryPolicy(base_delay=0.1, max_total_seconds=10.0)
    assert await run_with_retries(attempt, policy, sleep=time.sleep, clock=time.clock) == "ok"
    assert time.sleeps == [4.0]

    async def always_limited() -> str:
        raise RateLimited("slow down", status=429, retry_after=3600.0)

    time2 = FakeTime()
    with pytest.raises(RateLimited) as caught:
        await run_with_retries(always_limited, policy, sleep=time2.sleep, clock=time2.clock)
    assert caught.value.retry_after == 3600.0
    assert time2.sleeps == []  # never waits past the budget, never retries early


def test_timestamps_in_http_dates_are_relative_to_now() -> None:
    later = NOW + timedelta(seconds=90)
    text = later.strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert parse_retry_after(text, NOW) == 90.0


async def test_a_dashboards_retries_fit_in_one_refresh_interval() -> None:
    policy = refresh_retry_policy(2.0)
    time = FakeTime()
    calls = 0

    async def down() -> str:
        nonlocal calls
        calls += 1
        raise ConnectionFailed("down")

    with pytest.raises(ConnectionFailed):
        await run_with_retries(down, policy, sleep=time.sleep, clock=time.clock)
    assert calls == 3 and sum(time.sleeps) <= 2.0
    # A Retry-After beyond the interval is the poll loop's to show and wait out.
    throttled = FakeTime()

    async def limited() -> str:
        raise RateLimited("slow down", status=429, retry_after=5.0)

    with pytest.raises(RateLimited):
        await run_with_retries(limited, policy, sleep=throttled.sleep, clock=throttled.clock)
    assert throttled.sleeps == []
    # A request that hung past the interval before timing out is not asked again.
    assert policy.delay_before_retry(1, elapsed=20.0, retry_after=None) is None
