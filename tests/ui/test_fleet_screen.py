"""The fleet screen, the money meter and the why-lines, against a real embedded server.

The server bills a two-machine burst group at 0.30 USD per machine-hour,
terminates it after a few seconds idle, and has a budget of a few dollars,
as the demo does (with shorter times).
"""

from __future__ import annotations

import io

from rich.console import Console
from textual.widgets import Label, Static

from inductiva_top.ui.app import InductivaTopApp
from inductiva_top.ui.columns import SHORT_ID_MIN
from inductiva_top.ui.screens.detail import TaskDetailScreen
from inductiva_top.ui.screens.fleet import TASK_PREFIX, FleetList, FleetScreen
from inductiva_top.ui.screens.main import MainScreen
from inductiva_top.ui.screens.queue import QueueScreen
from inductiva_top.ui.widgets.task_table import TaskTable
from tests.conftest import ServerFactory, ServerProcess
from tests.server.task_helpers import submit, wait_status
from tests.ui.dashboard_helpers import FAILING, LONG, make_app, until

IDLE_LIMIT = 4
BUDGETED = [
    "--machine-group",
    f"burst=2:local-burst:0.30:{IDLE_LIMIT}s",
    "--credits",
    "3",
    "--credits-threshold",
    "0.25",
]


def _fleet(app: InductivaTopApp) -> FleetScreen:
    screen = app.screen
    assert isinstance(screen, FleetScreen)
    return screen


def _text(app: InductivaTopApp) -> str:
    """Everything the fleet screen's list says, one option per line."""
    options = _fleet(app).query_one(FleetList).options
    return "\n".join(str(option.prompt) for option in options)


def _money(app: InductivaTopApp) -> str:
    return str(app.screen.query_one("#header-money", Label).content)


def _detail_text(app: InductivaTopApp) -> str:
    """The detail screen's sections as plain text."""
    console = Console(width=200, record=True, file=io.StringIO())
    for section in app.screen.query(".detail-section").results(Static):
        console.print(section.content)
    return console.export_text()


def _main(app: InductivaTopApp) -> MainScreen:
    screen = app.screen_stack[1]
    assert isinstance(screen, MainScreen)
    return screen


async def test_the_fleet_shows_each_machine_and_its_task_and_enter_opens_it(
    server_factory: ServerFactory,
) -> None:
    server = server_factory(slots=1, args=BUDGETED)
    with server.client() as client:
        running = submit(client, LONG, group="burst", metadata={"name": "plate-a0.3"})
        wait_status(client, running, "computation-started")
    app = make_app(server)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: _main(app).state.fleet.loaded, "the first fleet refresh")
        # The money meter: two burst machines at 0.30 and the budget's runway.
        await until(pilot, lambda: "credits" in _money(app) or "lasts" in _money(app), "credits")
        assert _money(app).startswith("$0.60/h")
        await pilot.press("M")
        await until(pilot, lambda: isinstance(app.screen, FleetScreen), "the fleet screen")
        await until(pilot, lambda: f"runs {running}" in _text(app), "the running task")
        text = _text(app)
        assert "burst  ● started  local-burst · on-demand · 2 machines" in text
        assert "$0.60/h now" in text and "so far" in text and "queue: none waiting" in text
        assert f"idle limit {IDLE_LIMIT}s · 1 of 2 machines busy" in text
        assert f"runs {running}  plate-a0.3  ▶ Running" in text  # named, its own status beside
        assert "default" in text and "no idle limit" in text
        summary = str(app.screen.query_one("#fleet-summary", Label).content)
        assert "machines stop at $0.25" in summary
        # At 80 columns the id shrinks to the table's short form, so the line does not wrap.
        await pilot.resize_terminal(80, 24)
        await until(pilot, lambda: f"runs {running} " not in _text(app), "a short task id")
        assert f"runs {running[:SHORT_ID_MIN]}  plate-a0.3  ▶ Running" in _text(app)
        fleet_list = app.screen.query_one(FleetList)
        ids = [option.id for option in fleet_list.options]
        fleet_list.highlighted = ids.index(f"{TASK_PREFIX}{running}")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, TaskDetailScreen), "the detail screen")
        detail = app.screen
        assert isinstance(detail, TaskDetailScreen) and detail.task_id == running
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, FleetScreen), "back to the fleet")
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
        with server.client() as client:
            client.post(f"/tasks/{running}/kill")


async def test_an_idle_group_counts_down_terminates_and_the_meter_drops(
    server_factory: ServerFactory,
) -> None:
    server = server_factory(slots=1, args=BUDGETED)
    app = make_app(server)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("M")
        await until(pilot, lambda: "terminates in" in _text(app), "the idle countdown")
        assert "$0.60/h" in _money(app)
        # Idle past half its limit: marked, then gone.
        await until(pilot, lambda: "more than half its idle limit" in _text(app), "the mark")
        await until(pilot, lambda: "terminated" in _text(app), "the group to terminate")
        text = _text(app)
        assert "burst  ■ terminated" in text and "in all" in text
        await until(pilot, lambda: _money(app).startswith("$0.00/h"), "the meter to drop")


async def test_the_meter_without_a_budget_is_the_rate_alone(live_server: ServerProcess) -> None:
    app = make_app(live_server)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: _main(app).state.fleet.loaded, "the first fleet refresh")
        await pilot.pause()
        assert _money(app) == "$0.00/h"


async def test_the_detail_screen_says_what_happened_and_what_to_do(
    live_server: ServerProcess,
) -> None:
    with live_server.client() as client:
        failed = submit(client, FAILING)
        wait_status(client, failed)
    app = make_app(live_server)
    async with app.run_test(size=(120, 40)) as pilot:
        table = _main(app).query_one(TaskTable)
        await until(pilot, lambda: table.cursor_id == failed, "the failed task")
        await pilot.press("enter")
        await until(pilot, lambda: app.screen.query(".detail-section"), "the detail")
        lines = {line.split("  ", 1)[0]: line for line in _detail_text(app).splitlines()}
        assert "The simulator exited with an error" in lines["What happened"]
        assert "Read its stderr and stdout" in lines["What to do"]


async def test_the_queue_view_says_why_a_task_waits(live_server: ServerProcess) -> None:
    with live_server.client() as client:
        first = submit(client, LONG, metadata={"name": "run-one"})
        second = submit(client, LONG)
        wait_status(client, second, "computation-started")  # two slots: both run
        third = submit(client, LONG, metadata={"name": "run-three"})
    app = make_app(live_server)
    async with app.run_test(size=(120, 40)) as pilot:
        table = _main(app).query_one(TaskTable)
        await until(pilot, lambda: table.cursor_id == third, "the waiting task")
        await pilot.press("u")
        await until(pilot, lambda: isinstance(app.screen, QueueScreen), "the queue view")
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        # Its first answer takes a few requests (a loaded machine showed the screen first).
        await until(pilot, lambda: queue.view is not None, "the queue's first answer")
        assert queue.view is not None
        assert "all 2 machines of its group are busy" in queue.view.why
        # Tasks are named, the id beside, as in every other view.
        body = str(queue.query_one("#queue-body", Static).content)
        assert f"run-three ({third})" in body
        await until(
            pilot,
            lambda: f"run-one ({first})" in str(queue.query_one("#queue-body", Static).content),
            "the named task holding a machine",
        )
        assert f"  {second}  " in str(queue.query_one("#queue-body", Static).content)  # unnamed
        with live_server.client() as client:
            for task_id in (first, second, third):
                client.post(f"/tasks/{task_id}/kill")
