"""What a pane does after a failed fetch: the poll loop's waits, a countdown, and when to stop."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable

import pytest

from inductiva_top.api.errors import ApiError, ConnectionFailed, NotFound, RateLimited
from inductiva_top.monitor.poller import PollPolicy, PollSchedule
from inductiva_top.monitor.retrying import Retrying, transient_wait, waiting_text

POLICY = PollPolicy(interval=2.0, short_outage=3.0, backoff_max=60.0, jitter=0.0)


class Clock:
    """A fake ``sleep`` that counts the time asked for, and a clock it moves."""

    def __init__(self) -> None:
        self.slept: list[float] = []
        self.now = 0.0

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


def failing(errors: list[ApiError], answer: str = "ok") -> Callable[[], Awaitable[str]]:
    """An ``ask`` that raises ``errors`` in turn, then answers."""

    async def ask() -> str:
        if errors:
            raise errors.pop(0)
        return answer

    return ask


async def test_waits_as_the_poll_loop_would_and_counts_down() -> None:
    clock = Clock()
    schedule = PollSchedule(POLICY, random.Random(1), monotonic=clock.monotonic)
    retrying = Retrying(POLICY, sleep=clock.sleep, schedule=schedule)
    told: list[float] = []
    errors: list[ApiError] = [ConnectionFailed("refused") for _ in range(3)]
    answer = await retrying.ask(failing(errors), lambda e, left: told.append(left))
    assert answer == "ok" and retrying.failures == 0
    # The loop's pace: one interval while the outage is short, then backing off,
    # said once a second as each wait runs out.
    assert clock.slept == [1.0] * 8
    assert told == [2.0, 1.0, 2.0, 1.0, 4.0, 3.0, 2.0, 1.0]
    assert waiting_text(ConnectionFailed("refused"), 2.5) == "refused (retrying in 3 s)"


async def test_a_server_s_retry_after_and_a_transport_s_least_wait_are_kept() -> None:
    clock = Clock()
    retrying = Retrying(POLICY, sleep=clock.sleep)
    limited: list[ApiError] = [RateLimited("slow down", status=429, retry_after=5.0)]
    await retrying.ask(failing(limited), lambda e, left: None)
    assert sum(clock.slept) == 5.0
    clock.slept.clear()
    await retrying.ask(
        failing([NotFound("no work dir yet")]), lambda e, left: None, wait_for=lambda e: 7.0
    )
    assert sum(clock.slept) == 7.0


async def test_what_asking_again_cannot_help_is_raised_at_once() -> None:
    clock = Clock()
    with pytest.raises(NotFound):
        await Retrying(POLICY, sleep=clock.sleep).ask(
            failing([NotFound("gone")]), lambda e, s: None
        )
    assert clock.slept == []
    assert transient_wait(NotFound("gone")) is None
    assert transient_wait(ConnectionFailed("refused")) == 0.0


async def test_repeat_asks_every_interval_until_told_to_stop() -> None:
    clock = Clock()
    answers = iter(["running", "running", "done"])

    async def ask() -> str:
        return next(answers)

    seen: list[str] = []

    async def answered(answer: str) -> bool:
        seen.append(answer)
        return answer != "done"

    await Retrying(POLICY, sleep=clock.sleep).repeat(ask, answered, lambda e, s: None, every=3.0)
    assert seen == ["running", "running", "done"] and clock.slept == [3.0, 3.0]
