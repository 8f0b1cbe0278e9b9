"""A ``top`` of one task: its processes, their CPU and memory, via psutil.

A task's processes are the process tree under the pid the executor records,
plus any process still in that pid's process group (a task's command runs as
a session and group leader, and daemonized helpers leave the tree but keep
the group).
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass

import psutil

from inductiva_top.server.files.paths import escape_name

CPU_SAMPLE_SECONDS = 0.2


@dataclass(frozen=True)
class ProcessRow:
    """One process of a task; ``cpu_percent`` is over the sampling interval (100 = one core)."""

    pid: int
    ppid: int
    user: str
    status: str
    nice: int
    cpu_percent: float
    memory_percent: float
    rss_bytes: int
    vms_bytes: int
    shared_bytes: int
    num_threads: int
    cpu_time_seconds: float
    command: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def task_processes(pid: int) -> list[psutil.Process]:
    """The live processes of the task whose leader is ``pid`` (empty if it is gone)."""
    try:
        leader = psutil.Process(pid)
        found = {p.pid: p for p in [leader, *leader.children(recursive=True)]}
    except psutil.Error:
        return []
    try:
        is_group_leader = os.getpgid(pid) == pid
    except OSError:
        is_group_leader = False
    if is_group_leader:
        for process in psutil.process_iter():
            try:
                if process.pid not in found and os.getpgid(process.pid) == pid:
                    found[process.pid] = process
            except OSError:
                continue
    return [found[key] for key in sorted(found)]


def _command(process: psutil.Process) -> str:
    try:
        argv = process.cmdline()
    except psutil.Error:
        argv = []
    # A task chooses its argv and process names, bytes that are not text included.
    return escape_name(" ".join(argv) if argv else f"[{process.name()}]")


@dataclass(frozen=True)
class TopSnapshot:
    """The task's processes and the machine's CPU use over the same interval."""

    rows: list[ProcessRow]
    machine_cpu_percent: float
    timestamp: float


def sample(pid: int, interval: float = CPU_SAMPLE_SECONDS) -> TopSnapshot:
    """The task's processes, CPU measured over ``interval`` seconds (blocks that long)."""
    processes = task_processes(pid)
    psutil.cpu_percent(None)
    for process in processes:
        try:
            process.cpu_percent(None)
        except psutil.Error:
            continue
    time.sleep(interval)
    machine_cpu = psutil.cpu_percent(None)
    rows: list[ProcessRow] = []
    for process in processes:
        try:
            with process.oneshot():
                memory = process.memory_info()
                times = process.cpu_times()
                rows.append(
                    ProcessRow(
                        pid=process.pid,
                        ppid=process.ppid(),
                        user=escape_name(process.username()),
                        status=process.status(),
                        nice=int(process.nice()),
                        cpu_percent=round(process.cpu_percent(None), 1),
                        memory_percent=round(process.memory_percent(), 1),
                        rss_bytes=memory.rss,
                        vms_bytes=memory.vms,
                        shared_bytes=int(getattr(memory, "shared", 0)),
                        num_threads=process.num_threads(),
                        cpu_time_seconds=round(times.user + times.system, 2),
                        command=_command(process),
                    )
                )
        except psutil.Error:
            continue  # it ended while we looked
    return TopSnapshot(rows=rows, machine_cpu_percent=machine_cpu, timestamp=time.time())


_STATUS_LETTER = {
    psutil.STATUS_RUNNING: "R",
    psutil.STATUS_SLEEPING: "S",
    psutil.STATUS_DISK_SLEEP: "D",
    psutil.STATUS_STOPPED: "T",
    psutil.STATUS_TRACING_STOP: "t",
    psutil.STATUS_ZOMBIE: "Z",
    psutil.STATUS_IDLE: "I",
}


def _kib(value: int) -> str:
    return str(value // 1024)


def _cpu_time(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)}:{rest:05.2f}"


def render_top(snapshot: TopSnapshot) -> str:
    """The snapshot as text in the layout of ``top -b -n 1``: a summary, then one line a process."""
    rows = snapshot.rows
    stamp = time.strftime("%H:%M:%S", time.localtime(snapshot.timestamp))
    load1, load5, load15 = os.getloadavg()
    memory = psutil.virtual_memory()
    running = sum(1 for row in rows if row.status == psutil.STATUS_RUNNING)
    lines = [
        f"top - {stamp} load average: {load1:.2f}, {load5:.2f}, {load15:.2f}",
        f"Tasks: {len(rows)} total, {running} running, {len(rows) - running} other",
        f"%Cpu(s): {snapshot.machine_cpu_percent:5.1f} used, {psutil.cpu_count()} CPUs",
        f"MiB Mem : {memory.total / 2**20:9.1f} total, {memory.available / 2**20:9.1f} avail",
        "",
        f"{'PID':>7} {'USER':<9} {'NI':>3} {'VIRT':>9} {'RES':>8} {'SHR':>8} S "
        f"{'%CPU':>5} {'%MEM':>5} {'TIME+':>9} {'THR':>4} COMMAND",
    ]
    for row in rows:
        lines.append(
            f"{row.pid:>7} {row.user[:9]:<9} {row.nice:>3} {_kib(row.vms_bytes):>9} "
            f"{_kib(row.rss_bytes):>8} {_kib(row.shared_bytes):>8} "
            f"{_STATUS_LETTER.get(row.status, '?')} {row.cpu_percent:>5.1f} "
            f"{row.memory_percent:>5.1f} {_cpu_time(row.cpu_time_seconds):>9} "
            f"{row.num_threads:>4} {row.command}"
        )
    return "\n".join(lines) + "\n"
