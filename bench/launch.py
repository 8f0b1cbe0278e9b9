"""Launch to the 15 newest rows on screen, beside the official CLI's ``inductiva tasks list -n 15``.

Against one server holding 100,000 tasks (``bench_table.seeded_dir``), in
turns, so both see the same machine load:

* ``inductiva-top`` in a 120x40 pty, timed from the spawn until the short
  ids of the 15 newest tasks have all been written to the terminal;
* the official CLI (``inductiva==0.18.12`` in a venv of its own, built once
  under the work dir as the end-to-end tests build theirs), timed from the
  spawn until it exits, its output checked for the same 15 ids.

One more dashboard run goes through ``launch_probe.py``, which notes when
each stage of the launch is reached: imports, app start, the first request
and its response, the main screen composed; the paint is when the rows were
written. Its figures are per stage, since the spawn.

Run: ``.venv/bin/python bench/launch.py [--runs 3] [--work-dir DIR]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

import bench_table
from pty_bench import PtyProgram, dashboard_env

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
# The repository root is on the path now.
from tests.e2e.official_client import (
    OFFICIAL_VERSION,
    OfficialClientUnavailable,
    cli,
    client_env,
    official_python,
)

ROWS = 15
LIMIT = 60.0
SHORT_ID = 6
"""Characters of a task id the table shows at least."""
PROBE = Path(__file__).with_name("launch_probe.py")


@dataclass
class Launches:
    """Seconds per run of each side, and one probed run's stages."""

    dashboard: list[float] = field(default_factory=list)
    official: list[float] = field(default_factory=list)
    stages: list[tuple[str, float]] = field(default_factory=list)
    official_error: str | None = None
    rss: int = 0
    """The dashboard's resident memory two seconds after its rows were written."""

    @property
    def ratio(self) -> float | None:
        if not self.dashboard or not self.official:
            return None
        return statistics.median(self.dashboard) / statistics.median(self.official)


def newest_ids(url: str, key: str) -> list[str]:
    response = httpx.get(
        url + "/tasks", params={"per_page": ROWS}, headers={"X-API-Key": key}, timeout=30
    )
    response.raise_for_status()
    return [task["task_id"] for task in response.json()["tasks"]]


def dashboard_launch(
    command: list[str], env: dict[str, str], ids: list[str], launches: Launches | None = None
) -> float:
    """Seconds from the spawn until every id's short form has been written.

    With ``launches``, its ``rss`` gets the resident memory two seconds later.
    """
    started = time.perf_counter()
    program = PtyProgram(command, env)
    try:
        for task_id in ids:
            left = LIMIT - (time.perf_counter() - started)
            if program.wait_for(task_id[:SHORT_ID].encode(), 0, left) is None:
                raise RuntimeError(f"the dashboard never showed {task_id} within {LIMIT:g} s")
        seconds = time.perf_counter() - started
        if launches is not None:
            time.sleep(2.0)
            launches.rss = program.rss_bytes()
        return seconds
    finally:
        program.close()


def official_launch(python: Path, env: dict[str, str], ids: list[str], cwd: Path) -> float:
    """Seconds the official CLI takes to list the 15 newest tasks."""
    started = time.perf_counter()
    done = subprocess.run(
        cli(python, "tasks", "list", "-n", str(ROWS)),
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=LIMIT,
        check=False,
    )
    seconds = time.perf_counter() - started
    missing = [task_id for task_id in ids if task_id not in done.stdout]
    if done.returncode != 0 or missing:
        raise RuntimeError(
            f"inductiva tasks list exited {done.returncode}, missing {len(missing)} ids:\n"
            f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
        )
    return seconds


def probed_stages(env: dict[str, str], ids: list[str], work: Path) -> list[tuple[str, float]]:
    """One launch through the probe: (stage, seconds since the spawn), in order."""
    timings = work / "launch-stages.txt"
    timings.unlink(missing_ok=True)
    spawned = time.time()
    probe_env = {**env, "BENCH_SPAWNED": repr(spawned), "BENCH_TIMINGS": str(timings)}
    # The repository's bench/ is not on the installed package's path: run the file.
    painted = dashboard_launch([sys.executable, str(PROBE)], probe_env, ids)
    stages = []
    for line in timings.read_text(encoding="ascii").splitlines():
        name, seconds = line.rsplit(" ", 1)
        stages.append((name, float(seconds)))
    stages.append(("rows painted", painted))
    return sorted(stages, key=lambda stage: stage[1])


def measure(data_dir: Path, work: Path, runs: int) -> Launches:
    """``runs`` launches of each side in turn (after one unmeasured warm-up each)."""
    got = Launches()
    try:
        python: Path | None = official_python(work / f"inductiva-official-{OFFICIAL_VERSION}")
    except (OfficialClientUnavailable, subprocess.TimeoutExpired) as error:
        python, got.official_error = None, str(error).splitlines()[-1]
    command = [str(Path(sys.executable).with_name("inductiva-top"))]
    with bench_table.Server(data_dir) as server:
        ids = newest_ids(server.base_url, server.api_key)
        env = dashboard_env(work / "launch-home", server.base_url, server.api_key)
        official_env = client_env(server.base_url, server.api_key, work / "official-home")
        (work / "official-home").mkdir(exist_ok=True)
        dashboard_launch(command, env, ids, got)
        if python is not None:
            official_launch(python, official_env, ids, work)
        for _ in range(runs):
            got.dashboard.append(dashboard_launch(command, env, ids))
            if python is not None:
                got.official.append(official_launch(python, official_env, ids, work))
        got.stages = probed_stages(env, ids, work)
    return got


def describe_stages(stages: list[tuple[str, float]]) -> str:
    """``interpreter 0.05 s, imports 0.41 s, ...``: each stage since the spawn."""
    return ", ".join(f"{name} {seconds:.2f}" for name, seconds in stages) + " s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="launches of each side (3)")
    parser.add_argument("--tasks", type=int, default=100_000, help="tasks stored (100,000)")
    parser.add_argument("--work-dir", type=Path, help="where seeded data dirs are kept")
    args = parser.parse_args(argv)
    work = args.work_dir or Path(tempfile.gettempdir()) / "inductiva-top-bench"
    work.mkdir(parents=True, exist_ok=True)
    got = measure(bench_table.seeded_dir(work, args.tasks), work, args.runs)
    print(f"dashboard: {', '.join(f'{s:.2f}' for s in got.dashboard)} s")
    print(f"official:  {', '.join(f'{s:.2f}' for s in got.official)} s {got.official_error or ''}")
    if got.ratio is not None:
        print(f"ratio of medians: x{got.ratio:.2f} (target <= x0.5)")
    print(f"stages: {describe_stages(got.stages)}")
    print(f"resident memory: {got.rss / 2**20:,.0f} MiB")
    print(f"load: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
