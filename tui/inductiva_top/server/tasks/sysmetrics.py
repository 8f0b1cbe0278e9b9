"""A running task's monitoring files, written as the Inductiva task runner writes them.

The task runner (``task_runner/system_monitor.py``) keeps two files in a
task's artifacts dir while its command runs:

- ``system_metrics.csv``: the header ``time,command,cpu-usage,memory,disk-input,disk-output``
  when the task starts, then one row per period (the first at once): the time
  (``datetime.isoformat()`` of aware UTC), the command line (its arguments
  joined by spaces), CPU and memory in percent of the machine, and the bytes
  read from and written to disk so far;
- ``output_update.csv``: one row, rewritten each period of its own (twice the
  metrics period, as the runner's 60 s to 30 s): the time of the most
  recently modified file of the artifacts dir and that file's absolute path,
  without a header, leaving out the two monitoring files.

Both are written with :mod:`csv`'s default dialect (``\\r\\n`` line ends),
as the runner does. The runner measures the whole machine, which runs one
task; a local machine runs several, so the figures here are those of the
task's own processes (its process group): CPU as a share of all the
machine's cores, resident memory as a share of its memory, and the disk
bytes of every process the task has had (a process that has exited keeps
counting with what it had done). The period is the server's
``metrics_interval`` (the runner's is 30 s; a dashboard's sparkline wants
more points).
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import psutil

from inductiva_top.server.files.listing import regular_files
from inductiva_top.server.knobs import METRICS_INTERVAL
from inductiva_top.server.layout import MONITOR_FILES, OUTPUT_UPDATE_NAME, SYSTEM_METRICS_NAME
from inductiva_top.server.tasks.processes import group_members

METRICS_HEADER = ("time", "command", "cpu-usage", "memory", "disk-input", "disk-output")


def _append(path: Path, row: Sequence[object], mode: str = "a") -> None:
    with open(path, mode, encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerow(row)


@dataclass
class _Usage:
    """What one task's processes use, sampled over time."""

    pgid: int
    leader_created: float
    processes: dict[int, psutil.Process] = field(default_factory=dict)
    disk: dict[int, tuple[int, int]] = field(default_factory=dict)
    """Bytes read and written by each process seen, as last counted."""

    def sample(self) -> tuple[float, float, int, int]:
        """CPU % of the machine, memory % of the machine, disk bytes read and written so far."""
        live = {p.pid: p for p in group_members(self.pgid, self.leader_created)}
        # The same Process object from one sample to the next: its CPU figure
        # is the use since the previous call (the first call gives 0.0).
        self.processes = {pid: self.processes.get(pid, process) for pid, process in live.items()}
        cpu = memory = 0.0
        for pid, process in self.processes.items():
            with contextlib.suppress(psutil.Error):
                cpu += process.cpu_percent(None)
                memory += process.memory_percent()
                counters = process.io_counters()
                self.disk[pid] = (counters.read_bytes, counters.write_bytes)
        cores = psutil.cpu_count() or 1
        read = sum(r for r, _ in self.disk.values())
        written = sum(w for _, w in self.disk.values())
        return round(cpu / cores, 1), round(memory, 1), read, written


def newest_output(work_dir: Path) -> tuple[float, str] | None:
    """The modification time and absolute path of the newest file, monitoring files aside."""
    root = Path(os.path.abspath(work_dir))
    monitoring = {str(root / name) for name in MONITOR_FILES}
    best: tuple[float, str] | None = None
    for entry, info in regular_files(root, keep=lambda e: e.path not in monitoring):
        if best is None or info.st_mtime > best[0]:
            best = (info.st_mtime, entry.path)
    return best


class TaskMonitor:
    """Writes a running task's two monitoring files until :meth:`stop`."""

    def __init__(
        self,
        work_dir: Path,
        pgid: int,
        leader_created: float,
        command: Sequence[str],
        interval: float = METRICS_INTERVAL,
    ) -> None:
        self._work_dir = work_dir
        self._usage = _Usage(pgid, leader_created)
        self._command = " ".join(command)
        self._interval = interval
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        """Ask :meth:`run` to return after the row it is writing, if any."""
        self._stopping.set()

    def _metrics_row(self) -> None:
        cpu, memory, read, written = self._usage.sample()
        now = datetime.now(timezone.utc).isoformat()
        row = (now, self._command, cpu, memory, read, written)
        _append(self._work_dir / SYSTEM_METRICS_NAME, row)

    def _output_row(self) -> None:
        found = newest_output(self._work_dir)
        if found is not None:
            stamp = datetime.fromtimestamp(found[0], timezone.utc).isoformat()
            _append(self._work_dir / OUTPUT_UPDATE_NAME, (stamp, found[1]), mode="w")

    async def run(self) -> None:
        """Write the header, then a row every period (and the output row every other).

        The first rows are written even if the command is already over, so
        every task that ran has both files.
        """
        await asyncio.to_thread(_append, self._work_dir / SYSTEM_METRICS_NAME, METRICS_HEADER, "w")
        beat = 0
        while beat == 0 or not self._stopping.is_set():
            await asyncio.to_thread(self._metrics_row)
            if beat % 2 == 0:
                await asyncio.to_thread(self._output_row)
            beat += 1
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._interval)
