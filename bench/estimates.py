"""How far the start and finish estimates are from what happens, on the embedded server.

A workload of tasks of known but varied durations goes through one machine
group with fewer slots than tasks: ``sleep`` tasks of 3 to 6 s (project
``quick``) and solver tasks of 8 to 12 s that print a ``\\r`` progress bar
``step i/N`` with steps that slow down as they go (project ``solve``),
submitted interleaved through the real submit flow (``transfer/submit.py``)
to a server started by ``server/launcher.py``.

Once a second, as the dashboard would, the bench lists the tasks, feeds the
finished ones to :class:`FinishedTasks`, reads each waiting task's
``position_in_queue.tasks_ahead`` and the group's slots, tails each running
solver's last line, and records every start estimate of a waiting task and
every finish estimate of a running one; it also lists the projects (``GET
/projects``, as the project board does) and records each unfinished
project's ETA (:class:`~inductiva_top.monitor.batch.feeds.BoardFeed`). When
all are done, each estimate's middle is compared with the task's real
``start_time`` / ``end_time``, and a project's ETA with its last task's
``end_time``.

Printed: per kind (start; finish from history; finish from progress; project) how
many estimates were made and how many were unknown, the median and p90
absolute error of the known ones in seconds, and how many of the real times
fell inside the estimate's range. Every poll's estimate counts, so a task
that waited long weighs more.

Run: ``.venv/bin/python bench/estimates.py [--quick] [--work-dir DIR]``.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from inductiva_top.api.client import InductivaClient
from inductiva_top.api.errors import ApiError
from inductiva_top.api.live import HttpLiveTask, LiveAccess, LiveTask
from inductiva_top.api.models import Task
from inductiva_top.monitor.batch.feeds import BoardFeed
from inductiva_top.monitor.foresight.durations import FinishedTasks
from inductiva_top.monitor.foresight.estimates import (
    GroupFacts,
    Source,
    Span,
    estimate_finish,
    estimate_start,
)
from inductiva_top.monitor.foresight.progress import ProgressTracker
from inductiva_top.monitor.foresight.wording import shown_span
from inductiva_top.monitor.statuses import StatusKind, is_terminal, status_info
from inductiva_top.server.launcher import ServerProcess
from inductiva_top.transfer.submit import SubmitRequest, submit

GROUP = "estimates"
SLOTS = 2
POLL = 1.0
PROJECT = "project ETA (board)"
PROJECT_HELD = "project ETA (board + held tasks)"
"""The board opened from the dashboard: its running tasks' finish estimates are known."""

SOLVER = (
    "import sys, time\n"
    "n, seconds = int(sys.argv[1]), float(sys.argv[2])\n"
    "for i in range(n + 1):\n"
    "    sys.stdout.write(f'\\rsolving step {i}/{n}')\n"
    "    sys.stdout.flush()\n"
    "    if i < n:\n"
    "        # Steps slow down from 0.7x to 1.3x the mean, as a mesh refines.\n"
    "        time.sleep(seconds / n * (0.7 + 0.6 * i / max(n - 1, 1)))\n"
    "sys.stdout.write('\\n')\n"
)


@dataclass(frozen=True)
class Job:
    """One task of the workload."""

    project: str
    simulator: str
    command: tuple[str, ...]


def workload(quick: bool) -> list[Job]:
    """Short sleeps and longer solvers, interleaved."""
    sleeps = [3, 5, 4, 6, 3, 5, 4, 6] if not quick else [3, 5, 4, 3]
    solves = [8, 12, 10, 9, 11, 10] if not quick else [8, 11, 9]
    quick_jobs = [Job("quick", "sleep", ("sleep", str(s))) for s in sleeps]
    solve_jobs = [
        Job("solve", "solver", (sys.executable, "-c", SOLVER, str(4 * s), str(s))) for s in solves
    ]
    jobs: list[Job] = []
    while quick_jobs or solve_jobs:
        jobs.extend(quick_jobs[:2])
        del quick_jobs[:2]
        jobs.extend(solve_jobs[:1])
        del solve_jobs[:1]
    return jobs


