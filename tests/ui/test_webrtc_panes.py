"""The panes and the detail screen follow a running task over WebRTC, as on the cloud.

The panes' live access is told the server has no live routes (what it finds on the
cloud), so it takes the WebRTC file tracker, here to a real embedded server on
loopback. The panes only see the live interface, whichever transport is behind it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from inductiva_top.api.client import InductivaClient
from inductiva_top.api.live import (
    HttpLiveTask,
    LastModified,
    LiveAccess,
    LiveTask,
    NoLive,
    WebRtcLiveTask,
)
from inductiva_top.monitor import fmt
from inductiva_top.monitor.output.tailsource import TailSource
from inductiva_top.monitor.poller import PollPolicy
from inductiva_top.ui.context import ScreenContext
from inductiva_top.ui.screens.detail import TaskDetailScreen
from inductiva_top.ui.services import PaneServices
from inductiva_top.ui.widgets.liveinfo import TOP_LINES, LiveInfo, live_lines
from tests.conftest import ServerProcess
from tests.server.task_helpers import wait_until
from tests.ui.dashboard_helpers import until
from tests.ui.pane_helpers import ScreenApp, client_of, files_on, run_python, tail_on

pytest.importorskip("aiortc")


def ticker(go_file: Path) -> str:
    """A script that ticks every 50 ms until ``go_file`` exists."""
    return (
        "import os, time\n"
        "os.makedirs('out', exist_ok=True)\n"
        "open('out/a.dat', 'w').write('x')\n"
        "i = 0\n"
        f"while not os.path.exists({str(go_file)!r}):\n"
        "    print(f'tick {i}', flush=True)\n"
        "    i += 1\n"
        "    time.sleep(0.05)\n"
    )


@dataclass(frozen=True)
class Ticking:
    """A running task that ticks until its ``go`` file exists."""

    task_id: str
    go: Path


@pytest.fixture
def ticking(module_server: ServerProcess, tmp_path: Path) -> Iterator[Ticking]:
    """A ticking task, started and running; it ends when the test does, if not before."""
    go = tmp_path / "go"
    task_id = run_python(module_server, ticker(go), "computation-started")
    yield Ticking(task_id, go)
    go.touch()


@pytest.fixture(autouse=True)
def no_turn(monkeypatch: pytest.MonkeyPatch) -> None:
    # Never resolves (RFC 2606): no STUN/TURN server is tried on loopback.
    monkeypatch.setenv("INDUCTIVA_TURN_SERVER_URL", "turn.invalid:3478")


def open_peers(server: ServerProcess) -> int:
    with server.client() as http:
        count: int = http.get("/local/rtc/sessions").json()["peer_connections"]
    return count


async def test_the_tail_pane_follows_a_cloud_task_over_webrtc(
    module_server: ServerProcess, ticking: Ticking
) -> None:
    async with client_of(module_server) as client:
        services = PaneServices(client)
        services.live.routes = False  # what the probe finds on the Inductiva cloud
        task = await client.get_task(ticking.task_id)
        async with tail_on(services, task) as (pilot, panel):
            await pilot.pause()
            assert panel.target is not None and panel.target.source is TailSource.LIVE
            lines = lambda: [line.text for line in panel.view.lines]  # noqa: E731
            await until(pilot, lambda: len(lines()) >= 3, "three lines")
            assert isinstance(panel.live, LiveTask) and panel.live.via == "WebRTC"
            seen = len(lines())
            await until(pilot, lambda: len(lines()) > seen, "a newer line")
            assert lines()[0] == "tick 0"
            assert lines() == [f"tick {i}" for i in range(len(lines()))]
            assert open_peers(module_server) == 1
            panel.selected = None  # the cursor leaves the task: its connection closes
            await until(pilot, lambda: open_peers(module_server) == 0, "the connection to close")


async def test_the_files_pane_lists_a_cloud_task_over_webrtc(
    module_server: ServerProcess, ticking: Ticking
) -> None:
    async with client_of(module_server) as client:
        services = PaneServices(client)
        services.live.routes = False  # what the probe finds on the Inductiva cloud
        task = await client.get_task(ticking.task_id)
        async with files_on(services, task) as (pilot, panel):
            await until(pilot, lambda: panel.root is not None, "the listing")
            assert panel.source is TailSource.LIVE
            root = panel.root
            assert root is not None
            assert {"stdout.txt", "out/a.dat"} <= {f.path for f in root.files()}
            summary = str(panel.query_one("#files-summary").render())
            assert summary.endswith("live work dir (WebRTC)")
    ticking.go.touch()
    wait_until(lambda: open_peers(module_server) == 0, "the peer connection to close")


@pytest.mark.parametrize("routes", [False, True], ids=["webrtc", "http"])
async def test_the_detail_screen_shows_top_and_the_newest_file_while_the_task_runs(
    module_server: ServerProcess, ticking: Ticking, routes: bool
) -> None:
    async with client_of(module_server) as client:
        live = LiveAccess(client, routes=routes)  # routes=False: as on the Inductiva cloud
        policy = PollPolicy(interval=0.2)
        screen = TaskDetailScreen(
            ScreenContext(client, api_label="test", formatter=fmt.Formatter(), policy=policy),
            ticking.task_id,
            live=live,
        )
        app = ScreenApp(screen)
        async with app.run_test(size=(120, 60)) as pilot:
            await until(pilot, lambda: screen.query(LiveInfo), "the live section")
            info = screen.query_one(LiveInfo)
            await until(pilot, lambda: info.text[0].startswith("Most recent file:"), "top")
            assert any("PID" in line for line in info.text)
            assert any("python" in line.lower() for line in info.text)
            assert isinstance(info.live, LiveTask)
            assert info.live.via == ("HTTP" if routes else "WebRTC")
            ticking.go.touch()  # the task ends: the live section goes, and its connections with it
            await until(pilot, lambda: not screen.query(LiveInfo), "the live section to go")
            await until(pilot, lambda: open_peers(module_server) == 0, "the connections to close")


def test_live_lines_show_the_newest_file_and_the_top_of_top() -> None:
    answer = {
        "most_recent_file": "out/\x1b[31mred.dat",
        "most_recent_timestamp": 1_700_000_000.0,
        "now_timestamp": 1_700_000_043.0,
        "time_since_last_mod": 43.0,
    }
    top = "\n".join(["PID USER COMMAND"] + [f"{i} me python" for i in range(100)])
    lines = live_lines(LastModified.parse(answer, "a test"), top)
    assert lines[0].startswith("Most recent file:") and "\x1b" not in lines[0]
    assert lines[1].endswith("(43s ago)")
    assert lines[4] == "PID USER COMMAND"
    assert len(lines) == 4 + TOP_LINES + 1 and lines[-1] == f"… {101 - TOP_LINES} more lines"
    odd = {**answer, "most_recent_timestamp": "soon", "time_since_last_mod": True}
    odd_lines = live_lines(LastModified.parse(odd, "a test"), "")
    assert odd_lines[1].startswith("Modified:") and "ago" in odd_lines[1]


async def test_the_transport_is_chosen_once_for_the_server() -> None:
    async with InductivaClient("https://api.example", "k") as client:
        cloud = LiveAccess(client, webrtc=True, routes=False)
        over_webrtc = await cloud.live_for("t1")
        assert isinstance(over_webrtc, WebRtcLiveTask) and over_webrtc.task_id == "t1"
        without_aiortc = await LiveAccess(client, webrtc=False, routes=False).live_for("t1")
        assert isinstance(without_aiortc, NoLive)
        assert "pip install 'inductiva-top[live]'" in without_aiortc.message
        local = await LiveAccess(client, webrtc=True, routes=True).live_for("t1")
        assert isinstance(local, HttpLiveTask)  # the server's own routes win over WebRTC
