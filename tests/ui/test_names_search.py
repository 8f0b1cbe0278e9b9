"""Names, ``/`` search and metadata editing on the embedded server, with the demo's real sweep.

The sweep (16 heat2d runs of ``plate-sweep``, each named in its metadata and
tagged with ``alpha`` and ``resolution``) is submitted once per module by the
demo's own driver, without its pacing.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from textual import events
from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.widgets import Input, Label

from inductiva_top.demo.driver import DemoDriver
from inductiva_top.demo.plan import SWEEP_ALPHAS, SWEEP_PROJECT, SWEEP_RESOLUTIONS, sweep
from inductiva_top.monitor.rows.search import SEARCH_SCAN
from inductiva_top.ui.screens import main as main_module
from inductiva_top.ui.screens.detail import TaskDetailScreen
from inductiva_top.ui.screens.main import MainScreen
from inductiva_top.ui.screens.metadata import MetadataForm
from inductiva_top.ui.widgets.task_table import TaskTable
from tests.conftest import ServerProcess, _servers
from tests.server.test_demo_sweep import _fast
from tests.ui.dashboard_helpers import dashboard, until


@dataclass(frozen=True)
class Sweep:
    server: ServerProcess
    ids: dict[str, str]
    """Run name -> task id."""


@pytest.fixture(scope="module")
def plate_sweep(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sweep]:
    with _servers(tmp_path_factory) as make:
        server = make(slots=4)
        runs = [_fast(task) for task in sweep()]
        driver = DemoDriver(server.base_url, server.api_key, io.StringIO(), plan=runs, follow_ups=0)
        asyncio.run(driver.run())
        yield Sweep(server, dict(driver.submitted))


def _shown_names(screen: MainScreen) -> set[str]:
    """The NAME cells of the rows the table holds."""
    table = screen.query_one(TaskTable)
    return {
        line.split()[1]
        for line in (table.render_line(y).text for y in range(1, table.row_count + 1))
        if line.strip()
    }


async def test_search_finds_runs_by_name_and_by_a_metadata_value(plate_sweep: Sweep) -> None:
    total = len(plate_sweep.ids)
    async with dashboard(plate_sweep.server, rows=total) as (pilot, _app, screen, table):
        # By name: the runs of one alpha.
        await pilot.press("slash", *"a0.16")
        wanted = {f"plate-a0.16-n{n}" for n in SWEEP_RESOLUTIONS}
        await until(pilot, lambda: table.row_count == len(wanted), "the name search")
        assert {task.task_id for task in screen.state.window.loaded_tasks()} == {
            plate_sweep.ids[name] for name in wanted
        }
        assert _shown_names(screen) == wanted
        summary = str(screen.query_one("#filter-summary").render())
        assert f"search: a0.16 (all {total} rows)" in summary
        # key=value: one metadata key, exactly.
        await pilot.press(*["backspace"] * 5, *"resolution=12")
        await until(pilot, lambda: table.row_count == len(SWEEP_ALPHAS), "the key=value search")
        assert _shown_names(screen) == {f"plate-a{a}-n12" for a in SWEEP_ALPHAS}
        # Words and terms together; the project too is searched.
        await pilot.press(*["backspace"] * 13, *f"{SWEEP_PROJECT} alpha=0.30 n36")
        await until(pilot, lambda: table.row_count == 1, "words and a term")
        assert _shown_names(screen) == {"plate-a0.30-n36"}
        await pilot.press("enter", "escape")
        await until(pilot, lambda: table.row_count == total, "the search cleared")
        assert "filters: none" in str(screen.query_one("#filter-summary").render())


async def test_a_search_does_not_ask_the_server_at_every_key(
    plate_sweep: Sweep, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Typing re-filters the scan at hand: the server is asked by the refreshes, not the keys."""
    monkeypatch.setattr(main_module, "SEARCH_PAUSE", 3600.0)  # typing never pauses here
    async with dashboard(plate_sweep.server, rows=len(plate_sweep.ids), what="the table") as (
        pilot,
        _app,
        screen,
        table,
    ):
        await pilot.press("slash", "p")
        await until(pilot, lambda: screen.state.window.total is not None, "the scan")
        calls: list[tuple[object, object]] = []
        source = screen.state.source
        original = source.list_tasks

        async def counted(**kwargs: object) -> object:
            calls.append((kwargs.get("per_page"), kwargs.get("task_id_filter")))
            return await original(**kwargs)  # type: ignore[arg-type]

        source.list_tasks = counted  # type: ignore[method-assign]
        ticks = screen.state.ticks
        keys = [*"late-a0.3", "space", *"alpha=0.30"]
        for key in keys:
            await pilot.press(key)
            # Every key answered from the scan, at once.
            assert table.row_count == screen.state.window.total
        assert table.row_count == len(SWEEP_RESOLUTIONS)
        refreshes = screen.state.ticks - ticks
        lookups = [word for _, word in calls if word is not None]
        scans = [word for per_page, word in calls if per_page == SEARCH_SCAN and word is None]
        assert len(lookups) <= refreshes and len(scans) <= refreshes


