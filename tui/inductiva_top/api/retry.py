"""When and how long to wait before asking the API again.

GETs are retried on transient failures (connection errors, timeouts, 408,
429, 5xx) with full-jitter exponential backoff, bounded both in attempts and
in total time, and a server's ``Retry-After`` is honoured as long as it fits
in that time. Writes (POST, PUT, PATCH, DELETE, kill) are never retried: the
first attempt may have reached the server even when its answer was lost.

A dashboard refreshes every few seconds and its poll loop already retries, so
its requests use :func:`refresh_retry_policy`: every retry fits in one refresh
interval, and a longer ``Retry-After`` is left to the loop, which shows it.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import TypeVar

from inductiva_top.api.errors import (
    ApiError,
    ConnectionFailed,
    RateLimited,
    ServerError,
    TimedOut,
)

__all__ = [
    "NO_RETRY",
    "RetryPolicy",
    "is_transient",
    "parse_retry_after",
    "refresh_retry_policy",
    "run_with_retries",
]

T = TypeVar("T")

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]


@dataclass(frozen=True)
class RetryPolicy:
    """How many times, and how patiently, a safe request is retried.

    ``max_attempts`` counts the first try; ``max_total_seconds`` bounds the
    time from the first try to the start of the last one (waits included).
    With ``jitter`` the wait before retry *n* is uniform in
    ``[0, min(max_delay, base_delay * 2**(n-1))]`` ("full jitter"), so that
    many clients failing together do not come back together.
    """

    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_total_seconds: float = 30.0
    jitter: bool = True

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0 or self.max_total_seconds < 0:
            raise ValueError("delays must not be negative")

    def backoff(self, retry_number: int, rng: Callable[[], float] = random.random) -> float:
        """The wait before retry number ``retry_number`` (1 for the first retry)."""
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** max(0, retry_number - 1))
        return ceiling * rng() if self.jitter else ceiling

    def delay_before_retry(
        self,
        attempts_made: int,
        elapsed: float,
        retry_after: float | None,
        rng: Callable[[], float] = random.random,
    ) -> float | None:
        """Seconds to wait before the next attempt, or ``None`` to give up.

        ``attempts_made`` tries have failed so far, ``elapsed`` seconds after
        the first began. A server's ``retry_after`` replaces the backoff; when
        waiting it out would exceed ``max_total_seconds``, we give up at once
        rather than retry early against the server's request.
        """
        if attempts_made >= self.max_attempts:
            return None
        delay = retry_after if retry_after is not None else self.backoff(attempts_made, rng)
        if elapsed + delay > self.max_total_seconds:
            return None
        return delay


NO_RETRY = RetryPolicy(max_attempts=1)
"""One attempt only: the policy of every write."""


def refresh_retry_policy(interval: float) -> RetryPolicy:
    """The policy of a dashboard refreshing every ``interval`` seconds.

    Retries start within the interval, so a fault that clears is noticed by
    the next refresh, not after a long wait inside this one; a hang (a read
    timeout) or a ``Retry-After`` beyond the interval fails the request at once,
    and the poll loop shows it (waiting, throttled) while it waits.
    """
    return RetryPolicy(
        max_attempts=3,
        base_delay=min(0.5, interval / 4),
        max_delay=interval / 2,
        max_total_seconds=interval,
    )


def is_transient(error: ApiError) -> bool:
    """Whether a failed *safe* request may succeed if simply asked again."""
    if isinstance(error, (ConnectionFailed, TimedOut, RateLimited)):
        return True
    # 501 Not Implemented and 505 HTTP Version Not Supported never change.
    return isinstance(error, ServerError) and error.status not in (501, 505)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delay-seconds or an HTTP date.

    Returns ``None`` for a missing or unparseable value; a date in the past
    gives ``0.0``. ``now`` (aware) is injectable for tests.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        # NaN and infinities are not a delay a server can mean.
        if seconds != seconds or seconds in (float("inf"), float("-inf")):
            return None
        return max(0.0, seconds)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    current = now if now is not None else datetime.now(timezone.utc)
    return max(0.0, (when - current).total_seconds())


async def run_with_retries(
    attempt: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    sleep: Sleep = asyncio.sleep,
    clock: Clock = time.monotonic,
    rng: Callable[[], float] = random.random,
) -> T:
    """Await ``attempt()`` until it succeeds or ``policy`` says stop.

    Only transient :class:`ApiError`s are retried; the last error is raised
    unchanged when the policy gives up. Anything else propagates at once.
    """
    started = clock()
    attempts_made = 0
    while True:
        try:
            return await attempt()
        except ApiError as error:
            attempts_made += 1
            if not is_transient(error):
                raise
            delay = policy.delay_before_retry(
                attempts_made, clock() - started, error.retry_after, rng
            )
            if delay is None:
                raise
        await sleep(delay)
