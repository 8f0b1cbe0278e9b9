"""The one poll loop: when to ask the API next, and how fresh the data is.

:class:`PollSchedule` is pure arithmetic over an injected random source and
clock: the normal interval, a slower pace while nothing changes, and after
failures a retry within one interval while the outage is short (so the first
refresh after a blip comes at once), then jittered exponential backoff for a
long outage; a ``Retry-After`` is always honoured. :class:`Freshness` keeps the
age of the data, the last error, the refresh in flight and the
:class:`Connection` state for the header line. :class:`PollLoop` runs one tick
at a time (never overlapping itself) and never ends on an API error; a key
press or a filter change wakes it early, and :meth:`PollLoop.retry_now` (F5)
starts a refresh at once whatever the loop is doing.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum

from inductiva_top.api.errors import (
    ApiError,
    ConnectionFailed,
    RateLimited,
    TimedOut,
    Unauthorized,
)

__all__ = [
    "OVERDUE",
    "UP_TO_DATE",
    "Connection",
    "Freshness",
    "PollLoop",
    "PollPolicy",
    "PollSchedule",
]


@dataclass(frozen=True)
class PollPolicy:
    """Timing of the poll loop, in seconds.

    ``idle_after`` unchanged ticks in a row start slowing the pace, doubling
    per further unchanged tick up to ``max_idle_interval``. After a failure
    the next tick comes within one ``interval`` for as long as the outage is
    younger than ``short_outage``; past that the delay doubles from twice the
    interval up to ``backoff_max``. Each delay is spread by ``jitter`` (a
    fraction; downwards only while the outage is short, so the retry never
    comes later than one interval) so many dashboards do not retry in step.
    The shortest ``interval`` a user may ask for is config's ``MIN_REFRESH``.
    """

    interval: float = 2.0
    idle_after: int = 5
    max_idle_interval: float = 10.0
    short_outage: float = 30.0
    backoff_max: float = 60.0
    jitter: float = 0.25

    def __post_init__(self) -> None:
        if self.max_idle_interval < self.interval:
            object.__setattr__(self, "max_idle_interval", self.interval)


class PollSchedule:
    """Decides the delay before the next tick from what the last one found."""

    def __init__(
        self,
        policy: PollPolicy,
        rng: random.Random | None = None,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.policy = policy
        self._rng = rng or random.Random()
        self._monotonic = monotonic
        self.unchanged = 0
        self.failures = 0
        self.outage_since: float | None = None
        """When the current run of failures began (None while healthy)."""
        self._long_failures = 0

    def after_success(self, changed: bool) -> float:
        """Delay after a tick that worked; slower while nothing changes."""
        self.failures = 0
        self._long_failures = 0
        self.outage_since = None
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
        """Delay after a failed tick: within one interval while the outage is short,
        then jittered exponential backoff; never less than ``retry_after``."""
        policy = self.policy
        now = self._monotonic()
        self.failures += 1
        if self.outage_since is None:
            self.outage_since = now
        if now - self.outage_since < policy.short_outage:
            delay = policy.interval * (1.0 - self._rng.uniform(0.0, policy.jitter))
        else:
            self._long_failures += 1
            base = min(policy.backoff_max, policy.interval * 2.0 ** min(self._long_failures, 16))
            spread = base * policy.jitter
            delay = base + self._rng.uniform(-spread, spread)
        if retry_after is not None and retry_after > delay:
            delay = retry_after
        return max(delay, 0.1)

    def on_activity(self) -> None:
        """The user did something: return to the normal pace."""
        self.unchanged = 0


class Connection(Enum):
    """What the header says about the API; the value is its word for it."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    WAITING = "waiting"
    """A refresh has been in flight for longer than the refresh interval."""
    THROTTLED = "throttled"
    """The API answered 429: too many requests."""
    UNAUTHORIZED = "unauthorized"
    OFFLINE = "offline"
    ERROR = "error"


UP_TO_DATE = "up to date"
"""The age line while the data is as fresh as the refresh pace keeps it."""

OVERDUE = 2.0
"""Data older than this many planned waits is :meth:`Freshness.overdue`."""


