"""Small apps that show one task pane or screen, for Pilot tests against a real server.

Beside them, the setup those tests share: a task run to a given state
(:func:`run_python`), a client closed (and running tasks killed) at the end
(:func:`client_of`), and a pane shown alone on a task (:func:`pane_on`,
:func:`tail_on`, :func:`files_on`).
"""

from __future__ import annotations

import socket
import sys
from collections.abc import AsyncIterator, Callable, Collection, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Generic, TypeVar

from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widget import Widget

from inductiva_top.api.client import InductivaClient
from inductiva_top.api.models import Task, TaskWithStatusHistory
from inductiva_top.ui.services import PaneServices
from inductiva_top.ui.widgets.files import FilesPanel
from inductiva_top.ui.widgets.tail import TailPanel
from tests.conftest import ServerFactory, ServerProcess
from tests.server.task_helpers import submit, wait_status

PY = sys.executable
"""The Python the tasks run their scripts with."""

W = TypeVar("W", bound=Widget)

Selectable = Task | TaskWithStatusHistory | None
"""What a task pane is pointed at (its ``selected``)."""


def api_client(server: ServerProcess) -> InductivaClient:
    """A client of ``server`` (close it with ``aclose``)."""
    return InductivaClient(server.base_url, server.api_key, key_source="the test fixture")


class PaneApp(App[None], Generic[W]):
    """Mounts the widget ``make()`` builds, alone, filling the screen."""

    pane: W
    """The widget ``make()`` built, once composed."""

    def __init__(self, make: Callable[[], W]) -> None:
        super().__init__()
        self._make = make

    def compose(self) -> ComposeResult:
        self.pane = self._make()
        yield self.pane


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


def run_python(
    server: ServerProcess, script: str, status: str, *, files: Mapping[str, bytes] | None = None
) -> str:
    """Submit ``python -c script`` to ``server``; its id once the task is in ``status``."""
    with server.client() as http:
        task_id = submit(http, [PY, "-c", script], files=files)
        wait_status(http, task_id, status)
    return task_id


@asynccontextmanager
async def client_of(
    server: ServerProcess, *, kill: Collection[str] = ()
) -> AsyncIterator[InductivaClient]:
    """A client of ``server``, closed at the end, when the tasks ``kill`` names are killed
    too (a task still running would outlive the test on a module's server)."""
    client = api_client(server)
    try:
        yield client
    finally:
        await client.aclose()
        if kill:
            with server.client() as http:
                for task_id in kill:
                    http.post(f"/tasks/{task_id}/kill")


@asynccontextmanager
async def pane_on(
    make: Callable[[], W],
    task: Selectable,
    *,
    size: tuple[int, int] = (100, 30),
) -> AsyncIterator[tuple[Pilot[None], W]]:
    """The task pane ``make()`` builds (the tail, the files), alone in an app of ``size``,
    pointed at ``task`` (its ``selected``)."""
    app = PaneApp(make)
    async with app.run_test(size=size) as pilot:
        pane = app.pane
        pane.selected = task  # type: ignore[attr-defined]
        yield pilot, pane


Shown = AbstractAsyncContextManager[tuple[Pilot[None], W]]
"""A pane on show: the pilot of its app, and the pane."""


def tail_on(
    services: PaneServices, task: Selectable, *, size: tuple[int, int] = (100, 30)
) -> Shown[TailPanel]:
    """The tail pane (id ``tail``) alone, on ``task``."""
    return pane_on(lambda: TailPanel(services, id="tail"), task, size=size)


def files_on(
    services: PaneServices, task: Selectable, *, size: tuple[int, int] = (100, 30)
) -> Shown[FilesPanel]:
    """The file-tree pane (id ``files``) alone, on ``task``."""
    return pane_on(lambda: FilesPanel(services, id="files"), task, size=size)
