"""``GET /tasks`` of the embedded server with 100,000 tasks stored: is a 50-task page under 20 ms?

What it does, all on loopback:

1. seeds a data dir with ``--tasks`` finished tasks (``inductiva-top seed``;
   the seeding time is printed), or reuses ``--data-dir`` if it has tasks;
2. starts the real server on it (``inductiva-top serve --port 0`` in a
   subprocess, uvicorn, as a user runs it);
3. for each listing (newest first, a status filter, a project filter, other
   sorts (a ticking one on its middle page too), the middle and the last
   page) times ``--requests`` sequential requests of a 50-task page: alone,
   then again while ``--pollers`` dashboards poll the default page every
   ``--poll-interval`` seconds (each its own connection, in a separate
   process so the measuring client is not slowed by them);
4. prints p50/p99 per listing against the target (p99 < 20 ms), the time the
   query itself takes in-process, and, for any listing that misses, SQLite's
   ``EXPLAIN QUERY PLAN`` of its statements.

Run: ``.venv/bin/python bench/bench_server.py [--quick]``. Figures are printed,
never asserted. Latencies include the client's own time on a shared machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

import httpx

from inductiva_top.server.layout import DataDir
from inductiva_top.server.seed.fill import SeedError, seed
from inductiva_top.server.tasks import queries

TARGET_P99_MS = 20.0
PER_PAGE = 50
START_TIMEOUT = 60.0
MAX_POLLERS = 200


@dataclass(frozen=True)
class Listing:
    """One ``GET /tasks`` query to time."""

    name: str
    params: dict[str, Any]


@dataclass
class Figures:
    """Latencies of one listing, in milliseconds."""

    alone: list[float] = field(default_factory=list)
    loaded: list[float] = field(default_factory=list)
    db: list[float] = field(default_factory=list)


def percentile(values: list[float], fraction: float) -> float:
    """The ``fraction`` quantile (nearest rank) of ``values``; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


# -- the server ---------------------------------------------------------------


@contextlib.contextmanager
def running_server(data: DataDir, log_path: Path) -> Iterator[tuple[str, str]]:
    """``(base_url, api_key)`` of a real server on ``data``, stopped (SIGTERM) on exit."""
    data.url_file.unlink(missing_ok=True)
    command = [
        sys.executable, "-m", "inductiva_top", "serve", "--port", "0",
        "--data-dir", str(data.root), "--slots", "1",
    ]  # fmt: skip
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited ({process.returncode}); see {log_path}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start in {START_TIMEOUT:g} s")
            if data.url_file.exists() and data.api_key_file.exists():
                url = data.url_file.read_text(encoding="ascii").strip()
                key = data.api_key_file.read_text(encoding="ascii").strip()
                with contextlib.suppress(httpx.TransportError):
                    if httpx.get(url + "/version", headers={"X-API-Key": key}).status_code == 200:
                        break
            time.sleep(0.1)
        yield url, key
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# -- measuring ----------------------------------------------------------------


async def time_listing(client: httpx.AsyncClient, listing: Listing, count: int) -> list[float]:
    """Milliseconds of ``count`` sequential requests (after a few unmeasured ones)."""
    params = {"per_page": PER_PAGE, **listing.params}
    for _ in range(min(10, count)):
        (await client.get("/tasks", params=params)).raise_for_status()
    times = []
    for _ in range(count):
        started = time.perf_counter()
        response = await client.get("/tasks", params=params)
        times.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return times


async def measure(url: str, key: str, listings: list[Listing], count: int) -> list[list[float]]:
    headers = {"X-API-Key": key}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30.0) as client:
        return [await time_listing(client, listing, count) for listing in listings]


async def _poll(
    client: httpx.AsyncClient, interval: float, stop: Event, times: list[float] | None
) -> None:
    """One dashboard: the default page every ``interval`` seconds (``times`` gets latencies)."""
    params = {"per_page": PER_PAGE}
    while not stop.is_set():
        started = time.perf_counter()
        with contextlib.suppress(httpx.HTTPError):
            (await client.get("/tasks", params=params)).raise_for_status()
            if times is not None:
                times.append((time.perf_counter() - started) * 1000)
        await asyncio.sleep(max(0.0, interval - (time.perf_counter() - started)))


def pollers_process(
    url: str,
    key: str,
    count: int,
    interval: float,
    limit: float,
    ready: Event,
    stop: Event,
    out: Any,
) -> None:
    """Run ``count`` pollers until ``stop`` is set or ``limit`` seconds pass; report latencies.

    ``ready`` is set once every poller has its connection and has fetched a page.
    """
    times: list[float] = []

    async def one(client: httpx.AsyncClient) -> None:
        await asyncio.sleep(random.uniform(0, interval))
        await _poll(client, interval, stop, times)

    async def main() -> None:
        headers = {"X-API-Key": key}
        clients = [
            httpx.AsyncClient(base_url=url, headers=headers, timeout=30.0) for _ in range(count)
        ]
        try:
            for client in clients:
                (await client.get("/tasks", params={"per_page": PER_PAGE})).raise_for_status()
            ready.set()
            pollers = [asyncio.create_task(one(client)) for client in clients]
            deadline = time.monotonic() + limit
            while not stop.is_set() and time.monotonic() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.1)  # a multiprocessing Event cannot be awaited
            stop.set()
            await asyncio.gather(*pollers)
        finally:
            for client in clients:
                await client.aclose()

    asyncio.run(main())
    out.put(times)