@dataclass(frozen=True)
class Guess:
    """One estimate: of what, when it was made, and its span (None: unknown)."""

    kind: str
    subject: str
    """The task's id; for a project's ETA, the project's name."""
    at: datetime
    span: Span | None


@dataclass
class Figures:
    """The errors of one kind of estimate."""

    kind: str
    made: int = 0
    unknown: int = 0
    errors: list[float] = field(default_factory=list)
    """Absolute seconds between each known estimate's middle and what happened."""
    signed: list[float] = field(default_factory=list)
    """The same, signed: positive when the estimate said later than it happened."""
    inside: int = 0
    """How many real times fell inside the estimate's range."""
    inside_shown: int = 0
    """How many fell inside the range as the dashboard shows it (``4-9 min``, to 5 s)."""

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.errors)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]

    def line(self) -> str:
        if not self.errors:
            return f"{self.made} estimates, {self.unknown} unknown"
        inside = 100 * self.inside / len(self.errors)
        shown = 100 * self.inside_shown / len(self.errors)
        return (
            f"median {statistics.median(self.errors):.1f} s, p90 {self.percentile(0.9):.1f} s, "
            f"bias {statistics.median(self.signed):+.1f} s ({self.made} estimates, "
            f"{self.unknown} unknown, {inside:.0f} % in range, {shown:.0f} % in the range shown)"
        )


def _now() -> datetime:
    return datetime.now(timezone.utc)


async def _slots(client: InductivaClient) -> int | None:
    groups = await client.request_json("GET", "/local/machine-groups")
    return next((g["slots"] for g in groups if g["name"] == GROUP), None)


async def _last_line(live: LiveTask) -> str | None:
    try:
        lines = await live.tail("stdout.txt", 1)
    except ApiError:  # the task may have just ended: no reading this time
        return None
    return lines[-1] if lines else None


async def _poll(
    client: InductivaClient,
    access: LiveAccess,
    finished: FinishedTasks,
    trackers: dict[str, ProgressTracker],
    board: BoardFeed,
    held_board: BoardFeed,
    held_left: dict[str, dict[str, Span]],
) -> tuple[list[Task], list[Guess]]:
    page = await client.list_tasks(per_page=100)
    tasks = page.tasks
    now = _now()
    finished.observe(tasks)
    guesses: list[Guess] = []
    left: dict[str, Span] = {}
    for task in tasks:
        if status_info(task.status).kind is not StatusKind.RUNNING:
            continue
        reading = None
        if task.simulator == "solver" and task.computation_start_time is not None:
            live = await access.live_for(task.task_id)
            if isinstance(live, HttpLiveTask):
                line = await _last_line(live)
                await live.aclose()
                tracker = trackers.setdefault(task.task_id, ProgressTracker())
                reading = tracker.observe(now, line) if line else tracker.reading
        estimate = estimate_finish(task, now=now, finished=finished, progress=reading)
        if estimate is None:
            continue
        kind = "finish (progress)" if estimate.source is Source.PROGRESS else "finish (history)"
        guesses.append(Guess(kind, task.task_id, now, estimate.span))
        if estimate.span is not None:
            left[task.task_id] = estimate.span
    facts = GroupFacts(machines=await _slots(client))
    for task in tasks:
        if task.status != "submitted":
            continue
        status = await client.get_status(task.task_id)
        ahead = status.position_in_queue.tasks_ahead if status.position_in_queue else None
        start = estimate_start(
            task,
            now=now,
            finished=finished,
            held=tasks,
            tasks_ahead=ahead,
            facts=facts,
            running_left=left,
        )
        if start is not None:
            guesses.append(Guess("start", task.task_id, now, start.span))
    held_left.clear()
    for task in tasks:
        if task.task_id in left and task.project:
            held_left.setdefault(task.project, {})[task.task_id] = left[task.task_id]
    for kind, feed in ((PROJECT, board), (PROJECT_HELD, held_board)):
        await feed.tick()
        guesses += [Guess(kind, row.name, now, row.eta.span) for row in feed.rows if row.active]
    return tasks, guesses


