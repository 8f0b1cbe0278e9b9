"""The tail and file panes follow a running task over WebRTC, as on the Inductiva cloud.

The panes are told the server has no live routes (what they find on the
cloud), so they take the WebRTC file tracker, here to a real embedded server
on loopback.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from tests.conftest import ServerProcess
from tests.server.task_helpers import submit, wait_status, wait_until
from tests.ui.dashboard_helpers import until
from tests.ui.pane_helpers import PaneApp, api_client

from inductiva_top.monitor.tailsource import TailSource
from inductiva_top.ui.services import PaneServices
from inductiva_top.ui.widgets.files import FilesPanel
from inductiva_top.ui.widgets.tail import TailPanel

pytest.importorskip("aiortc")

PY = sys.executable


def ticker(go_file: Path) -> list[str]:
    code = (
        "import os, time\n"
        "os.makedirs('out', exist_ok=True)\n"
        "open('out/a.dat', 'w').write('x')\n"
        "i = 0\n"
        f"while not os.path.exists({str(go_file)!r}):\n"
        "    print(f'tick {i}', flush=True)\n"
        "    i += 1\n"
        "    time.sleep(0.05)\n"
    )
    return [PY, "-c", code]


@pytest.fixture(autouse=True)
def no_turn(monkeypatch: pytest.MonkeyPatch) -> None:
    # Never resolves (RFC 2606): no STUN/TURN server is tried on loopback.
    monkeypatch.setenv("INDUCTIVA_TURN_SERVER_URL", "turn.invalid:3478")


def open_peers(server: ServerProcess) -> int:
    with server.client() as http:
        count: int = http.get("/local/rtc/sessions").json()["peer_connections"]
    return count


async def test_the_tail_pane_follows_a_cloud_task_over_webrtc(
    module_server: ServerProcess, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    with module_server.client() as http:
        task_id = submit(http, ticker(go))
        wait_status(http, task_id, "computation-started")
    client = api_client(module_server)
    try:
        app = PaneApp(lambda: TailPanel(PaneServices(client), id="tail"))
        async with app.run_test(size=(100, 30)) as pilot:
            panel = app.query_one(TailPanel)
            panel.live_routes = False  # what the probe finds on the Inductiva cloud
            panel.show_task(await client.get_task(task_id))
            await pilot.pause()
            assert panel.target is not None and panel.target.source is TailSource.WEBRTC
            lines = lambda: [line.text for line in panel.view.lines]  # noqa: E731
            await until(pilot, lambda: len(lines()) >= 3, "three lines")
            seen = len(lines())
            await until(pilot, lambda: len(lines()) > seen, "a newer line")
            assert lines()[0] == "tick 0"
            assert lines() == [f"tick {i}" for i in range(len(lines()))]
            assert open_peers(module_server) == 1
            panel.show_task(None)  # the cursor leaves the task: its connection closes
            await until(pilot, lambda: open_peers(module_server) == 0, "the connection to close")
    finally:
        await client.aclose()
        go.touch()


async def test_the_files_pane_lists_a_cloud_task_over_webrtc(
    module_server: ServerProcess, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    with module_server.client() as http:
        task_id = submit(http, ticker(go))
        wait_status(http, task_id, "computation-started")
    client = api_client(module_server)
    try:
        services = PaneServices(client)
        services.local._available = False  # what the probe finds on the Inductiva cloud
        app = PaneApp(lambda: FilesPanel(services, id="files"))
        async with app.run_test(size=(100, 30)) as pilot:
            panel = app.query_one(FilesPanel)
            panel.show_task(await client.get_task(task_id))
            await until(pilot, lambda: panel.root is not None, "the listing")
            assert panel.source is TailSource.WEBRTC
            root = panel.root
            assert root is not None
            assert {"stdout.txt", "out/a.dat"} <= {f.path for f in root.files()}
            summary = str(panel.query_one("#files-summary").render())
            assert summary.endswith("live work dir (WebRTC)")
    finally:
        await client.aclose()
        go.touch()
    wait_until(lambda: open_peers(module_server) == 0, "the peer connection to close")
