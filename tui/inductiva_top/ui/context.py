"""What every screen the dashboard opens needs from the app, in one argument.

The app makes one :class:`ScreenContext` from its configuration and hands it
to the dashboard; each screen passes its own on to the screens it opens (the
board to a sweep, a sweep to its failures, any of them to a task's detail),
so a setting is read from the configuration once and travels as one value.
"""

from __future__ import annotations

from dataclasses import dataclass

from inductiva_top.monitor import fmt
from inductiva_top.monitor.names import DEFAULT_NAME_KEYS
from inductiva_top.monitor.poller import PollPolicy
from inductiva_top.monitor.state import TaskSource
from inductiva_top.ui.services import PaneServices

__all__ = ["ScreenContext"]


@dataclass(frozen=True)
class ScreenContext:
    """The task source, settings and shared services every opened screen uses."""

    source: TaskSource
    """Where tasks come from: the API client, or a source a test injects."""
    api_label: str
    """The API as the header names it."""
    formatter: fmt.Formatter
    """Every number and time on screen, on the app's clock and time zone."""
    policy: PollPolicy
    """The poll loop's pace, which every screen and pane that fetches on its own keeps."""
    services: PaneServices | None = None
    """What the task panes fetch with; None when the source is not a real API client."""
    read_only: bool = False
    """Nothing changed on the server: no kill, no metadata edit (config, ``web`` off
    loopback, or the palette's one-way switch)."""
    name_keys: tuple[str, ...] = DEFAULT_NAME_KEYS
    """The metadata keys that name a task (the ``name_keys`` setting)."""
