"""Task processes: each command runs as the leader of its own session.

A new session makes the command's whole process tree one process group, so
stopping a task (kill, TTL, shutdown, crash recovery) signals every process
it started, not just the first one. The leader's ``psutil`` create time is
recorded with the group id: after a crash it tells a group this server
started apart from an unrelated group that reused the id.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

STDOUT_NAME = "stdout.txt"
STDERR_NAME = "stderr.txt"
_SAME_PROCESS_TOLERANCE = 0.05  # seconds; create times are rounded by the OS


@dataclass(frozen=True)
class Started:
    """A running command."""

    process: asyncio.subprocess.Process
    pgid: int
    create_time: float


@dataclass(frozen=True)
class MachineInfo:
    """What this machine reports as a task's executer."""

    uuid: str
    cpu_count_logical: int
    cpu_count_physical: int
    memory: int
    hostname: str

    @classmethod
    def detect(cls) -> MachineInfo:
        logical = psutil.cpu_count(logical=True) or os.cpu_count() or 1
        return cls(
            uuid=str(uuid.uuid4()),
            cpu_count_logical=logical,
            cpu_count_physical=psutil.cpu_count(logical=False) or logical,
            memory=int(psutil.virtual_memory().total),
            hostname=socket.gethostname(),
        )


_WITHHELD = ("INDUCTIVA_API_KEY",)
"""Variables of the server's environment a task does not inherit (credentials)."""


TASK_ID_VARIABLE = "INDUCTIVA_TOP_TASK_ID"
"""Set in every task's environment to its task id: how leftovers are recognised."""


def command_env(task_id: str, extra: Mapping[str, str] | None) -> dict[str, str]:
    """The server's environment (minus credentials) plus the task's own.

    Python output is unbuffered by default so tails of Python tasks are live.
    """
    env = {name: value for name, value in os.environ.items() if name not in _WITHHELD}
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.update(extra or {})
    env[TASK_ID_VARIABLE] = task_id
    return env


async def spawn(command: Sequence[str], work_dir: Path, env: Mapping[str, str]) -> Started:
    """Start ``command`` in ``work_dir`` with stdout/stderr going to files there.

    Raises :class:`OSError` (e.g. :class:`FileNotFoundError`) when it cannot start.
    """
    # Opening two files in the task's own work dir does not block the loop noticeably.
    with (
        open(work_dir / STDOUT_NAME, "ab") as stdout,  # noqa: ASYNC230
        open(work_dir / STDERR_NAME, "ab") as stderr,  # noqa: ASYNC230
    ):
        process = await asyncio.create_subprocess_exec(
            *command,
            cwd=work_dir,
            env=dict(env),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
        )
    try:
        create_time = psutil.Process(process.pid).create_time()
    except psutil.Error:
        create_time = 0.0  # already gone: nothing can be left to recognise later
    return Started(process=process, pgid=process.pid, create_time=create_time)


def signal_group(pgid: int, signum: signal.Signals) -> bool:
    """Send ``signum`` to a process group; False when it no longer exists."""
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False
    return True


async def stop_group(started: Started, grace_seconds: float) -> int:
    """SIGTERM the task's group, SIGKILL after ``grace_seconds``; returns the exit status."""
    signal_group(started.pgid, signal.SIGTERM)
    try:
        return await asyncio.wait_for(started.process.wait(), timeout=grace_seconds)
    except asyncio.TimeoutError:
        signal_group(started.pgid, signal.SIGKILL)
        return await started.process.wait()


def reap_group(pgid: int) -> None:
    """SIGKILL whatever the leader left behind in its group (background children)."""
    signal_group(pgid, signal.SIGKILL)


def group_members(pgid: int, not_before: float) -> list[psutil.Process]:
    """The processes of group ``pgid`` created since ``not_before`` (its leader's create time)."""
    members = []
    for process in psutil.process_iter():
        with contextlib.suppress(psutil.Error, ProcessLookupError, PermissionError):
            if os.getpgid(process.pid) == pgid and process.create_time() >= (
                not_before - _SAME_PROCESS_TOLERANCE
            ):
                members.append(process)
    return members


def kill_leftover_group(pgid: int, leader_create_time: float | None) -> int:
    """After a crash: kill the group ``pgid`` if it is really the one we started.

    The group is ours when its leader still has the recorded create time, or
    (leader gone) for members created after it. Returns how many processes
    were killed.
    """
    if leader_create_time is None or leader_create_time <= 0:
        return 0
    members = group_members(pgid, leader_create_time)
    for process in members:
        with contextlib.suppress(psutil.Error):
            process.kill()
    _, alive = psutil.wait_procs(members, timeout=5)
    return len(members) - len(alive)


def kill_tagged(task_id: str, not_before: float) -> int:
    """After a crash: kill processes started since ``not_before`` tagged with ``task_id``.

    Every task process carries :data:`TASK_ID_VARIABLE` in its environment
    (children inherit it), so this finds a command whose process group was
    not stored yet when the server died, and any process that left the group.
    Returns how many processes were killed.
    """
    found = []
    for process in psutil.process_iter():
        with contextlib.suppress(psutil.Error, OSError):
            if process.pid == os.getpid() or process.create_time() < not_before:
                continue
            if process.environ().get(TASK_ID_VARIABLE) == task_id:
                found.append(process)
    for process in found:
        with contextlib.suppress(psutil.Error):
            process.kill()
    _, alive = psutil.wait_procs(found, timeout=5)
    return len(found) - len(alive)


def describe_exit(returncode: int) -> str:
    """``"exit code 3"`` or ``"signal SIGSEGV (11)"``."""
    if returncode >= 0:
        return f"exit code {returncode}"
    number = -returncode
    try:
        name = signal.Signals(number).name
    except ValueError:
        name = f"signal {number}"
    return f"signal {name} ({number})"
