"""Asking the API again after a failure, at the poll loop's pace, for what a pane fetches.

The task panes, the detail screen and the queue view fetch on their own, beside
the poll loop. When a fetch fails they wait and ask again by themselves, with
the poll loop's own policy: a :class:`Retrying` keeps a
:class:`~inductiva_top.monitor.poller.PollSchedule` of the dashboard's
:class:`~inductiva_top.monitor.poller.PollPolicy` (its pace after a failure,
never sooner than the server's ``Retry-After``), and a success starts it over. While it
waits, ``on_wait`` is told the error and the seconds left, once a second, so a
pane can show the error, with a live countdown, exactly while it lasts.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from typing import TypeVar

from inductiva_top.api.errors import ApiError
from inductiva_top.api.retry import is_transient
from inductiva_top.monitor.poller import PollPolicy, PollSchedule

__all__ = ["Retrying", "Wait", "transient_wait", "waiting_text"]

T = TypeVar("T")

Wait = Callable[[ApiError, float], None]
"""Told the error and the seconds left before the next try, once a second."""

Sleep = Callable[[float], Awaitable[None]]


def transient_wait(error: ApiError) -> float | None:
    """The least wait before asking again after ``error``; None: asking again cannot help."""
    return error.retry_after or 0.0 if is_transient(error) else None


def waiting_text(error: ApiError, seconds_left: float) -> str:
    """``<error> (retrying in 3 s)``: the words a pane shows while it waits."""
    return f"{error} (retrying in {math.ceil(seconds_left)} s)"


class Retrying:
    """Asks until answered, waiting between failures as the poll loop does (see the module doc)."""

    def __init__(
        self,
        policy: PollPolicy,
        *,
        sleep: Sleep = asyncio.sleep,
        schedule: PollSchedule | None = None,
    ) -> None:
        self.schedule = schedule or PollSchedule(policy)
        self._sleep = sleep

    @property
    def failures(self) -> int:
        """Failures in a row so far (0 after a success)."""
        return self.schedule.failures

    def succeeded(self) -> None:
        """An answer came: the next failure backs off from the start again."""
        self.schedule.after_success(changed=True)

    async def wait_after(self, error: ApiError, on_wait: Wait, least: float | None = None) -> None:
        """Wait the schedule's delay after ``error`` (at least ``least`` seconds)."""
        floor = max(least or 0.0, error.retry_after or 0.0)
        left = self.schedule.after_failure(floor or None)
        while left > 0:
            on_wait(error, left)
            step = min(1.0, left)
            await self._sleep(step)
            left -= step

    async def ask(
        self,
        ask: Callable[[], Awaitable[T]],
        on_wait: Wait,
        *,
        wait_for: Callable[[ApiError], float | None] = transient_wait,
    ) -> T:
        """``await ask()`` until it answers; errors ``wait_for`` gives None for are raised.

        ``wait_for(error)`` is the least wait before asking again (a live
        view's transport knows its own), or None when asking again cannot help.
        """
        while True:
            try:
                answer = await ask()
            except ApiError as error:
                least = wait_for(error)
                if least is None:
                    raise
                await self.wait_after(error, on_wait, least)
            else:
                self.succeeded()
                return answer

    async def repeat(
        self,
        ask: Callable[[], Awaitable[T]],
        answered: Callable[[T], Awaitable[bool]],
        on_wait: Wait,
        *,
        every: float,
        wait_for: Callable[[ApiError], float | None] = transient_wait,
    ) -> None:
        """Ask, hand the answer to ``answered``, wait ``every`` seconds, and again.

        Stops when ``answered`` returns False (nothing more will change);
        failures are asked again as :meth:`ask` does, and the errors it
        raises end the repeat.
        """
        while await answered(await self.ask(ask, on_wait, wait_for=wait_for)):
            await self._sleep(every)