async def _run(base_url: str, api_key: str, jobs: list[Job]) -> tuple[list[Task], list[Guess]]:
    async with InductivaClient(base_url, api_key) as client:
        await client.put_local_machine_group(GROUP, SLOTS, "bench")
        for job in jobs:
            request = SubmitRequest(
                command=job.command, machine_group=GROUP, project=job.project,
                simulator=job.simulator,
            )  # fmt: skip
            await submit(client, request, lambda _: None)
        access = LiveAccess(client, webrtc=False)
        finished = FinishedTasks()
        trackers: dict[str, ProgressTracker] = {}
        board = BoardFeed(client, _now)
        held_left: dict[str, dict[str, Span]] = {}
        held_board = BoardFeed(
            client, _now, lambda _: {p: list(spans.values()) for p, spans in held_left.items()}
        )
        guesses: list[Guess] = []
        while True:
            started = time.monotonic()
            tasks, made = await _poll(
                client, access, finished, trackers, board, held_board, held_left
            )
            guesses += made
            if len(tasks) >= len(jobs) and all(
                is_terminal(task.status, task.is_terminated) for task in tasks
            ):
                return tasks, guesses
            await asyncio.sleep(max(0.0, POLL - (time.monotonic() - started)))


def score(tasks: list[Task], guesses: list[Guess]) -> list[Figures]:
    """Each kind's errors against the tasks' real start and end times."""
    by_id = {task.task_id: task for task in tasks}
    kinds = ("start", "finish (history)", "finish (progress)", PROJECT, PROJECT_HELD)
    figures = {kind: Figures(kind) for kind in kinds}
    project_end: dict[str, datetime] = {}
    for task in tasks:
        if task.project is not None and task.end_time is not None:
            ends = project_end.get(task.project)
            project_end[task.project] = max(task.end_time, ends or task.end_time)
    for guess in guesses:
        figure = figures[guess.kind]
        figure.made += 1
        if guess.kind in (PROJECT, PROJECT_HELD):
            actual = project_end.get(guess.subject)
        else:
            task = by_id[guess.subject]
            actual = task.start_time if guess.kind == "start" else task.end_time
        if guess.span is None or actual is None:
            figure.unknown += 1
            continue
        low, high = guess.span.between(guess.at)
        middle = (guess.at - actual).total_seconds() + guess.span.middle
        figure.errors.append(abs(middle))
        figure.signed.append(middle)
        figure.inside += low <= actual <= high
        shown_low, shown_high = shown_span(guess.span).between(guess.at)
        figure.inside_shown += shown_low <= actual <= shown_high
    return list(figures.values())


def measure(work: Path, quick: bool = False) -> list[Figures]:
    """Run the workload on a fresh server under ``work``; the figures of each kind."""
    root = work / "estimates-server"
    shutil.rmtree(root, ignore_errors=True)
    server = ServerProcess(root / "data", slots=1).start()
    try:
        tasks, guesses = asyncio.run(_run(server.base_url, server.api_key, workload(quick)))
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
    failed = [task.task_id for task in tasks if task.status != "success"]
    if failed:
        raise RuntimeError(f"tasks did not succeed: {failed}")
    return score(tasks, guesses)


def lines(figures: list[Figures]) -> Iterator[tuple[str, str]]:
    """(measure, figure) pairs for a table."""
    for figure in figures:
        yield f"{figure.kind} estimate error", figure.line()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer tasks")
    parser.add_argument("--work-dir", type=Path, help="where the server's data dir goes")
    args = parser.parse_args(argv)
    work = args.work_dir or Path(tempfile.gettempdir()) / "inductiva-top-bench"
    work.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    figures = measure(work, args.quick)
    print(f"\nestimates against what happened ({time.monotonic() - started:.0f} s, "
          f"{SLOTS} slots, {len(workload(args.quick))} tasks)")  # fmt: skip
    width = max(len(name) for name, _ in lines(figures))
    for name, figure in lines(figures):
        print(f"{name:<{width}}  {figure}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