@dataclass
class Freshness:
    """How old the data on screen is, what went wrong last, what is in flight.

    Times come from the loop's monotonic clock. ``patience`` is how long a
    refresh may take before the header says it is waiting (the refresh interval).
    """

    last_success: float | None = None
    last_error: ApiError | None = None
    next_attempt: float | None = None
    connecting: bool = True
    in_flight_since: float | None = None
    """When the refresh now in flight started (None between refreshes)."""
    asked: bool = False
    """F5 asked for a refresh, which is coming or in flight."""
    patience: float = 2.0
    pace: float | None = None
    """The wait before the next refresh, as planned after the last success (None: the
    ``patience``); it grows while nothing changes."""

    @property
    def stale(self) -> bool:
        """True when the last attempt failed."""
        return self.last_error is not None

    def started(self, now: float) -> None:
        self.in_flight_since = now

    def ended(self, *, asked_again: bool = False) -> None:
        self.in_flight_since = None
        self.asked = asked_again

    def succeeded(self, now: float, pace: float | None = None) -> None:
        self.last_success = now
        self.pace = pace
        self.last_error = None
        self.connecting = False

    def failed(self, error: ApiError, now: float, retry_in: float) -> None:
        self.last_error = error
        self.next_attempt = now + retry_in
        self.connecting = False

    def age(self, now: float) -> float | None:
        """Seconds since the last successful tick, or None before the first."""
        return None if self.last_success is None else max(0.0, now - self.last_success)

    def overdue(self, now: float) -> bool:
        """The data is older than the refreshes as planned make it: past :data:`OVERDUE`
        times the wait planned after the last success (a loop that stopped, a blocked UI)."""
        age = self.age(now)
        expected = max(self.patience, self.pace or 0.0)
        return age is not None and age > OVERDUE * expected

    def waiting(self, now: float) -> float | None:
        """Seconds the refresh in flight has taken, once that is more than ``patience``."""
        if self.in_flight_since is None:
            return None
        taken = now - self.in_flight_since
        return taken if taken > self.patience else None

    def describe(self, now: float) -> str:
        """The age line: ``up to date`` while the refreshes keep their pace, ``updated 9s
        ago`` once the data is :meth:`overdue`; ``stale 41s, retrying in 8s`` after a
        failure; ``waiting for the API 5s, data 7s old`` while a refresh hangs.

        The age is said only when it matters: a line counting seconds while all is
        well tells nothing and is what a quiet dashboard would write every second.
        """
        age = self.age(now)
        waited = self.waiting(now)
        if waited is not None:
            data = "no data yet" if age is None else f"data {age:.0f}s old"
            return f"waiting for the API {waited:.0f}s, {data}"
        if self.last_error is None:
            if self.asked:
                return "refreshing now (F5)"
            if age is None:
                return "no data yet"  # the state beside it already says "connecting"
            return f"updated {age:.0f}s ago" if self.overdue(now) else UP_TO_DATE
        if self.asked:
            retry = ", retrying now (F5)"
        elif self.in_flight_since is not None:
            retry = ", retrying now"
        elif self.next_attempt is not None:
            retry = f", retrying in {max(0.0, self.next_attempt - now):.0f}s"
        else:
            retry = ""
        return f"{'no data yet' if age is None else f'stale {age:.0f}s'}{retry}"

    @property
    def connection(self) -> Connection:
        """The connection state the last attempt (or its absence) shows."""
        if self.connecting:
            return Connection.CONNECTING
        if self.last_error is None:
            return Connection.CONNECTED
        if isinstance(self.last_error, Unauthorized):
            return Connection.UNAUTHORIZED
        if isinstance(self.last_error, RateLimited):
            return Connection.THROTTLED
        if isinstance(self.last_error, (ConnectionFailed, TimedOut)):
            return Connection.OFFLINE
        return Connection.ERROR

    def state(self, now: float) -> Connection:
        """What the header shows now: :attr:`connection`, or waiting while a refresh hangs."""
        return Connection.WAITING if self.waiting(now) is not None else self.connection