async def _open_detail(pilot: Pilot[None], screen: MainScreen, task_id: str) -> TaskDetailScreen:
    """Search the task by id, open its detail screen, wait for it to load."""
    table = screen.query_one(TaskTable)
    await pilot.press("slash", *task_id, "enter")
    await until(pilot, lambda: table.cursor_id == task_id, "the task under the cursor")
    await pilot.press("enter")
    app = screen.app
    await until(pilot, lambda: isinstance(app.screen, TaskDetailScreen), "the detail")
    detail = app.screen
    assert isinstance(detail, TaskDetailScreen)
    await until(pilot, lambda: detail.loaded is not None, "the task loaded")
    return detail


async def test_metadata_edit_round_trip_through_the_server(plate_sweep: Sweep) -> None:
    task_id = plate_sweep.ids["plate-a0.22-n28"]
    async with dashboard(plate_sweep.server, rows=len(plate_sweep.ids), what="the table") as (
        pilot,
        app,
        screen,
        table,
    ):
        detail = await _open_detail(pilot, screen, task_id)
        title = str(detail.query_one("#detail-title", Label).render())
        assert title == f"Task plate-a0.22-n28 ({task_id})"
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, MetadataForm), "the form")
        # Change the name: Enter in the key fills in the value it has.
        await pilot.press(*"name", "enter")
        assert app.screen.query_one("#metadata-value", Input).value == "plate-a0.22-n28"
        app.screen.query_one("#metadata-value", Input).value = ""
        await pilot.press(*"best-run", "enter")
        server = plate_sweep.server
        with server.client() as client:
            url = f"/tasks/{task_id}/metadata"

            def metadata() -> dict[str, str]:
                return client.get(url).json()  # type: ignore[no-any-return]

            await until(pilot, lambda: metadata().get("name") == "best-run", "the PATCH")
            # Add a key, then remove another: the rest is kept.
            await pilot.press(*"verdict", "enter", *"keep", "enter")
            await until(pilot, lambda: "verdict" in metadata(), "the added key")
            await pilot.press(*"resolution")
            await pilot.click("#metadata-remove")
            await until(pilot, lambda: "resolution" not in metadata(), "the removed key")
            assert metadata() == {"name": "best-run", "alpha": "0.22", "verdict": "keep"}
            # A key with a space is refused in the form, before any request.
            await pilot.press(*"bad key", "tab", *"x", "enter")
            error = app.screen.query_one("#metadata-error", Label)
            await until(pilot, lambda: "space" in str(error.render()), "the refusal")
            assert "bad key" not in metadata()
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, TaskDetailScreen), "back to detail")
        await pilot.press("escape", "escape")  # the detail, then the search
        await until(pilot, lambda: table.row_count == len(plate_sweep.ids), "every row")
        # The table's NAME follows at its next refresh.
        await until(pilot, lambda: "best-run" in _shown_names(screen), "the new name")
        # Give the run its name back for the other tests of the module.
        with server.client() as client:
            client.patch(f"/tasks/{task_id}/metadata", json={"name": "plate-a0.22-n28"})
            client.patch(f"/tasks/{task_id}/metadata", json={"resolution": "28"})


async def _no_metadata_form(pilot: Pilot[None], detail: TaskDetailScreen) -> None:
    """``m`` on ``detail`` opens no form, and a toast says read-only mode is why."""
    await pilot.press("m")
    await pilot.pause(0.2)
    app = detail.app
    assert app.screen is detail
    messages = [str(n.message) for n in app._notifications]
    assert any("Read-only mode" in message for message in messages)


async def test_metadata_is_not_edited_in_read_only_mode(plate_sweep: Sweep) -> None:
    task_id = plate_sweep.ids["plate-a0.10-n20"]
    async with dashboard(
        plate_sweep.server, rows=len(plate_sweep.ids), what="the table", read_only=True
    ) as (pilot, _app, screen, _table):
        detail = await _open_detail(pilot, screen, task_id)
        await _no_metadata_form(pilot, detail)


async def test_the_palettes_read_only_switch_reaches_the_screens_opened_after_it(
    plate_sweep: Sweep,
) -> None:
    """The switch replaces the dashboard's screen context: a detail opened afterwards
    refuses a metadata edit as one opened in read-only mode from config does."""
    task_id = plate_sweep.ids["plate-a0.10-n20"]
    async with dashboard(plate_sweep.server, rows=len(plate_sweep.ids), what="the table") as (
        pilot,
        app,
        screen,
        _table,
    ):
        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette), "the palette")
        await pilot.press(*"read-only mode")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await until(pilot, lambda: screen.context.read_only, "the switch")
        detail = await _open_detail(pilot, screen, task_id)
        assert detail.context.read_only
        await _no_metadata_form(pilot, detail)


async def test_keys_typed_in_one_burst_with_the_slash_go_to_the_search(
    plate_sweep: Sweep,
) -> None:
    """'/a0.16' pasted or typed fast: the keys after '/' reached the table before the box
    opened, and were lost ('p' opened the project picker)."""
    async with dashboard(plate_sweep.server, rows=len(plate_sweep.ids), what="the table") as (
        pilot,
        app,
        screen,
        table,
    ):
        for key, character in [("slash", "/"), *((c, c) for c in "plate-a0.16")]:
            app.post_message(events.Key(key, character))  # one burst: no pause between
        await until(pilot, lambda: table.row_count == len(SWEEP_RESOLUTIONS), "the search")
        assert screen.query_one("#filter-input", Input).value == "plate-a0.16"
        assert app.screen is screen  # no project picker
