"""The detail screen: its words, and a reload that fails and comes back by itself."""

from __future__ import annotations

import socket
import sys

from textual.app import App

from inductiva_top.api.models import TaskWithStatusHistory
from inductiva_top.monitor import fmt
from inductiva_top.monitor.poller import PollPolicy
from inductiva_top.ui.screens.detail import TaskDetailScreen, detail_sections
from tests.conftest import ServerFactory
from tests.server.task_helpers import submit, wait_status
from tests.ui.dashboard_helpers import until
from tests.ui.pane_helpers import api_client

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


class DetailApp(App[None]):
    def __init__(self, screen: TaskDetailScreen) -> None:
        super().__init__()
        self._detail = screen

    def on_mount(self) -> None:
        self.push_screen(self._detail)


async def test_a_failed_load_is_shown_while_it_lasts_and_asked_again(
    server_factory: ServerFactory,
) -> None:
    with socket.socket() as probe:  # a port of our own, so the restarted server keeps it
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = server_factory(args=["--port", str(port)])
    with server.client() as http:
        task_id = submit(http, [PY, "-c", "print('x')"])
        wait_status(http, task_id, "success")
    client = api_client(server)
    try:
        server.stop()
        policy = PollPolicy(interval=0.5)
        screen = TaskDetailScreen(task_id, client, fmt.Formatter(), policy=policy)
        async with DetailApp(screen).run_test(size=(100, 30)) as pilot:
            await until(pilot, lambda: "retrying in" in screen.trouble, "the retry note")
            assert screen.has_class("-trouble")
            server.start()
            await until(pilot, lambda: screen.query(".detail-section"), "the task after the outage")
            assert screen.trouble == "" and not screen.has_class("-trouble")
    finally:
        await client.aclose()
