"""The task table against Textual's DataTable, with 100 / 10,000 / 100,000 tasks.

For each size this seeds a data dir (``inductiva-top seed``), starts a real
embedded server on it, and measures, headless (``App.run_test``), in the same
run:

* the dashboard: time to its first frame with rows, and the cost of one
  refresh (requests, bytes received, seconds), which should not depend on
  how many tasks exist;
* a DataTable app showing the same rows and columns: the time to fetch every
  task (page by page) and load them into the DataTable, to its first frame,
  and the cost of one refresh (fetch everything again, reload the table).

Run: ``.venv/bin/python bench/bench_table.py [--sizes 100,10000,100000]
[--work-dir DIR]``. Seeded data dirs are kept in the work dir and reused.
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from inductiva_top.api.client import InductivaClient
from inductiva_top.api.models import Task
from inductiva_top.config import Config
from inductiva_top.config.secret import Secret
from inductiva_top.monitor import fmt
from inductiva_top.ui.app import InductivaTopApp
from inductiva_top.ui.columns import RowContext, columns_from_config, render_cell
from inductiva_top.ui.screens.main import MainScreen
from inductiva_top.ui.widgets.task_table import TaskTable

SIZE = (120, 40)
FETCH_PAGE = 500  # the API's largest page


@dataclass
class Cost:
    """What one operation cost."""

    seconds: float
    requests: int
    received: int

    def __str__(self) -> str:
        return f"{self.seconds:7.3f} s {self.requests:5d} req {self.received / 1024:9.1f} KiB"


class Server:
    """``inductiva-top serve`` on a data dir, on a free loopback port."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.process: subprocess.Popen[bytes] | None = None
        self.base_url = ""

    @property
    def api_key(self) -> str:
        return (self.data_dir / "api_key").read_text(encoding="ascii").strip()

    def __enter__(self) -> Server:
        url_file = self.data_dir / "server.url"
        url_file.unlink(missing_ok=True)
        command = [sys.executable, "-m", "inductiva_top", "serve", "--port", "0"]
        command += ["--data-dir", str(self.data_dir), "--log-level", "warning"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("the server exited at start")
            if url_file.exists():
                self.base_url = url_file.read_text(encoding="ascii").strip()
                try:
                    httpx.get(f"{self.base_url}/version", headers={"X-API-Key": self.api_key})
                    return self
                except httpx.TransportError:
                    pass
            time.sleep(0.05)
        raise RuntimeError("the server did not start")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)


def seeded_dir(work: Path, tasks: int) -> Path:
    """A data dir holding ``tasks`` finished tasks (seeded once, then reused)."""
    data_dir = work / f"seed-{tasks}"
    done = data_dir / ".seeded"
    if not done.exists():
        shutil.rmtree(data_dir, ignore_errors=True)
        command = [sys.executable, "-m", "inductiva_top", "seed", "--tasks", str(tasks)]
        command += ["--data-dir", str(data_dir), "--seed", "7"]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        done.touch()
    return data_dir


async def until(condition: Callable[[], object], limit: float = 600) -> None:
    """Wait (without waiting for the app to be idle) until ``condition()`` holds."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the app never got there")
        await asyncio.sleep(0.002)


async def bench_dashboard(server: Server) -> tuple[float, Cost]:
    """First frame with rows, and one refresh of the dashboard."""
    config = Config(api_url=server.base_url, api_key=Secret(server.api_key), refresh=60)
    started = time.perf_counter()
    app = InductivaTopApp(config)
    async with app.run_test(size=SIZE) as pilot:
        await until(lambda: isinstance(app.screen, MainScreen))
        screen = app.screen
        assert isinstance(screen, MainScreen)
        table = screen.query_one(TaskTable)
        # The table has its rows and cursor; the next screen update paints them.
        await until(lambda: table.cursor_id is not None)
        first_frame = time.perf_counter() - started
        # Stop the loop so only the measured tick talks to the server.
        app.workers.cancel_group(screen, "poll")
        await pilot.pause()
        client = app.source
        assert isinstance(client, InductivaClient)
        before = client.stats.snapshot()
        tick_started = time.perf_counter()
        await screen.state.tick()
        screen._show()
        await pilot.pause()
        seconds = time.perf_counter() - tick_started
        spent = client.stats - before
    return first_frame, Cost(seconds, spent.requests, spent.bytes_received)


async def fetch_all(client: InductivaClient) -> list[Task]:
    """Every task, page by page, as a DataTable needs them."""
    first = await client.list_tasks(page=1, per_page=FETCH_PAGE)
    pages = -(-first.total_size // FETCH_PAGE)
    tasks = list(first.tasks)
    for page in range(2, pages + 1):
        tasks.extend((await client.list_tasks(page=page, per_page=FETCH_PAGE)).tasks)
    return tasks


class DataTableApp(App[None]):
    """Textual's DataTable with the dashboard's columns."""

    def compose(self) -> ComposeResult:
        yield DataTable(id="table")

    def load(self, tasks: list[Task]) -> None:
        columns, _ = columns_from_config(None)
        table = self.query_one(DataTable)
        table.clear(columns=True)
        table.add_columns(*(column.title for column in columns))
        now = fmt.system_clock()
        table.add_rows(
            [
                render_cell(column, task, RowContext(now, task.status, task.status_alias))
                for column in columns
            ]
            for task in tasks
        )


async def bench_datatable(server: Server) -> tuple[float, Cost]:
    """First frame with every row fetched and loaded, and one full refresh."""
    async with InductivaClient(server.base_url, server.api_key) as client:
        started = time.perf_counter()
        app = DataTableApp()
        async with app.run_test(size=SIZE) as pilot:
            app.load(await fetch_all(client))
            await pilot.pause()
            first_frame = time.perf_counter() - started
            before = client.stats.snapshot()
            refresh_started = time.perf_counter()
            app.load(await fetch_all(client))
            await pilot.pause()
            seconds = time.perf_counter() - refresh_started
            spent = client.stats - before
    return first_frame, Cost(seconds, spent.requests, spent.bytes_received)


async def warm_up(server: Server) -> None:
    """One listing first, so neither table pays for the server's cold caches."""
    async with InductivaClient(server.base_url, server.api_key) as client:
        await client.list_tasks(per_page=1)
        await client.list_projects()


async def bench(sizes: list[int], work: Path) -> None:
    print(f"{'tasks':>8}  {'table':<9} {'first frame':>11}  one refresh")
    for tasks in sizes:
        with Server(seeded_dir(work, tasks)) as server:
            await warm_up(server)
            first, refresh = await bench_dashboard(server)
            print(f"{tasks:>8,}  {'TaskTable':<9} {first:9.3f} s  {refresh}", flush=True)
            first, refresh = await bench_datatable(server)
            print(f"{tasks:>8,}  {'DataTable':<9} {first:9.3f} s  {refresh}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,10000,100000", help="comma-separated task counts")
    parser.add_argument("--work-dir", type=Path, help="where seeded data dirs are kept")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    work = args.work_dir or Path(tempfile.gettempdir()) / "inductiva-top-bench"
    work.mkdir(parents=True, exist_ok=True)
    asyncio.run(bench(sizes, work))


if __name__ == "__main__":
    main()