def db_times(database: Path, listings: list[Listing], count: int) -> list[list[float]]:
    """Milliseconds of the query alone, in-process (what the route does before HTTP)."""
    conn = sqlite3.connect(database)
    conn.row_factory = sqlite3.Row
    results = []
    try:
        for listing in listings:
            query = _task_query(listing)
            times = []
            for _ in range(count):
                started = time.perf_counter()
                queries.page_json(conn, query)
                times.append((time.perf_counter() - started) * 1000)
            results.append(times)
    finally:
        conn.close()
    return results


def _task_query(listing: Listing) -> queries.TaskQuery:
    params = listing.params
    sort = params.get("sort")
    return queries.TaskQuery(
        page=int(params.get("page", 1)),
        per_page=PER_PAGE,
        status=params.get("status"),
        project=params.get("project"),
        sort=queries.parse_sort([sort] if sort else None),
    )


def explain(database: Path, listing: Listing) -> list[str]:
    """The statements a listing runs, each with its query plan."""
    conn = sqlite3.connect(database)
    conn.row_factory = sqlite3.Row
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    try:
        queries.page_json(conn, _task_query(listing))
        conn.set_trace_callback(None)
        lines = []
        for statement in statements:
            shown = statement if len(statement) < 160 else statement[:157] + "..."
            lines.append(f"    {shown}")
            for row in conn.execute("EXPLAIN QUERY PLAN " + statement):
                lines.append(f"        {row[3]}")
        return lines
    finally:
        conn.close()


# -- the run ------------------------------------------------------------------


