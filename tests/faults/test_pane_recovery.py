"""Every pane comes back by itself after the API went away for a while.

The dashboard talks to a real server through :class:`~tests.faults.outage.Outage`,
a TCP proxy that refuses connections and cuts the open ones while it is down.
With the output, files and timeline panes on a running task, its detail screen
and a waiting task's queue view all open, the API goes away until every one of
them shows its trouble, then comes back. Each must show fresh data again with
no key pressed and the cursor still on its task; the time each took is printed
in the fault suite's tally (``pane recovery after outage``).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from textual.pilot import Pilot

from inductiva_top.config import Config
from inductiva_top.config.secret import Secret
from inductiva_top.monitor.task.queue import QueueView
from inductiva_top.ui.app import InductivaTopApp
from inductiva_top.ui.screens.detail import TaskDetailScreen
from inductiva_top.ui.screens.main import MainScreen
from inductiva_top.ui.screens.queue import QueueScreen
from inductiva_top.ui.widgets.files import FilesPanel
from inductiva_top.ui.widgets.tail import TailPanel
from inductiva_top.ui.widgets.task_table import TaskTable
from inductiva_top.ui.widgets.timeline import TimelineView
from inductiva_top.ui.widgets.trouble import Trouble
from tests.conftest import ServerFactory
from tests.faults.outage import Outage
from tests.server.task_helpers import submit, wait_status
from tests.tally import Tally
from tests.ui.dashboard_helpers import LONG, QUICK, until

PY = sys.executable
TICKER = (
    "import time\nfor i in range(6000):\n    print(f'tick {i}', flush=True)\n    time.sleep(0.1)\n"
)
PANE_LIMIT = 60.0
"""A pane that has not shown the outage, or come back from it, this long after will never do
so (a bound for a loaded machine, no timing claim)."""


def _tick(panel: TailPanel) -> int:
    """The number of the newest ``tick`` line shown (-1 for none)."""
    for line in reversed(panel.view.lines):
        if line.text.startswith("tick "):
            return int(line.text.split()[1])
    return -1


async def _each_holds(
    pilot: Pilot[None], checks: dict[str, Callable[[], bool]], what: str
) -> dict[str, float]:
    """Seconds until each check first holds, counted from now."""
    start = time.monotonic()
    found: dict[str, float] = {}
    while len(found) < len(checks):
        elapsed = time.monotonic() - start
        if elapsed > PANE_LIMIT:
            missing = sorted(set(checks) - set(found))
            raise AssertionError(f"never {what}: {missing}")
        for name, check in checks.items():
            if name not in found and check():
                found[name] = elapsed
        await pilot.pause(0.05)
    return found


async def test_every_pane_recovers_from_an_outage_by_itself(
    server_factory: ServerFactory, tally: Tally
) -> None:
    server = server_factory(slots=1)
    with server.client() as http:
        done = submit(http, QUICK)
        wait_status(http, done, "success")
        running = submit(http, [PY, "-c", TICKER])
        wait_status(http, running, "computation-started")
        waiting = submit(http, LONG)  # behind the running task: one slot
    address = urlsplit(server.base_url)
    try:
        async with Outage(address.hostname or "127.0.0.1", address.port or 80) as outage:
            config = Config(
                api_url=outage.url,
                api_key=Secret(server.api_key),
                api_key_source="the test fixture",
                refresh=1.0,
            )
            app = InductivaTopApp(config)
            async with app.run_test(size=(120, 40)) as pilot:
                await until(pilot, lambda: isinstance(app.screen, MainScreen), "the main screen")
                main = app.screen
                assert isinstance(main, MainScreen)
                table = main.query_one(TaskTable)
                await until(pilot, lambda: table.row_count == 3, "the three tasks")
                while table.cursor_id != running:
                    await pilot.press("down")
                tail = main.query_one(TailPanel)
                files = main.query_one(FilesPanel)
                timeline = main.query_one(TimelineView)
                await until(pilot, lambda: _tick(tail) >= 0, "the running task's output")
                await until(pilot, lambda: files.root is not None, "its work dir")
                await until(pilot, lambda: timeline.timeline is not None, "its timeline")
                await pilot.press("enter")
                await until(pilot, lambda: isinstance(app.screen, TaskDetailScreen), "details")
                detail = app.screen
                assert isinstance(detail, TaskDetailScreen)
                await until(pilot, lambda: detail.query(".detail-section"), "the details")

                async def load() -> QueueView:
                    return await main.state.queue_of(waiting, main.context.formatter.now())

                queue = QueueScreen(main.context, load)
                app.push_screen(queue)
                await until(pilot, lambda: queue.view is not None, "the queue view")

                await outage.go_down()
                troubles: dict[str, Callable[[], bool]] = {
                    "output": lambda: bool(tail._trouble),
                    "files": lambda: bool(files.trouble),
                    "timeline": lambda: main.loop.freshness.stale,
                    "detail screen": lambda: bool(detail.trouble),
                    "queue view": lambda: bool(queue.trouble),
                }
                await _each_holds(pilot, troubles, "showed the outage")
                together = {"every pane": lambda: all(check() for check in troubles.values())}
                await _each_holds(pilot, together, "showed the outage at once")
                assert "retrying in" in files.trouble and "retrying in" in tail._trouble
                seen_tick = _tick(tail)
                freshness = main.loop.freshness
                await outage.come_back()
                back_at = main._monotonic()
                found = await _each_holds(
                    pilot,
                    {
                        "output": lambda: not tail._trouble and _tick(tail) > seen_tick,
                        "files": lambda: not files.trouble and files.root is not None,
                        # A refresh since: the timeline shows what it found (the same task
                        # object when only its age so far moved: that is no news).
                        "timeline": lambda: (
                            not freshness.stale
                            and (freshness.last_success or 0) > back_at
                            and timeline.selected is main.state.selected
                        ),
                        "detail screen": lambda: not detail.trouble,
                        "queue view": lambda: not queue.trouble and queue.view is not None,
                    },
                    "came back after the outage",
                )
                for pane, seconds in found.items():
                    tally.timing("pane recovery after outage", pane, seconds)
                assert table.cursor_id == running  # nothing moved while the panes recovered
                assert not detail.query_one(Trouble).display
                tally.fault(survived=app.is_running)
    finally:
        with server.client() as http:
            for task_id in (running, waiting):
                http.post(f"/tasks/{task_id}/kill")
