"""The launch runs without the cyclic collector, which resumes after the first rows (issue 16).

No timings (the bench measures the launch): these tests check that the
collector is off while the dashboard starts and always comes back, with rows,
with an error, or with neither.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
from collections.abc import Iterator

import pytest

from inductiva_top.api.errors import ConnectionFailed
from inductiva_top.api.models import TaskPage
from inductiva_top.cli import build_parser, dashboard
from inductiva_top.config import Config
from inductiva_top.config.secret import Secret
from inductiva_top.ui import app as ui_app
from inductiva_top.ui import launch_gc
from inductiva_top.ui.app import InductivaTopApp
from inductiva_top.ui.widgets.task_table import TaskTable
from tests.ui.dashboard_helpers import until
from tests.unit.test_dashboard_state import MemorySource, _task


@pytest.fixture
def collector() -> Iterator[None]:
    """Leave the collector as the test found it (on, nothing frozen)."""
    assert gc.isenabled()
    try:
        yield
    finally:
        launch_gc.resume()
        launch_gc.release()
        gc.enable()


def _config() -> Config:
    return Config(api_url="http://127.0.0.1:9", api_key=Secret("k"))


def test_pause_stops_the_collector_and_resume_brings_it_back_frozen(collector: None) -> None:
    found = gc.get_threshold()
    launch_gc.pause()
    assert not gc.isenabled() and launch_gc.paused()
    launch_gc.resume()
    assert gc.isenabled() and not launch_gc.paused()
    assert gc.get_freeze_count() > 0  # what the launch built is not walked again
    # A busy screen's redraws make thousands of short-lived objects a second.
    assert gc.get_threshold()[0] == launch_gc.YOUNG_THRESHOLD
    launch_gc.release()
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == found


def test_resume_leaves_a_collector_it_did_not_stop_alone(collector: None) -> None:
    launch_gc.resume()
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.disable()  # an embedding program that runs without it
    launch_gc.pause()
    assert not launch_gc.paused()
    launch_gc.resume()
    assert not gc.isenabled()


def test_the_dashboard_command_pauses_the_collector_before_the_app(
    collector: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[bool] = []

    def run_dashboard(config: Config) -> int:
        seen.append(launch_gc.paused())
        return 0

    monkeypatch.setattr(ui_app, "run_dashboard", run_dashboard)
    args: argparse.Namespace = build_parser().parse_args(["--api-url", "http://127.0.0.1:9"])
    assert dashboard.run(args) == 0
    assert seen == [True]


@pytest.fixture
def no_backstop(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app's timer comes too late to be what resumes the collector here."""
    monkeypatch.setattr(launch_gc, "RESUME_AFTER", 600.0)


@pytest.mark.usefixtures("no_backstop")
async def test_the_collector_resumes_once_the_first_rows_are_painted(collector: None) -> None:
    source = MemorySource([_task(f"task-{n}") for n in range(3)])
    launch_gc.pause()
    app = InductivaTopApp(_config(), source=source)  # type: ignore[arg-type]
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.screen.query_one(TaskTable).row_count == 3, "the rows")
        await until(pilot, lambda: not launch_gc.paused(), "the collector back")
        assert gc.isenabled()


class FailingSource(MemorySource):
    async def list_tasks(self, **_: object) -> TaskPage:
        raise ConnectionFailed("cannot connect")


@pytest.mark.usefixtures("no_backstop")
async def test_the_collector_resumes_when_the_first_refresh_fails(collector: None) -> None:
    launch_gc.pause()
    app = InductivaTopApp(_config(), source=FailingSource([]))  # type: ignore[arg-type]
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: not launch_gc.paused(), "the collector back")
        assert gc.isenabled()


class HungSource(MemorySource):
    async def list_tasks(self, **_: object) -> TaskPage:
        await asyncio.Event().wait()
        raise AssertionError("never answered")


async def test_the_collector_resumes_when_no_answer_comes(
    collector: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(launch_gc, "RESUME_AFTER", 0.05)
    launch_gc.pause()
    app = InductivaTopApp(_config(), source=HungSource([]))  # type: ignore[arg-type]
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: not launch_gc.paused(), "the collector back")
        assert gc.isenabled()
