"""The dashboard's resident memory over a long tail, beside htop's, in the same run.

The real ``inductiva-top`` runs in a 120x40 pty (:class:`~pty_bench.PtyProgram`)
against a real server holding ``stored`` tasks (100,000 in the full plan), its
cursor on a running task printing ``rate`` lines a second, for ``seconds``
(an hour in the full plan). ``htop -d 20`` runs beside it in a pty of its own
for the same time. Every ``every`` seconds the resident memory of both is
sampled, with the newest output line number on the dashboard's screen.

What is printed: the RSS at start, after 1 minute, 10 minutes, every 10
minutes after that and at the end; the peak; the slope over the last half of
the run (a least-squares line, MiB/h): a tail bounded by ``tail_lines`` is
flat. Then the lines shown per second, and how many lines the tail pane holds
(the oldest line it scrolls back to, read from the screen after ``Home``,
against the newest, once the task is killed): at most ``tail_lines``.

Run alone: ``bench/tail_memory.py --seconds 3600 --stored 100000`` (progress
is printed as it goes, one line per sample, so a log of a run cut short still
has its figures), or as the ``tailhour`` part of ``bench/run.py``.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import bench_server
import bench_table
from inductiva_top.config.settings import TAIL_LINES
from inductiva_top.server.launcher import ServerProcess
from pty_bench import PtyProgram, dashboard_command, dashboard_env
from tasks import api, printer, submit, wait_status

MIB = 2**20
SETTLE = 8.0
"""Seconds from the dashboard's start until the tail is followed (the first sample)."""
SLOPE_TARGET = 2.0
"""MiB/h over the last half of the run that still counts as flat (allocator noise)."""
JUDGED_MINUTES = 10.0
"""The shortest run whose slope is judged."""
MARKS = (60.0, 600.0)
"""Elapsed seconds reported besides every 10 minutes (and the start and the end)."""


@dataclass
class Sample:
    """One look at both programs."""

    elapsed: float
    rss: int
    htop_rss: int | None
    newest_line: int


