"""What one refresh of the project board and of the sweep table costs, with 100 / 10,000 tasks.

For each size this seeds a data dir holding one project of that many finished
tasks (``inductiva-top seed --projects 1``; their metadata varies, so the
sweep table has parameter columns), starts a real embedded server on it, and
measures with the client's counters what the screens' ticks send and receive
(:class:`~inductiva_top.monitor.batch.feeds.BoardFeed`,
:class:`~inductiva_top.monitor.batch.feeds.SweepFeed`: the code the screens
poll with) and what the totals line of the table costs:

* board: one refresh (``GET /projects``);
* sweep, steady: one refresh while the project did not change (``GET
  /projects/{name}``);
* sweep, rows reloaded: one refresh after the project changed (or F5), which
  fetches every run again (``tasks_info?select=distinct``);
* totals of the table filtered to the project (``tasks_info?select=all``,
  one request) and unfiltered (``GET /tasks`` page by page).

Run: ``.venv/bin/python bench/bench_batch.py [--sizes 100,10000] [--work-dir DIR]``.
Seeded data dirs are kept in the work dir and reused. Figures are printed,
never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from bench_table import Server
from inductiva_top.api.client import InductivaClient
from inductiva_top.monitor.batch.feeds import BoardFeed, SweepFeed
from inductiva_top.monitor.batch.totals import view_totals
from inductiva_top.monitor.rows.window import TaskQuery


@dataclass(frozen=True)
class Wire:
    """What one operation sent over the wire."""

    requests: int
    received: int

    def __str__(self) -> str:
        return f"{self.requests} req, {self.received / 1024:.1f} KiB"


def project_dir(work: Path, tasks: int) -> Path:
    """A data dir of ``tasks`` finished tasks in one project (seeded once, then reused)."""
    data_dir = work / f"project-{tasks}"
    done = data_dir / ".seeded"
    if not done.exists():
        shutil.rmtree(data_dir, ignore_errors=True)
        command = [sys.executable, "-m", "inductiva_top", "seed", "--tasks", str(tasks)]
        command += ["--projects", "1", "--data-dir", str(data_dir), "--seed", "7"]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        done.touch()
    return data_dir


def _now() -> datetime:
    return datetime.now(timezone.utc)


async def _cost(client: InductivaClient, operation: Callable[[], Awaitable[object]]) -> Wire:
    before = client.stats.snapshot()
    await operation()
    spent = client.stats - before
    return Wire(spent.requests, spent.bytes_received)


async def _totals(client: InductivaClient, query: TaskQuery) -> None:
    async for _ in view_totals(client, query, _now()):
        pass


async def measure(server: Server) -> dict[str, Wire]:
    """Each operation's cost on ``server`` (one project)."""
    async with InductivaClient(server.base_url, server.api_key) as client:
        board = BoardFeed(client, _now)
        await board.tick()  # warm: the server's caches, the feed's first rows
        assert board.projects, "the seeded server has no project"
        name = board.projects[0].name
        sweep = SweepFeed(client, name)
        await sweep.tick()
        costs = {
            "board, one refresh": await _cost(client, board.tick),
            "sweep, one refresh (project unchanged)": await _cost(client, sweep.tick),
        }
        sweep.reload_rows()
        costs["sweep, one refresh (rows reloaded)"] = await _cost(client, sweep.tick)
        costs["totals, table filtered to the project"] = await _cost(
            client, lambda: _totals(client, TaskQuery(project=name))
        )
        costs["totals, table unfiltered"] = await _cost(
            client, lambda: _totals(client, TaskQuery())
        )
        return costs


async def bench(sizes: list[int], work: Path) -> dict[int, dict[str, Wire]]:
    """Every size's costs, printed as they come."""
    results: dict[int, dict[str, Wire]] = {}
    for tasks in sizes:
        with Server(project_dir(work, tasks)) as server:
            results[tasks] = await measure(server)
        for what, wire in results[tasks].items():
            print(f"{tasks:>7,} tasks  {what:<40} {wire}", flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,10000", help="comma-separated task counts")
    parser.add_argument("--work-dir", type=Path, help="where seeded data dirs are kept")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    work = args.work_dir or Path(tempfile.gettempdir()) / "inductiva-top-bench"
    work.mkdir(parents=True, exist_ok=True)
    asyncio.run(bench(sizes, work))


if __name__ == "__main__":
    main()
