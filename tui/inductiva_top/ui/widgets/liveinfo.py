"""A running task's processes (``top``) and newest file, from its live interface.

The detail screen mounts one :class:`LiveInfo` while its task runs, with the
task's :class:`~inductiva_top.api.live.LiveTask` (over HTTP or WebRTC: the
widget does not know which). It asks every :data:`LIVE_REFRESH_SECONDS`; a
failure is shown, in full, while it lasts, and asked again at the poll loop's
pace (:class:`~inductiva_top.monitor.retrying.Retrying`, no sooner than the
transport says), unless asking again cannot help. Removing the widget (the
task ended, the screen closed) cancels its worker, which closes the connections.
"""

from __future__ import annotations

from contextlib import aclosing
from datetime import datetime

from rich.console import Group
from rich.text import Text
from textual import work
from textual.widgets import Static

from inductiva_top.api.errors import ApiError
from inductiva_top.api.live import LastModified, LiveTask, NoLive
from inductiva_top.monitor import fmt
from inductiva_top.monitor.poller import PollPolicy
from inductiva_top.monitor.retrying import Retrying, waiting_text
from inductiva_top.monitor.sanitize import sanitize_line, sanitize_name

__all__ = ["LIVE_REFRESH_SECONDS", "TOP_LINES", "LiveInfo", "live_lines"]

LIVE_REFRESH_SECONDS = 10.0
TOP_LINES = 30
"""Lines of ``top`` shown: the header and the busiest processes."""
TITLE = "Live (from the task's machine)"


def _when(value: float | None) -> str:
    if value is not None:
        try:
            return datetime.fromtimestamp(value).strftime("%Y-%m-%d %H:%M:%S")
        except (OverflowError, OSError, ValueError):
            pass
    return fmt.MISSING


def live_lines(newest: LastModified, top: str) -> list[str]:
    """The widget's text: the newest file, then the first :data:`TOP_LINES` of ``top``."""
    ago = fmt.duration(newest.age) if newest.age is not None else fmt.MISSING
    lines = [
        f"Most recent file:  {sanitize_name(newest.path)}",
        f"Modified:          {_when(newest.modified)} ({ago} ago)",
        f"Machine time:      {_when(newest.now)}",
        "",
    ]
    rows = top.splitlines()
    lines.extend(sanitize_line(row) for row in rows[:TOP_LINES])
    if len(rows) > TOP_LINES:
        lines.append(f"… {len(rows) - TOP_LINES} more lines")
    return lines


class LiveInfo(Static):
    """``top`` and the newest file of the task ``live`` reaches, refreshed (see the module doc).

    Given :class:`~inductiva_top.api.live.NoLive`, it says why there is no live view.
    ``policy`` is the poll loop's, which paces the retries after a failure.
    """

    DEFAULT_CSS = "LiveInfo { margin-top: 1; }"

    def __init__(
        self,
        live: LiveTask | NoLive,
        *,
        refresh_every: float = LIVE_REFRESH_SECONDS,
        policy: PollPolicy | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.live = live
        self._every = refresh_every
        self._policy = policy or PollPolicy()
        self.text: list[str] = ["connecting to the task's machine…"]
        """What is shown under the title (for tests and screen readers of the widget)."""

    def on_mount(self) -> None:
        if isinstance(self.live, NoLive):
            self._show([self.live.message])
            return
        self._show(self.text)
        self._watch(self.live)

    def _show(self, lines: list[str], *, wrap: bool = False) -> None:
        """Show ``lines``; ``wrap`` for words to read in full (``top`` is cut instead)."""
        self.text = lines
        title = Text(TITLE, style="bold underline")
        body = Text("\n".join(lines), no_wrap=not wrap, overflow="fold" if wrap else "ellipsis")
        self.update(Group(title, body))

    @work(exclusive=True, group="live-info", exit_on_error=False)
    async def _watch(self, live: LiveTask) -> None:

        async def ask() -> tuple[LastModified, str]:
            return await live.last_modified_file(), await live.top()

        async def shown(answer: tuple[LastModified, str]) -> bool:
            self._show(live_lines(*answer))
            return True

        async with aclosing(live):  # its connections close with this worker
            try:
                await Retrying(self._policy).repeat(
                    ask, shown, self._waiting, every=self._every, wait_for=live.retry_after
                )
            except ApiError as error:  # asking again cannot help
                self._show([f"No live view: {error}"], wrap=True)

    def _waiting(self, error: ApiError, seconds_left: float) -> None:
        self._show([f"No live view: {waiting_text(error, seconds_left)}"], wrap=True)