@dataclass
class TailMemory:
    """What one run measured."""

    rate: int
    stored: int
    seconds: float
    samples: list[Sample] = field(default_factory=list)
    oldest_held: int | None = None
    """The oldest output line number the tail pane scrolls back to at the end."""
    newest_held: int | None = None
    tail_lines: int = TAIL_LINES.default

    @property
    def peak(self) -> int:
        return max(sample.rss for sample in self.samples)

    @property
    def htop_peak(self) -> int | None:
        got = [sample.htop_rss for sample in self.samples if sample.htop_rss is not None]
        return max(got) if got else None

    def slope(self, htop: bool = False) -> float | None:
        """MiB per hour over the last half of the samples (least squares), or None."""
        half = self.samples[len(self.samples) // 2 :]
        points = [
            (sample.elapsed, sample.htop_rss if htop else sample.rss)
            for sample in half
            if (sample.htop_rss if htop else sample.rss)
        ]
        if len(points) < 3:
            return None
        xs = [x for x, _ in points]
        ys = [y / MIB for _, y in points]
        if max(xs) - min(xs) <= 0:
            return None
        fitted = statistics.linear_regression(xs, ys)
        return fitted.slope * 3600.0

    @property
    def shown_per_second(self) -> float:
        first, last = self.samples[0], self.samples[-1]
        if last.elapsed <= first.elapsed:
            return 0.0
        return (last.newest_line - first.newest_line) / (last.elapsed - first.elapsed)

    @property
    def held(self) -> int | None:
        """Lines the tail pane holds at the end (newest - oldest + 1), if read."""
        if self.oldest_held is None or self.newest_held is None:
            return None
        return self.newest_held - self.oldest_held + 1

    def marks(self) -> list[Sample]:
        """The samples nearest the start, 1 min, 10 min, every 10 min after, and the end."""
        wanted = [0.0, *MARKS]
        step = 600.0
        while wanted[-1] + step < self.samples[-1].elapsed:
            wanted.append(wanted[-1] + step)
        chosen: list[Sample] = []
        for at in wanted:
            if at > self.samples[-1].elapsed:
                break
            nearest = min(self.samples, key=lambda sample: abs(sample.elapsed - at))
            if nearest not in chosen:
                chosen.append(nearest)
        if self.samples[-1] not in chosen:
            chosen.append(self.samples[-1])
        return chosen


def describe(sample: Sample) -> str:
    """``12:00 143 MiB (htop 4.1 MiB)``: one sample's time and memory."""
    minutes, seconds = divmod(round(sample.elapsed), 60)
    htop = f" (htop {sample.htop_rss / MIB:.1f})" if sample.htop_rss else ""
    return f"{minutes}:{seconds:02d} {sample.rss / MIB:.0f}{htop}"


def lines(got: TailMemory) -> list[tuple[str, str, str, bool | None]]:
    """The figures as (measure, figure, target, met) rows for the table."""
    where = f"{got.rate:,} lines/s tail, {got.stored:,} stored"
    htop_peak = got.htop_peak
    slope, htop_slope = got.slope(), got.slope(htop=True)
    minutes = got.samples[-1].elapsed / 60
    beside = " (htop n/a)"
    if htop_peak:
        htop_trend = f"{htop_slope:+.1f} MiB/h" if htop_slope is not None else "n/a"
        beside = f" (htop {htop_peak / MIB:.1f} MiB; {htop_trend})"
    # Too short a run says nothing of a slope: only a long one is judged.
    judged = slope is not None and minutes >= JUDGED_MINUTES
    rows: list[tuple[str, str, str, bool | None]] = [
        (
            f"RSS over {minutes:.0f} min of a {where} (MiB)",
            ", ".join(describe(sample) for sample in got.marks()),
            "",
            None,
        ),
        (
            "RSS peak; slope over the last half",
            f"{got.peak / MIB:.0f} MiB; "
            + (f"{slope:+.1f} MiB/h" if slope is not None else "n/a")
            + beside,
            f"flat (< {SLOPE_TARGET:g} MiB/h)",
            slope is not None and slope < SLOPE_TARGET if judged else None,
        ),
        ("tail lines/s shown over the run", f"{got.shown_per_second:,.0f}", "", None),
    ]
    held = got.held
    rows.append(
        (
            f"tail pane lines held at the end (tail_lines {got.tail_lines:,})",
            f"{held:,} (lines {got.oldest_held:,} to {got.newest_held:,})"
            if held is not None
            else "not read from the screen",
            "<= tail_lines",
            held is not None and held <= got.tail_lines,
        )
    )
    return rows


_LINE_NUMBER = re.compile(rb"line (\d+) of the output")


def newest_line(program: PtyProgram) -> int:
    """The newest ``line N of the output`` written to the screen lately (0: none)."""
    return max((int(n) for n in _LINE_NUMBER.findall(program.recent())), default=0)


def oldest_held(program: PtyProgram) -> tuple[int, int] | None:
    """Zoom the tail pane, scroll it to its oldest line; (oldest, newest) line numbers read.

    Read once the task has ended (nothing moves). The newest is read first,
    then ``z`` zooms the output pane (giving it the focus) and Home scrolls
    it back to the first line it holds: the least line number written after
    Home.
    """
    newest = newest_line(program)
    program.send(b"z")
    time.sleep(1.0)
    since = program.written
    program.send(b"\x1b[H")  # Home
    time.sleep(2.0)
    written = program.written - since
    found = [int(n) for n in _LINE_NUMBER.findall(program.recent(max(written, 1)))]
    if not found:
        return None
    return min(found), newest


def seeded_copy(work: Path, stored: int) -> Path:
    """A fresh copy of a data dir holding ``stored`` finished tasks (the seed is kept)."""
    root = work / "tail-memory"
    shutil.rmtree(root, ignore_errors=True)
    if stored:
        shutil.copytree(bench_table.seeded_dir(work, stored), root / "data")
    return root


def measure(work: Path, stored: int, seconds: float, every: float, rate: int = 1000) -> TailMemory:
    """Run the dashboard and htop beside it for ``seconds`` over a ``rate`` lines/s tail."""
    root = seeded_copy(work, stored)
    server = ServerProcess(root / "data", slots=4).start()
    got = TailMemory(rate, stored, seconds)
    try:
        env = dashboard_env(root / "home", server.base_url, server.api_key)
        with api(server.base_url, server.api_key) as client:
            # The newest task is the first row: the cursor's task, whose tail shows.
            tail = submit(client, printer(rate, seconds + 120.0), project="tail")
            wait_status(client, [tail], {"computation-started"})
            dashboard = PtyProgram(dashboard_command(), env)
            htop_path = shutil.which("htop")
            htop = PtyProgram([htop_path, "-d", "20"], env) if htop_path else None
            try:
                time.sleep(SETTLE)
                started = time.monotonic()
                while True:
                    elapsed = time.monotonic() - started
                    sample = Sample(
                        elapsed,
                        dashboard.rss_bytes(),
                        htop.rss_bytes() if htop else None,
                        newest_line(dashboard),
                    )
                    got.samples.append(sample)
                    print(
                        f"tailmem {describe(sample)} MiB, newest line {sample.newest_line:,}, "
                        f"load {bench_server.machine_load()}",
                        flush=True,
                    )
                    if dashboard.process.poll() is not None:
                        said = dashboard.recent(2000).decode(errors="replace")
                        print(f"the dashboard exited: {said}", flush=True)
                        break
                    if elapsed >= seconds:
                        break
                    time.sleep(min(every, max(0.0, seconds - elapsed)))
                # The end of the output, then nothing moves: the lines held are read exactly.
                client.post(f"/tasks/{tail}/kill")
                time.sleep(5.0)
                held = oldest_held(dashboard)
                if held is not None:
                    got.oldest_held, got.newest_held = held
            finally:
                dashboard.close()
                if htop is not None:
                    htop.close()
                client.post(f"/tasks/{tail}/kill")
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
    return got


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3600.0, help="how long (default 3600)")
    parser.add_argument("--every", type=float, default=10.0, help="seconds between samples")
    parser.add_argument("--stored", type=int, default=100_000, help="tasks on the server")
    parser.add_argument("--rate", type=int, default=1000, help="lines a second printed")
    parser.add_argument("--work-dir", type=Path, help="the seeded data dir is kept here")
    args = parser.parse_args(argv)
    work = args.work_dir or Path(tempfile.gettempdir()) / "inductiva-top-bench"
    work.mkdir(parents=True, exist_ok=True)
    print(f"machine at start: {bench_server.machine_load()}", flush=True)
    got = measure(work, args.stored, args.seconds, args.every, args.rate)
    print(f"machine at end:   {bench_server.machine_load()}")
    for measure_name, figure, target, met in lines(got):
        verdict = {True: "met", False: "MISSED", None: ""}[met]
        print(f"{measure_name}: {figure}" + (f"  [{target}: {verdict}]" if target else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
