"""A task whose outputs were removed from storage says so in the files and tail panes and ``d``."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from inductiva_top.transfer.errors import NotAvailable
from inductiva_top.transfer.outputs import download_outputs
from inductiva_top.ui.services import PaneServices
from tests.conftest import ServerProcess
from tests.server.task_helpers import submit, wait_status
from tests.ui.dashboard_helpers import until
from tests.ui.pane_helpers import client_of, files_on, tail_on

REMOVED = "Outputs removed from storage."


def removed_task(server: ServerProcess) -> str:
    """A finished task whose files were then removed, as ``remove_remote_files`` does."""
    with server.client() as http:
        task_id = submit(http, [sys.executable, "-c", "print('gone soon')"])
        wait_status(http, task_id, "success")
        response = http.delete("/storage/", params={"path": f"{task_id}/"})
        assert response.status_code == 200, response.text
    return task_id


async def test_the_panes_say_the_outputs_were_removed(module_server: ServerProcess) -> None:
    task_id = removed_task(module_server)
    async with client_of(module_server) as client:
        task = await client.get_task(task_id)
        async with files_on(PaneServices(client), task) as (pilot, panel):
            summary = panel.query_one("#files-summary")
            await until(pilot, lambda: str(summary.render()) == REMOVED, "the files summary")
        async with tail_on(PaneServices(client), task) as (pilot, tail):
            await until(pilot, lambda: REMOVED in str(tail.view.message), "the tail message")


async def test_a_download_says_the_outputs_were_removed(
    module_server: ServerProcess, tmp_path: Path
) -> None:
    task_id = removed_task(module_server)
    async with client_of(module_server) as client:
        with pytest.raises(NotAvailable, match="were removed from storage"):
            await download_outputs(client, task_id, output_dir=tmp_path)
