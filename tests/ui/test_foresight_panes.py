"""A running task's resources and estimates in the dashboard, against a real server."""

from __future__ import annotations

from textual.widgets import Static

from inductiva_top.ui.screens.detail import TaskDetailScreen
from inductiva_top.ui.screens.queue import QueueScreen
from inductiva_top.ui.widgets.task_table import TaskTable
from inductiva_top.ui.widgets.usage import UsageLine
from tests.conftest import ServerFactory
from tests.server.task_helpers import submit, wait_status
from tests.ui.conftest import Seeded
from tests.ui.dashboard_helpers import LONG, make_app, until


async def test_a_running_task_shows_its_sparklines_and_output_age_in_pane_and_detail(
    server_factory: ServerFactory,
) -> None:
    server = server_factory(args=["--metrics-interval", "0.2"])
    with server.client() as client:
        task_id = submit(client, LONG, project="busy")
        wait_status(client, task_id, "computation-started")
    app = make_app(server)
    async with app.run_test(size=(200, 50)) as pilot:
        table = app.screen.query_one(TaskTable)
        await until(pilot, lambda: table.cursor_id == task_id, "the cursor on the task")
        usage = app.screen.query_one("#timeline-usage", UsageLine)
        await until(pilot, lambda: len(usage.series.samples) >= 3, "three samples")
        await until(pilot, lambda: "last output" in str(usage.content), "the output's age")
        line = str(usage.content)
        assert line.startswith("CPU ") and "MEM " in line
        assert app.foresight.output_age(task_id, app.formatter.now()) is not None
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, TaskDetailScreen), "the detail screen")
        detail = app.screen.query_one("#detail-usage", UsageLine)
        await until(pilot, lambda: str(detail.content).startswith("CPU "), "its sparklines")

        def headings() -> list[str]:
            return [str(heading.content) for heading in app.screen.query(".detail-heading")]

        await until(pilot, lambda: "Foreseen" in headings(), "the Foreseen section")
        with server.client() as client:
            client.post(f"/tasks/{task_id}/kill")


async def test_the_queue_view_says_when_a_waiting_task_starts_and_why_it_waits(
    seeded: Seeded,
) -> None:
    app = make_app(seeded.server)
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.screen.query_one(TaskTable)
        await until(pilot, lambda: table.row_count == seeded.total, "the table to fill")
        await until(pilot, lambda: table.cursor_id == seeded.waiting[0], "the waiting task")
        await pilot.press("u")
        await until(pilot, lambda: isinstance(app.screen, QueueScreen), "the queue view")
        body = app.screen.query_one("#queue-body", Static)
        await until(pilot, lambda: "Starts" in str(body.content), "the start estimate")
        text = str(body.content)
        # Six successes of its group to learn from: a range, and what it came from.
        assert "Starts          in " in text and "finished tasks" in text
        assert "Why it waits    " in text
