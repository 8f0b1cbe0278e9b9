"""What the screens that poll (the dashboard, the project board, the sweep table) share.

Each runs its own :class:`~inductiva_top.monitor.poller.PollLoop` (one
worker, never overlapping itself); a new API error is said once, in a toast
titled by the connection state it left (:func:`trouble_title`).

:class:`PolledScreen` is the board's and the sweep table's: its loop runs
while it is the screen on top (stopped when another covers it, started again
at once when it is back), its header shows the API, the connection state and
the data's age exactly as the dashboard's, and F5 refreshes at once.
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

from textual import work
from textual.message_pump import _MessagePumpMeta
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from inductiva_top.monitor.poller import Connection, Freshness, PollLoop, PollSchedule
from inductiva_top.ui.context import ScreenContext
from inductiva_top.ui.ticks import every_second
from inductiva_top.ui.widgets.header import StatusHeader

__all__ = [
    "RESTART_AFTER",
    "TROUBLE_TITLES",
    "Feed",
    "PolledScreen",
    "restart_after_error",
    "trouble_title",
]

RESTART_AFTER = 5.0
"""Seconds before a poll loop restarts after an unexpected error."""

TROUBLE_TITLES = {
    Connection.UNAUTHORIZED: "The API refused the key",
    Connection.OFFLINE: "The API is unreachable",
    Connection.THROTTLED: "The API asks for fewer requests",
}
"""The title of the toast for a new API error, by connection state."""


def trouble_title(connection: Connection) -> str:
    """The toast title for a new API error that left ``connection``."""
    return TROUBLE_TITLES.get(connection, "The API answered with an error")


def restart_after_error(
    screen: Screen[Any], event: Worker.StateChanged, poll: Callable[[], object]
) -> None:
    """A worker of ``screen`` failed unexpectedly: say so; a poll worker runs again later.

    The screen keeps going, without spinning on a repeating bug (:data:`RESTART_AFTER`).
    """
    if event.state is WorkerState.ERROR and event.worker.error is not None:
        error = event.worker.error
        screen.notify(f"{type(error).__name__}: {error}", title="Internal error", severity="error")
        if event.worker.group == "poll":
            screen.set_timer(RESTART_AFTER, poll)


R = TypeVar("R")


class Feed(Protocol):
    """What a polled screen shows, fetched and merged by one call per refresh."""

    async def tick(self) -> bool:
        """Fetch and merge; True when something changed."""
        ...


class _AbstractScreenMeta(_MessagePumpMeta, ABCMeta):
    """Textual's screen metaclass that also refuses to make a screen with abstract methods.

    (Textual's metaclass is private; Textual is pinned to 8.2.x.)
    """


class PolledScreen(Screen[R], metaclass=_AbstractScreenMeta):
    """A screen refreshed by its own poll loop while it is on top.

    Subclasses set :attr:`feed` (its ``tick`` is the refresh), give
    :meth:`show_data` (redraw from what the tick merged) and, for the header,
    :meth:`header_counts`; their compose yields a :class:`StatusHeader`.
    """

    feed: Feed
    """What the screen shows; set by the subclass before the first refresh."""

    def __init__(self, context: ScreenContext) -> None:
        super().__init__()
        self.context = context
        """The app's source, settings and services, passed on to the screens this one opens."""
        self.loop = PollLoop(
            self.tick,
            PollSchedule(context.policy, monotonic=self._monotonic),
            on_update=self._after_tick,
            on_progress=lambda _: self.update_header(),
            monotonic=self._monotonic,
        )
        self._last_error: str | None = None

    def _monotonic(self) -> float:
        # The injected clock drives data age too, so a frozen clock freezes it.
        return self.context.formatter.now().timestamp()

    async def tick(self) -> bool:
        """One refresh: the feed fetches and merges, and says whether anything changed."""
        return await self.feed.tick()

    @abstractmethod
    def show_data(self) -> None:
        """Redraw from the data the last tick merged."""

    def header_counts(self) -> Mapping[str, int]:
        """Task counts by status code for the header."""
        return {}

    def on_mount(self) -> None:
        every_second(self, self.update_header)

    def on_screen_resume(self) -> None:
        self.loop.poke(now=True)
        self._poll()

    def on_screen_suspend(self) -> None:
        # Covered by another screen: what is not seen is not fetched.
        self.workers.cancel_group(self, "poll")

    @work(exclusive=True, group="poll", exit_on_error=False)
    async def _poll(self) -> None:
        await self.loop.run()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        restart_after_error(self, event, self._poll)

    def _after_tick(self, freshness: Freshness) -> None:
        self.show_data()
        self.update_header()
        error = freshness.last_error
        message = str(error) if error is not None else None
        if message is not None and message != self._last_error:
            self.notify(message, title=trouble_title(freshness.connection), severity="warning")
        self._last_error = message

    def update_header(self) -> None:
        """The connection state, the data's age and the counts, as of now."""
        self.query_one(StatusHeader).update_status(
            self.loop.freshness, self._monotonic(), self.header_counts()
        )

    def action_refresh(self) -> None:
        """F5: refresh at once, even while backing off (the header says so)."""
        self.loop.retry_now()
        self.update_header()
