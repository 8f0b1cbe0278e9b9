"""Owning a data dir while the server runs, and recovering after a crash.

One server at a time per data dir: ``server.pid`` is held with an exclusive
``flock`` for the server's lifetime (the kernel drops it when the process
dies, even by SIGKILL), and holds the owner's pid for people to read.

Recovery, before any task is scheduled: every task that an executor held
when the previous server died has its leftover process group killed (only if
it is really the one we started: same leader create time), as well as any
process started since the task did whose environment carries the task's id
(a command whose group id was not stored yet when the server died). Then the
task is recorded ``executer-terminated`` and resubmitted with
``num_retries + 1``, keeping its place in the queue, as the real API does
after losing an executor. A task that was being killed is
recorded ``killed``. Half-written ``output.zip`` files are deleted.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from dataclasses import dataclass
from datetime import datetime
from typing import IO

from inductiva_top.server.files import archive
from inductiva_top.server.layout import DataDir
from inductiva_top.server.statuses import TaskStatusCode
from inductiva_top.server.tasks import lifecycle, processes, steps
from inductiva_top.server.tasks.lifecycle import TaskRecord
from inductiva_top.server.tasks.store import TaskStore

S = TaskStatusCode
log = logging.getLogger(__name__)


class DataDirBusy(RuntimeError):
    """Another server process holds the data dir."""


class DataDirLock:
    """The exclusive hold of a data dir (``server.pid``)."""

    def __init__(self, data: DataDir) -> None:
        self._data = data
        self._handle: IO[str] | None = None

    def acquire(self) -> None:
        """Take the lock and write our pid; raises :class:`DataDirBusy`."""
        self._data.create()
        handle = open(self._data.pid_file, "a+", encoding="ascii")  # noqa: SIM115
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            owner = handle.read().strip() or "unknown"
            handle.close()
            raise DataDirBusy(
                f"another inductiva-top server (pid {owner}) is using {self._data.root}"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        """Drop the lock and remove the pid file."""
        if self._handle is None:
            return
        with contextlib.suppress(OSError):
            self._data.pid_file.unlink()
        fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
        self._handle.close()
        self._handle = None


def check_free(data: DataDir) -> None:
    """Raise :class:`DataDirBusy` if another server holds ``data`` right now."""
    lock = DataDirLock(data)
    lock.acquire()
    lock.release()


@dataclass(frozen=True)
class Recovery:
    """What recovery did."""

    processes_killed: int
    resubmitted: int
    killed: int
    partials_removed: int


def recover(store: TaskStore, data: DataDir) -> Recovery:
    """Clean up after a previous server that did not shut down cleanly."""
    killed_processes = resubmitted = killed = 0
    for held in store.on_machine():
        if held.pgid is not None:
            killed_processes += processes.kill_leftover_group(held.pgid, held.pg_create_time)
        if held.start_time is not None:
            killed_processes += processes.kill_tagged(held.task_id, held.start_time - 1.0)
        now = lifecycle.utcnow()

        def change(record: TaskRecord, now: datetime = now) -> TaskStatusCode:
            steps.run_lost(record, now, steps.CRASH_REASON)
            return record.status

        outcome = store.update(held.task_id, change)
        if outcome is S.KILLED:
            killed += 1
        else:
            resubmitted += 1
    result = Recovery(
        processes_killed=killed_processes,
        resubmitted=resubmitted,
        killed=killed,
        partials_removed=archive.remove_partials(data.storage),
    )
    if result.resubmitted or result.killed or result.processes_killed:
        log.warning(
            "recovered from an unclean stop: %d leftover processes killed, "
            "%d tasks resubmitted, %d recorded killed",
            result.processes_killed,
            result.resubmitted,
            result.killed,
        )
    return result
