"""What the task panes need from the app: the API client, live access and config.

Handed down by the screen (attributes down); a pane without services (a test
that only feeds it tasks, or an injected task source that is not an
:class:`~inductiva_top.api.client.InductivaClient`) shows what it is given
and fetches nothing.
"""

from __future__ import annotations

from dataclasses import InitVar, dataclass, field
from pathlib import Path

from inductiva_top.api.client import InductivaClient
from inductiva_top.api.live import LiveAccess
from inductiva_top.monitor import fmt
from inductiva_top.monitor.output.tailbuffer import DEFAULT_MAX_LINES
from inductiva_top.monitor.poller import PollPolicy
from inductiva_top.ui.downloads import DownloadManager

__all__ = ["PaneServices"]


@dataclass
class PaneServices:
    """The client, live access, downloads and settings the panes share (one per screen).

    ``webrtc`` None: running tasks of a server without live routes are
    followed over WebRTC when aiortc is installed.
    """

    client: InductivaClient
    output_dir: Path = Path("inductiva_output")
    tail_lines: int = DEFAULT_MAX_LINES
    formatter: fmt.Formatter = field(default_factory=fmt.Formatter)
    policy: PollPolicy = field(default_factory=PollPolicy)
    """The poll loop's policy: a pane waits as long as the loop would before asking again."""
    webrtc: InitVar[bool | None] = None
    live: LiveAccess = field(init=False)
    """How running tasks are watched live (the transport, chosen once)."""
    downloads: DownloadManager = field(init=False)

    def __post_init__(self, webrtc: bool | None) -> None:
        self.live = LiveAccess(self.client, webrtc=webrtc)
        self.downloads = DownloadManager(self.client, self.output_dir)
