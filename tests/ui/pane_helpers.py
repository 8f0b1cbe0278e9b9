"""Small apps that show one task pane or screen, for Pilot tests against a real server."""

from __future__ import annotations

import socket
from collections.abc import Callable

from textual.app import App, ComposeResult
from textual.screen import Screen
from textual.widget import Widget

from inductiva_top.api.client import InductivaClient
from tests.conftest import ServerFactory, ServerProcess


def api_client(server: ServerProcess) -> InductivaClient:
    """A client of ``server`` (close it with ``aclose``)."""
    return InductivaClient(server.base_url, server.api_key, key_source="the test fixture")


class PaneApp(App[None]):
    """Mounts the widget ``make()`` builds, alone, filling the screen."""

    def __init__(self, make: Callable[[], Widget]) -> None:
        super().__init__()
        self._make = make

    def compose(self) -> ComposeResult:
        yield self._make()


class ScreenApp(App[None]):
    """Shows one screen (a task's detail screen, say) over an empty app."""

    def __init__(self, screen: Screen[None]) -> None:
        super().__init__()
        self._shown = screen

    def on_mount(self) -> None:
        self.push_screen(self._shown)


def restartable_server(make: ServerFactory) -> ServerProcess:
    """A started server on a port of its own, which it keeps when stopped and started again."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return make(args=["--port", str(port)])