def listings_for(url: str, key: str, total: int) -> list[Listing]:
    """The listings to time; filters pick a status and a project of typical size."""
    projects = httpx.get(
        url + "/projects", params={"per_page": 100}, headers={"X-API-Key": key}
    ).json()
    sizes = sorted(projects, key=lambda project: project["num_tasks"])
    project = sizes[len(sizes) // 2]["name"] if sizes else "default"
    middle = max(1, total // PER_PAGE // 2)
    last = max(1, -(-total // PER_PAGE))
    return [
        Listing("newest first (default)", {}),
        Listing("status=failed", {"status": "failed"}),
        Listing(f"project={project}", {"project": project}),
        Listing("sort=end_time:desc", {"sort": "end_time:desc"}),
        Listing("sort=status:asc", {"sort": "status:asc"}),
        Listing("sort=computation_seconds:desc", {"sort": "computation_seconds:desc"}),
        Listing(
            f"run time, middle page ({middle})",
            {"sort": "computation_seconds:desc", "page": middle},
        ),
        Listing("sort=position_in_queue:asc", {"sort": "position_in_queue:asc"}),
        Listing(f"middle page ({middle})", {"page": middle}),
        Listing(f"last page ({last})", {"page": last}),
    ]


def machine_load() -> str:
    """Load average and CPU pressure: the figures mean little on a busy machine."""
    one, five, _ = os.getloadavg()
    text = f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs"
    with contextlib.suppress(OSError, IndexError, ValueError):
        first = Path("/proc/pressure/cpu").read_text(encoding="ascii").splitlines()[0]
        text += f"; CPU pressure {first.split()[1].split('=')[1]}% (10 s)"
    return text


def stored_tasks(data: DataDir) -> int:
    if not data.database.exists():
        return 0
    with contextlib.closing(sqlite3.connect(data.database)) as conn:
        try:
            return int(conn.execute("SELECT COUNT(*) FROM tasks").fetchone()[0])
        except sqlite3.Error:
            return 0


def _verdict(times: list[float]) -> str:
    return "met" if percentile(times, 0.99) < TARGET_P99_MS else "MISSED"


def print_table(listings: list[Listing], figures: list[Figures], pollers: int) -> list[Listing]:
    """Print the figures; returns the listings that miss the target (alone or loaded)."""
    loaded = f"+{pollers} pollers"
    header = (
        f"{'listing (50-task page)':30} {'query':>6} | {'alone p50':>9} {'p99':>6} {'p99<20':>6} "
        f"| {loaded + ' p50':>16} {'p99':>6} {'p99<20':>6}"
    )
    print(header)
    print("-" * len(header))
    missed = []
    for listing, got in zip(listings, figures, strict=True):
        alone, busy = _verdict(got.alone), _verdict(got.loaded)
        if "MISSED" in (alone, busy):
            missed.append(listing)
        print(
            f"{listing.name:30} {percentile(got.db, 0.5):6.2f} | "
            f"{percentile(got.alone, 0.5):9.2f} {percentile(got.alone, 0.99):6.2f} {alone:>6} | "
            f"{percentile(got.loaded, 0.5):16.2f} {percentile(got.loaded, 0.99):6.2f} {busy:>6}"
        )
    print(
        "(milliseconds; 'query' is the p50 of the SQL and JSON assembly in-process, "
        "without HTTP; target: p99 < 20 ms)"
    )
    return missed


def time_listings(
    url: str, key: str, listings: list[Listing], args: argparse.Namespace
) -> tuple[list[Figures], list[float]]:
    """Latencies of each listing alone, then under ``args.pollers`` pollers; the pollers' own.

    ``args`` needs ``requests``, ``pollers``, ``poll_interval`` and ``max_seconds``.
    """
    figures = [Figures() for _ in listings]
    print(f"timing {args.requests} requests per listing, alone ...", flush=True)
    for got, times in zip(figures, measure_sync(url, key, listings, args), strict=True):
        got.alone = times
    print(
        f"... and with {args.pollers} pollers (one page every {args.poll_interval:g} s each)",
        flush=True,
    )
    context = multiprocessing.get_context("spawn")
    ready, stop = context.Event(), context.Event()
    out = context.Queue()
    limit = args.max_seconds
    poller = context.Process(
        target=pollers_process,
        args=(url, key, args.pollers, args.poll_interval, limit, ready, stop, out),
        daemon=True,
    )
    poller.start()
    try:
        if not ready.wait(timeout=120):
            raise RuntimeError("the pollers did not start within 120 s")
        time.sleep(args.poll_interval)  # their requests are spread over an interval
        for got, times in zip(figures, measure_sync(url, key, listings, args), strict=True):
            got.loaded = times
    finally:
        stop.set()
        poll_times: list[float] = out.get(timeout=limit + 30)
        poller.join(timeout=30)
    return figures, poll_times


def run(args: argparse.Namespace, root: Path) -> int:
    data = DataDir(root)
    stored = stored_tasks(data)
    if stored == 0:
        print(f"seeding {args.tasks:,} tasks into {root} ...", flush=True)
        try:
            result = seed(data, tasks=args.tasks, projects=8, seed=1)
        except SeedError as error:
            print(f"bench_server: {error}", file=sys.stderr)
            return 1
        stored = result.tasks
        print(
            f"seeded {result.tasks:,} tasks in {result.seconds:.1f} s "
            f"({result.cpu_seconds:.1f} s of CPU; target: 100,000 in under 30 s); "
            f"{machine_load()}"
        )
    else:
        print(f"reusing {root} with {stored:,} tasks")
    log = root.parent / f"{root.name}-server.log"
    with running_server(data, log) as (url, key):
        listings = listings_for(url, key, stored)
        figures, poll_times = time_listings(url, key, listings, args)
    for got, times in zip(figures, db_times(data.database, listings, args.requests), strict=True):
        got.db = times
    print()
    print(f"{stored:,} tasks stored; {machine_load()}")
    missed = print_table(listings, figures, args.pollers)
    if poll_times:
        print(
            f"pollers: {len(poll_times)} requests, p50 {percentile(poll_times, 0.5):.2f} ms, "
            f"p99 {percentile(poll_times, 0.99):.2f} ms, "
            f"mean {statistics.fmean(poll_times):.2f} ms"
        )
    for listing in missed if not args.explain else listings:
        print(f"\nquery plan of {listing.name}:")
        print("\n".join(explain(data.database, listing)))
    return 0


def measure_sync(url: str, key: str, listings: list[Listing], args: argparse.Namespace) -> Any:
    return asyncio.run(
        asyncio.wait_for(measure(url, key, listings, args.requests), timeout=args.max_seconds)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 tasks, 100 requests")
    parser.add_argument("--tasks", type=int, default=100_000, help="tasks to seed (100,000)")
    parser.add_argument("--requests", type=int, default=500, help="requests per listing (500)")
    parser.add_argument("--pollers", type=int, default=50, help="concurrent pollers (50)")
    parser.add_argument(
        "--poll-interval", type=float, default=1.0, help="seconds between a poller's requests (1)"
    )
    parser.add_argument(
        "--max-seconds", type=float, default=600.0, help="bound on each timed phase (600)"
    )
    parser.add_argument("--data-dir", type=Path, help="seed here (or reuse it) and keep it")
    parser.add_argument("--explain", action="store_true", help="print every query plan")
    args = parser.parse_args(argv)
    if args.quick:
        args.tasks, args.requests = min(args.tasks, 10_000), min(args.requests, 100)
    if not 1 <= args.pollers <= MAX_POLLERS:
        parser.error(f"--pollers must be between 1 and {MAX_POLLERS}")
    if args.requests < 1 or args.tasks < 1 or args.poll_interval <= 0:
        parser.error("--requests, --tasks and --poll-interval must be positive")
    if args.data_dir is not None:
        return run(args, args.data_dir.expanduser().resolve())
    with tempfile.TemporaryDirectory(prefix="bench-server-") as work:
        return run(args, Path(work) / "data")


if __name__ == "__main__":
    sys.exit(main())
