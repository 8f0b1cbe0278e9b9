"""Helpers for Pilot tests of the dashboard against a real embedded server."""

from __future__ import annotations

import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import NamedTuple

from textual.pilot import Pilot

from inductiva_top.config import Config
from inductiva_top.config.secret import Secret
from inductiva_top.monitor.poller import UP_TO_DATE
from inductiva_top.ui.app import InductivaTopApp
from inductiva_top.ui.screens.main import MainScreen
from inductiva_top.ui.widgets.task_table import TaskTable
from tests.conftest import ServerProcess

PY = sys.executable
QUICK = [PY, "-c", "print('done')"]
FAILING = [PY, "-c", "import sys; print('bad input', file=sys.stderr); sys.exit(3)"]
LONG = [PY, "-c", "import time; time.sleep(600)"]
WAIT_SECONDS = 20.0


def make_app(server: ServerProcess, *, page_size: int = 50, **config: object) -> InductivaTopApp:
    """The dashboard on ``server``, polling every second."""
    settings: dict[str, object] = {
        "api_url": server.base_url,
        "api_key": Secret(server.api_key),
        "api_key_source": "the test fixture",
        "refresh": 1.0,
    }
    settings.update(config)
    return InductivaTopApp(Config(**settings), page_size=page_size)  # type: ignore[arg-type]


def main_screen(app: object) -> MainScreen:
    """The app's top screen, which must be the dashboard's main one."""
    screen = app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, MainScreen)
    return screen


class Dashboard(NamedTuple):
    """A running dashboard, as :func:`dashboard` gives it."""

    pilot: Pilot[None]
    app: InductivaTopApp
    screen: MainScreen
    table: TaskTable


@asynccontextmanager
async def dashboard(
    server: ServerProcess,
    *,
    rows: int | None = None,
    size: tuple[int, int] = (120, 40),
    what: str = "the table to fill",
    page_size: int = 50,
    **config: object,
) -> AsyncIterator[Dashboard]:
    """The dashboard on ``server`` (:func:`make_app` with ``page_size`` and ``config``) under
    a Pilot, once its table holds ``rows`` rows (None: once the cursor is on a task)."""
    app = make_app(server, page_size=page_size, **config)
    async with app.run_test(size=size) as pilot:
        screen = main_screen(app)
        table = screen.query_one(TaskTable)
        if rows is None:
            await until(pilot, lambda: table.cursor_id is not None, what)
        else:
            await until(pilot, lambda: table.row_count == rows, what)
        yield Dashboard(pilot, app, screen, table)


def fresh(age_line: object) -> bool:
    """The header's age line says the data is current: up to date, or (under load) when it
    was updated; not stale, not waiting."""
    text = str(age_line)
    return text == UP_TO_DATE or text.startswith("updated ")


async def until(pilot: Pilot[None], condition: Callable[[], object], what: str) -> None:
    """Let the app run until ``condition()`` holds; fail (naming ``what``) if it never does."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)


async def click_when_shown(pilot: Pilot[None], selector: str) -> None:
    """Click the widget ``selector`` of the top screen once it is laid out and ready, and
    fail if the click lands elsewhere. A screen just pushed may not have been arranged yet:
    its widgets have no region, and a click then lands at the screen's corner (under load,
    a test that clicked at once sometimes clicked nothing). A button pressed less than
    0.2 s ago (its ``-active`` effect) ignores a click."""

    def ready() -> bool:
        found = pilot.app.screen.query(selector)
        if not found:
            return False
        widget = found.first()
        return widget.region.area > 0 and not widget.has_class("-active")

    await until(pilot, ready, f"{selector} to be shown")
    assert await pilot.click(selector), f"the click missed {selector}"
