"""The one poll loop: when to ask the API next, and how fresh the data is.

:class:`PollSchedule` is pure arithmetic over an injected random source: the
normal interval, a slower pace while nothing changes, exponential backoff
with jitter after failures, and ``Retry-After``. :class:`Freshness` keeps the
age of the data, the last error and the :class:`Connection` state for the
header line. :class:`PollLoop`
runs one tick at a time (never overlapping itself) and never ends on an API
error; a key press or a filter change wakes it early.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum

from inductiva_top.api.errors import ApiError, ConnectionFailed, TimedOut, Unauthorized

__all__ = ["Connection", "Freshness", "PollLoop", "PollPolicy", "PollSchedule"]


@dataclass(frozen=True)
class PollPolicy:
    """Timing of the poll loop, in seconds.

    ``idle_after`` unchanged ticks in a row start slowing the pace, doubling
    per further unchanged tick up to ``max_idle_interval``. Failures back off
    from ``backoff_base`` doubling to ``backoff_max``, each delay spread by
    ``±jitter`` (a fraction) so many dashboards do not retry in step.
    The shortest ``interval`` a user may ask for is config's ``MIN_REFRESH``.
    """

    interval: float = 2.0
    idle_after: int = 5
    max_idle_interval: float = 10.0
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    jitter: float = 0.25

    def __post_init__(self) -> None:
        if self.max_idle_interval < self.interval:
            object.__setattr__(self, "max_idle_interval", self.interval)


class PollSchedule:
    """Decides the delay before the next tick from what the last one found."""

    def __init__(self, policy: PollPolicy, rng: random.Random | None = None) -> None:
        self.policy = policy
        self._rng = rng or random.Random()
        self.unchanged = 0
        self.failures = 0

    def after_success(self, changed: bool) -> float:
        """Delay after a tick that worked; slower while nothing changes."""
        self.failures = 0
        self.unchanged = 0 if changed else self.unchanged + 1
        return self.current_interval()

    def current_interval(self) -> float:
        """The healthy pace right now, given how long nothing has changed."""
        policy = self.policy
        extra = self.unchanged - policy.idle_after
        if extra <= 0:
            return policy.interval
        return min(policy.max_idle_interval, policy.interval * 2.0 ** min(extra, 16))

    def after_failure(self, retry_after: float | None = None) -> float:
        """Delay after a failed tick: jittered exponential backoff, at least Retry-After."""
        policy = self.policy
        self.failures += 1
        base = min(policy.backoff_max, policy.backoff_base * 2.0 ** min(self.failures - 1, 16))
        spread = base * policy.jitter
        delay = base + self._rng.uniform(-spread, spread)
        if retry_after is not None and retry_after > delay:
            delay = retry_after
        return max(delay, 0.1)

    def on_activity(self) -> None:
        """The user did something: return to the normal pace."""
        self.unchanged = 0


class Connection(Enum):
    """How the API answered the last poll; the value is the header's word for it."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    UNAUTHORIZED = "unauthorized"
    OFFLINE = "offline"
    ERROR = "error"


@dataclass
class Freshness:
    """How old the data on screen is and what went wrong last, for the header.

    Times come from the loop's monotonic clock.
    """

    last_success: float | None = None
    last_error: ApiError | None = None
    next_attempt: float | None = None
    connecting: bool = True

    @property
    def stale(self) -> bool:
        """True when the last attempt failed."""
        return self.last_error is not None

    def succeeded(self, now: float) -> None:
        self.last_success = now
        self.last_error = None
        self.connecting = False

    def failed(self, error: ApiError, now: float, retry_in: float) -> None:
        self.last_error = error
        self.next_attempt = now + retry_in
        self.connecting = False

    def age(self, now: float) -> float | None:
        """Seconds since the last successful tick, or None before the first."""
        return None if self.last_success is None else max(0.0, now - self.last_success)

    def describe(self, now: float) -> str:
        """``updated 2s ago``, or ``stale 41s, retrying in 8s`` after a failure."""
        age = self.age(now)
        if self.last_error is None:
            if age is None:
                return "no data yet"  # the state beside it already says "connecting"
            return f"updated {age:.0f}s ago"
        retry = ""
        if self.next_attempt is not None:
            retry = f", retrying in {max(0.0, self.next_attempt - now):.0f}s"
        if age is None:
            return f"no data yet{retry}"
        return f"stale {age:.0f}s{retry}"

    @property
    def connection(self) -> Connection:
        """The connection state the last attempt (or its absence) shows."""
        if self.connecting:
            return Connection.CONNECTING
        if self.last_error is None:
            return Connection.CONNECTED
        if isinstance(self.last_error, Unauthorized):
            return Connection.UNAUTHORIZED
        if isinstance(self.last_error, (ConnectionFailed, TimedOut)):
            return Connection.OFFLINE
        return Connection.ERROR


Tick = Callable[[], Awaitable[bool]]
"""One poll: fetch what is due, merge it, return whether anything changed."""


class PollLoop:
    """Runs ``tick`` forever, one at a time, paced by a :class:`PollSchedule`.

    ``on_update`` is called after every tick, good or bad, so the UI can
    redraw the freshness line. An :class:`ApiError` from a tick marks the
    data stale and backs off; any other exception propagates (a bug is not
    a network problem and must not be hidden).
    """

    def __init__(
        self,
        tick: Tick,
        schedule: PollSchedule,
        *,
        on_update: Callable[[Freshness], None] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._tick = tick
        self.schedule = schedule
        self.freshness = Freshness()
        self._on_update = on_update
        self._monotonic = monotonic
        self._wake = asyncio.Event()
        self.ticks = 0

    def poke(self, *, now: bool = False) -> None:
        """User activity: back to the normal pace; with ``now``, tick right away."""
        self.schedule.on_activity()
        if now:
            self._wake.set()

    async def tick_once(self) -> float:
        """Run one tick and return the delay before the next."""
        self.ticks += 1
        try:
            changed = await self._tick()
        except ApiError as error:
            delay = self.schedule.after_failure(error.retry_after)
            self.freshness.failed(error, self._monotonic(), delay)
        else:
            delay = self.schedule.after_success(changed)
            self.freshness.succeeded(self._monotonic())
        if self._on_update is not None:
            self._on_update(self.freshness)
        return delay

    async def run(self) -> None:
        """Tick, wait (or be woken), repeat, until cancelled."""
        while True:
            delay = await self.tick_once()
            await self._sleep(delay)

    async def _sleep(self, delay: float) -> None:
        """Wait ``delay`` seconds, or less when :meth:`poke` asks for a tick now.

        While backing off after a failure a poke does not cut the wait short,
        so key presses cannot hammer a server that asked us to slow down.
        """
        if self.freshness.stale:
            self._wake.clear()
            await asyncio.sleep(delay)
            return
        # A poke that arrived during the tick (a filter changed mid-request)
        # is still set here and makes the next tick start at once.
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=delay)
        self._wake.clear()