Tick = Callable[[], Awaitable[bool]]
"""One poll: fetch what is due, merge it, return whether anything changed."""


class PollLoop:
    """Runs ``tick`` forever, one at a time, paced by a :class:`PollSchedule`.

    ``on_update`` is called after every tick, good or bad, with the new data
    merged; ``on_progress`` when a tick starts and when it has taken longer
    than the refresh interval (the header then says it waits), so the UI can
    redraw the freshness line. An :class:`ApiError` from a
    tick marks the data stale and backs off; any other exception propagates (a
    bug is not a network problem and must not be hidden).
    """

    def __init__(
        self,
        tick: Tick,
        schedule: PollSchedule,
        *,
        on_update: Callable[[Freshness], None] | None = None,
        on_progress: Callable[[Freshness], None] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._tick = tick
        self.schedule = schedule
        self.freshness = Freshness(patience=schedule.policy.interval)
        self._on_update = on_update
        self._on_progress = on_progress
        self._monotonic = monotonic
        self._wake = asyncio.Event()
        self._asked = False
        self._in_flight: asyncio.Future[bool] | None = None
        self._abandoned = False
        self.ticks = 0

    def poke(self, *, now: bool = False) -> None:
        """User activity: back to the normal pace; with ``now``, tick right away.

        While backing off after a failure a poke does not cut the wait short,
        so key presses cannot hammer a server that asked us to slow down.
        """
        self.schedule.on_activity()
        if now:
            self._wake.set()

    def retry_now(self) -> None:
        """F5: refresh at once, even while backing off or while a refresh hangs.

        A refresh in flight for longer than the interval is abandoned for a
        new one; a younger one finishes first and the next starts right after.
        """
        self.schedule.on_activity()
        self._asked = True
        self.freshness.asked = True
        self._wake.set()
        if self._in_flight is not None and self.freshness.waiting(self._monotonic()) is not None:
            self._abandoned = True
            self._in_flight.cancel()

    def _progress(self) -> None:
        if self._on_progress is not None:
            self._on_progress(self.freshness)

    async def tick_once(self) -> float:
        """Run one tick and return the delay before the next."""
        self.ticks += 1
        self.freshness.started(self._monotonic())
        self._asked = False  # this tick answers the F5 so far
        self._progress()
        # Said as soon as the refresh outlives the interval, not at the next redraw.
        overdue = asyncio.get_running_loop().call_later(
            self.freshness.patience + 0.05, self._progress
        )
        self._in_flight = asyncio.ensure_future(self._tick())
        try:
            changed = await self._in_flight
        except asyncio.CancelledError:
            if not self._abandoned:
                raise  # the loop itself is being stopped
            self._abandoned = False
            self._progress()
            return 0.0  # abandoned for a fresh try (F5): no verdict on the API
        except ApiError as error:
            delay = self.schedule.after_failure(error.retry_after)
            self.freshness.failed(error, self._monotonic(), delay)
        else:
            delay = self.schedule.after_success(changed)
            self.freshness.succeeded(self._monotonic(), pace=delay)
        finally:
            overdue.cancel()
            self._in_flight = None
            self.freshness.ended(asked_again=self._asked)
        if self._on_update is not None:
            self._on_update(self.freshness)
        return delay

    async def run(self) -> None:
        """Tick, wait (or be woken), repeat, until cancelled."""
        while True:
            delay = await self.tick_once()
            await self._sleep(delay)

    async def _sleep(self, delay: float) -> None:
        """Wait ``delay`` seconds, or less when woken.

        While backing off after a failure only :meth:`retry_now` cuts the wait
        short; a :meth:`poke` does not.
        """
        if delay <= 0:
            return
        if self.freshness.stale and not self._asked:
            self._wake.clear()
        # A poke that arrived during the tick (a filter changed mid-request)
        # is still set here and makes the next tick start at once.
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._wait_for_wake(), timeout=delay)
        self._wake.clear()

    async def _wait_for_wake(self) -> None:
        """Until a wake that may end this wait: any while healthy, only F5 while stale."""
        while True:
            await self._wake.wait()
            if not self.freshness.stale or self._asked:
                return
            self._wake.clear()
