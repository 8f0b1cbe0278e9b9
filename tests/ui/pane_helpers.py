"""A small app that mounts one task pane, for Pilot tests against a real server."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import App, ComposeResult
from textual.widget import Widget

from inductiva_top.api.client import InductivaClient
from tests.conftest import ServerProcess


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
