"""What the task panes need from the app: the API client, live routes and config.

Handed down by the screen (attributes down); a pane without services (a test
that only feeds it tasks, or an injected task source that is not an
:class:`~inductiva_top.api.client.InductivaClient`) shows what it is given
and fetches nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from inductiva_top.api.client import InductivaClient
from inductiva_top.api.filetracker import live_available
from inductiva_top.api.local import LocalOps
from inductiva_top.monitor import fmt
from inductiva_top.monitor.tailbuffer import DEFAULT_MAX_LINES
from inductiva_top.ui.downloads import DownloadManager

__all__ = ["PaneServices"]


@dataclass
class PaneServices:
    """The client, live routes, downloads and settings the panes share (one per screen)."""

    client: InductivaClient
    output_dir: Path = Path("inductiva_output")
    tail_lines: int = DEFAULT_MAX_LINES
    formatter: fmt.Formatter = field(default_factory=fmt.Formatter)
    webrtc: bool = field(default_factory=live_available)
    """Running tasks of a server without live routes are followed over WebRTC (aiortc)."""
    local: LocalOps = field(init=False)
    downloads: DownloadManager = field(init=False)

    def __post_init__(self) -> None:
        self.local = LocalOps(self.client)
        self.downloads = DownloadManager(self.client, self.output_dir)
