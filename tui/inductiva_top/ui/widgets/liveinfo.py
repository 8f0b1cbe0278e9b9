"""A running task's processes (``top``) and newest file, live over the WebRTC file tracker.

The detail screen mounts one :class:`LiveInfo` while its task runs. It asks
the task's machine every :data:`LIVE_REFRESH_SECONDS` (one connection per
question, as the official client does); a failure is shown in one line and
asked again at the next refresh. Removing the widget (the task ended, the
screen closed) cancels its worker, which closes the connections.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from rich.console import Group
from rich.text import Text
from textual import work
from textual.widgets import Static

from inductiva_top.api.client import InductivaClient
from inductiva_top.api.errors import ApiError
from inductiva_top.api.filetracker import FileTracker, LiveUnavailable
from inductiva_top.monitor import fmt
from inductiva_top.monitor.sanitize import sanitize_line, sanitize_name

__all__ = ["LIVE_REFRESH_SECONDS", "TOP_LINES", "LiveInfo", "live_lines"]

LIVE_REFRESH_SECONDS = 10.0
TOP_LINES = 30
"""Lines of ``top`` shown: the header and the busiest processes."""
TITLE = "Live (from the task's machine)"


def _when(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value).strftime("%Y-%m-%d %H:%M:%S")
        except (OverflowError, OSError, ValueError):
            pass
    return fmt.MISSING


def live_lines(newest: dict[str, Any], top: str) -> list[str]:
    """The widget's text: the newest file, then the first :data:`TOP_LINES` of ``top``."""
    since = newest.get("time_since_last_mod")
    ago = (
        fmt.duration(float(since))
        if isinstance(since, (int, float)) and not isinstance(since, bool)
        else fmt.MISSING
    )
    lines = [
        f"Most recent file:  {sanitize_name(str(newest.get('most_recent_file', '')))}",
        f"Modified:          {_when(newest.get('most_recent_timestamp'))} ({ago} ago)",
        f"Machine time:      {_when(newest.get('now_timestamp'))}",
        "",
    ]
    rows = top.splitlines()
    lines.extend(sanitize_line(row) for row in rows[:TOP_LINES])
    if len(rows) > TOP_LINES:
        lines.append(f"… {len(rows) - TOP_LINES} more lines")
    return lines


class LiveInfo(Static):
    """``top`` and the newest file of ``task_id``, refreshed (see the module doc)."""

    DEFAULT_CSS = "LiveInfo { margin-top: 1; }"

    def __init__(
        self,
        client: InductivaClient,
        task_id: str,
        *,
        refresh_every: float = LIVE_REFRESH_SECONDS,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self._client = client
        self._task_id = task_id
        self._every = refresh_every
        self.text: list[str] = ["connecting to the task's machine…"]
        """What is shown under the title (for tests and screen readers of the widget)."""

    def on_mount(self) -> None:
        self._show(self.text)
        self._watch()

    def _show(self, lines: list[str]) -> None:
        self.text = lines
        title = Text(TITLE, style="bold underline")
        self.update(Group(title, Text("\n".join(lines), no_wrap=True, overflow="ellipsis")))

    @work(exclusive=True, group="live-info", exit_on_error=False)
    async def _watch(self) -> None:
        while True:
            try:
                async with FileTracker(self._client, self._task_id) as tracker:
                    newest = await tracker.last_modified_file()
                    top = await tracker.top()
            except LiveUnavailable as error:
                self._show([str(error)])
                return
            except ApiError as error:
                retry = f"(asking again in {self._every:g} s)"
                self._show([f"No live view: {error} {retry}"])
            else:
                self._show(live_lines(newest, top))
            await asyncio.sleep(self._every)
