"""Kill (confirm, cancel, marks, read-only) and the stale banner, against a real server."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from textual.widgets import Label

from inductiva_top.config.secret import Secret
from inductiva_top.ui.screens.kill import ConfirmKill
from inductiva_top.ui.screens.main import MainScreen
from tests.conftest import ServerFactory, ServerProcess
from tests.server.task_helpers import status, submit, wait_status
from tests.ui.dashboard_helpers import (
    LONG,
    QUICK,
    click_when_shown,
    dashboard,
    fresh,
    main_screen,
    make_app,
    until,
)


def _running_pair(server: ServerProcess) -> list[str]:
    with server.client() as client:
        ids = [submit(client, LONG, project="p") for _ in range(2)]
        for task_id in ids:
            wait_status(client, task_id, "computation-started")
    return ids


async def test_kill_asks_first_and_escape_cancels(live_server: ServerProcess) -> None:
    ids = _running_pair(live_server)
    async with dashboard(live_server, rows=2) as (pilot, app, screen, _table):
        await until(pilot, lambda: screen.check_action("kill", ()) is True, "kill to apply")
        await pilot.press("k")
        await until(pilot, lambda: isinstance(app.screen, ConfirmKill), "the kill modal")
        modal = app.screen
        assert isinstance(modal, ConfirmKill)
        assert modal.task_ids == [ids[1]]
        assert modal.focused is not None and modal.focused.id == "kill-cancel"
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
        await pilot.press("k")
        await until(pilot, lambda: isinstance(app.screen, ConfirmKill), "the kill modal again")
        await pilot.press("enter")  # Cancel has the focus: Enter does not kill
        assert isinstance(app.screen, MainScreen)
    with live_server.client() as client:
        assert {status(client, task_id)["status"] for task_id in ids} == {"computation-started"}


async def test_kill_confirmed_on_marked_tasks(live_server: ServerProcess) -> None:
    ids = _running_pair(live_server)
    async with dashboard(live_server, rows=2) as (pilot, app, screen, table):
        await until(pilot, lambda: screen.check_action("kill", ()) is True, "kill to apply")
        await pilot.press("asterisk")
        assert table.marked == set(ids)
        assert "marked: 2" in str(screen.query_one("#filter-summary", Label).content)
        await pilot.press("k")
        await until(pilot, lambda: isinstance(app.screen, ConfirmKill), "the kill modal")
        assert sorted(app.screen.task_ids) == sorted(ids)  # type: ignore[attr-defined]
        await click_when_shown(pilot, "#kill-confirm")
        await until(
            pilot,
            lambda: all(
                (t := screen.state.task(i)) is not None and t.status == "killed" for i in ids
            ),
            "both tasks killed",
        )
        assert not table.marked
        # Nothing killable remains: the key is shown disabled.
        await until(pilot, lambda: screen.check_action("kill", ()) is None, "kill disabled")


async def test_kill_of_a_finished_task_is_not_offered(live_server: ServerProcess) -> None:
    with live_server.client() as client:
        done = submit(client, QUICK)
        wait_status(client, done)
    async with dashboard(live_server, rows=1) as (pilot, app, screen, table):
        await until(pilot, lambda: table.cursor_id == done, "the finished task")
        assert screen.check_action("kill", ()) is None
        await pilot.press("k")
        assert isinstance(app.screen, MainScreen)


async def test_read_only_removes_kill(live_server: ServerProcess) -> None:
    ids = _running_pair(live_server)
    async with dashboard(live_server, rows=2, read_only=True) as (pilot, app, screen, _table):
        assert screen.check_action("kill", ()) is False
        assert screen.check_action("mark_killable", ()) is False
        await pilot.press("k")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert "read-only" in str(screen.query_one("#filter-summary", Label).content)
        footer_keys = {b.binding.action for b in app.active_bindings.values() if b.enabled}
        assert "kill" not in footer_keys
    with live_server.client() as client:
        assert {status(client, task_id)["status"] for task_id in ids} == {"computation-started"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class FixedPortServer(ServerProcess):
    """A server that comes back on the same port after a restart."""

    def __init__(self, data_dir: Path, port: int) -> None:
        super().__init__(data_dir)
        self.port = port

    def command(self) -> list[str]:
        command = super().command()
        command[command.index("--port") + 1] = str(self.port)
        return command


@pytest.fixture
def fixed_port_server(tmp_path: Path) -> ServerProcess:
    server = FixedPortServer(tmp_path / "data", _free_port()).start()
    yield server  # type: ignore[misc]
    server.stop()


async def test_stale_banner_when_the_server_stops_and_recovery(
    fixed_port_server: ServerProcess,
) -> None:
    server = fixed_port_server
    with server.client() as client:
        done = submit(client, QUICK)
        wait_status(client, done)
    async with dashboard(server, rows=1) as (pilot, _app, screen, table):
        age = screen.query_one("#header-age", Label)
        server.crash()
        await until(pilot, lambda: "stale" in str(age.content), "the stale banner")
        assert "retrying in" in str(age.content)
        assert age.has_class("-stale")
        assert "offline" in str(screen.query_one("#header-state", Label).content)
        assert table.row_count == 1  # the last data stays on screen
        server.start()
        await until(pilot, lambda: fresh(age.content), "recovery")
        assert not age.has_class("-stale")


async def test_a_refused_key_names_where_it_came_from(server_factory: ServerFactory) -> None:
    server = server_factory()
    source = "environment variable INDUCTIVA_API_KEY"
    app = make_app(server, api_key=Secret("not-the-key"), api_key_source=source)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        state = screen.query_one("#header-state", Label)
        await until(pilot, lambda: "unauthorized" in str(state.content), "unauthorized")
        wanted = f"refused the key from {source}"
        await until(
            pilot,
            lambda: any(wanted in n.message for n in app._notifications),
            "a message naming the key's source",
        )
        notes = " ".join(n.message for n in app._notifications)
    assert "not-the-key" not in notes and server.api_key not in notes


async def test_a_failed_kill_is_reported_and_clears_pending_kill(
    live_server: ServerProcess,
) -> None:
    ids = _running_pair(live_server)
    async with dashboard(live_server, rows=2) as (pilot, app, screen, _table):
        await until(pilot, lambda: screen.check_action("kill", ()) is True, "kill to apply")
        await pilot.press("k")
        await until(pilot, lambda: isinstance(app.screen, ConfirmKill), "the kill modal")
        live_server.stop()
        await click_when_shown(pilot, "#kill-confirm")
        await until(
            pilot,
            lambda: any("Kill of" in (n.title or "") for n in app._notifications),
            "the failure to be reported",
        )
        target = ids[1]
        assert target not in screen.state.kills  # no pending-kill left on the row
        task = screen.state.task(target)
        assert task is not None and screen.state.row_status(task) == "computation-started"


async def test_the_kill_dialog_names_tasks_beside_their_ids(live_server: ServerProcess) -> None:
    ids = _running_pair(live_server)
    with live_server.client() as client:
        client.patch(f"/tasks/{ids[0]}/metadata", json={"case": "coarse", "run": "r7"})
    async with dashboard(live_server, rows=2) as (pilot, app, screen, _table):
        await until(pilot, lambda: screen.check_action("kill", ()) is True, "kill to apply")
        await pilot.press("asterisk", "k")
        await until(pilot, lambda: isinstance(app.screen, ConfirmKill), "the kill modal")
        listed = str(app.screen.query_one("#kill-ids Static").render())
        assert sorted(listed.splitlines()) == sorted([f"r7 ({ids[0]})", ids[1]])
        await pilot.press("escape")
