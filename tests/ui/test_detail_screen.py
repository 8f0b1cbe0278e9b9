"""The detail screen: its words, and a reload that fails and comes back by itself."""

from __future__ import annotations

import sys

from inductiva_top.api.models import TaskWithStatusHistory
from inductiva_top.monitor import fmt
from inductiva_top.monitor.poller import PollPolicy
from inductiva_top.ui.context import ScreenContext
from inductiva_top.ui.screens.detail import TaskDetailScreen, detail_sections
from inductiva_top.ui.widgets.trouble import Trouble
from tests.conftest import ServerFactory
from tests.ui.dashboard_helpers import until
from tests.ui.pane_helpers import ScreenApp, client_of, restartable_server, run_python

PY = sys.executable


def test_section_and_row_names_are_words() -> None:
    task = TaskWithStatusHistory.model_validate(
        {
            "task_id": "t1",
            "status": "success",
            "executer": {"uuid": "e-1", "vm_type": "c2-standard-4"},
            "metrics": {"output_size_bytes": 10, "computation_seconds": 3.0},
        }
    )
    sections = dict(detail_sections(task, fmt.Formatter()))
    assert "Sizes and times" in sections and "Data and time" not in sections
    labels = [label for label, _ in sections["Machine"]]
    assert "Executor id" in labels and "Executer id" not in labels


async def test_a_failed_load_is_shown_while_it_lasts_and_asked_again(
    server_factory: ServerFactory,
) -> None:
    server = restartable_server(server_factory)
    task_id = run_python(server, "print('x')", "success")
    async with client_of(server) as client:
        server.stop()
        policy = PollPolicy(interval=0.5)
        screen = TaskDetailScreen(
            ScreenContext(client, api_label="test", formatter=fmt.Formatter(), policy=policy),
            task_id,
        )
        async with ScreenApp(screen).run_test(size=(100, 30)) as pilot:
            await until(pilot, lambda: "retrying in" in screen.trouble, "the retry note")
            assert screen.query_one(Trouble).display
            server.start()
            await until(pilot, lambda: screen.query(".detail-section"), "the task after the outage")
            assert screen.trouble == "" and not screen.query_one(Trouble).display
