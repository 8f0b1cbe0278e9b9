"""``inductiva-top seed``: fill a data dir with finished tasks (demos, screenshots, benchmarks).

The tasks are written straight into the task store, shaped exactly as the
server records real ones (see :mod:`~inductiva_top.server.seed.task`), so
the server, the dashboard and the official client read them like any other.
A seed of at most :data:`OUTPUT_ARCHIVES_MAX` tasks (a demo's, the
screenshots') writes each task's real ``output.zip`` too, small, with the
figures its metrics record (:mod:`~inductiva_top.server.seed.outputs`), so
its outputs list and download as a real task's do. A bigger seed (a
benchmark's) writes none, to stay fast: its tasks' output metrics are drawn,
and the files they claim cannot be listed or downloaded
(``/storage/signed-urls`` gives null, zip listings 404). No seeded task has
an ``input.zip``.

The data dir is held (its ``server.pid`` lock) while seeding, so no server
runs on it meanwhile; seeding a data dir whose server is running is refused.
Worker processes build the rows, this process writes them, with the store's
bulk-load settings (:meth:`~inductiva_top.server.tasks.store.TaskStore.bulk_load`:
the fastest ones only for a data dir without tasks, which has nothing to lose).
"""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import os
import random
import resource
import signal
import sqlite3
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.pool import AsyncResult, Pool
from typing import TYPE_CHECKING, Any
from uuid import UUID

from inductiva_top.server.files.archive import PARTIAL_SUFFIX
from inductiva_top.server.layout import DataDir
from inductiva_top.server.seed.data import GROUPS, MachineGroup
from inductiva_top.server.seed.plan import US, PlannedTask, plan_tasks
from inductiva_top.server.seed.task import Machine, MachineFor, build_task
from inductiva_top.server.tasks.groups import MachineGroups

if TYPE_CHECKING:
    from inductiva_top.server.tasks.store import TaskStore

_MARGIN_US = 30 * US
"""Every seeded task ended at least this long before "now"."""
_CHUNK = 2_000
"""Tasks per job handed to a worker (and per write transaction)."""

_AHEAD = 8
"""Jobs built ahead of the one being written (bounds memory to a few chunks of rows)."""

OUTPUT_ARCHIVES_MAX = 2_000
"""The most tasks a seed writes real output archives for (by default)."""

_Job = tuple[int, int, int, bool, list[PlannedTask]]
_Built = list[tuple[dict[str, Any], bytes | None]]


class SeedError(RuntimeError):
    """Seeding cannot be done or failed; the message says why and what was written."""


class SeedInterrupted(KeyboardInterrupt):
    """Ctrl+C while seeding: the tasks of the chunks already written stay."""

    def __init__(self, written: int) -> None:
        super().__init__(written)
        self.written = written


@dataclass(frozen=True)
class SeedResult:
    """What a seeding wrote."""

    tasks: int
    projects: int
    """How many projects the tasks are in (fewer than asked when there are few tasks)."""
    seed: int
    seconds: float
    cpu_seconds: float
    """CPU time of this process and its workers: the cost, whatever else the machine runs."""


def machine_for(seed: int) -> MachineFor:
    """``machine(group, at_us)``: one server run per group and day (a new machine uuid daily).

    The uuid is a hash of the seed, group and day, so every worker agrees on it.
    """
    known: dict[tuple[str, int], Machine] = {}

    def machine(group: MachineGroup, at_us: int) -> Machine:
        day = at_us // (86_400 * US)
        found = known.get((group.name, day))
        if found is None:
            digest = hashlib.blake2b(f"{seed}/{group.name}/{day}".encode(), digest_size=16)
            uuid = str(UUID(bytes=digest.digest(), version=4))
            found = Machine(uuid, group.hosts[day % len(group.hosts)], group)
            known[(group.name, day)] = found
        return found

    return machine


def build_rows(job: _Job) -> _Built:
    """The ``tasks`` rows of one chunk of planned tasks, each with its ``output.zip`` or None.

    Run in worker processes. ``job`` is ``(seed, chunk number, now in
    microseconds, whether to build archives, planned tasks)``; each chunk
    draws from its own generator, so the result does not depend on how
    chunks are spread over workers.
    """
    seed, number, now_us, archives, planned = job
    rng = random.Random(f"{seed}/{number}")
    machine = machine_for(seed)
    built = []
    for item in planned:
        budget = max(now_us - _MARGIN_US - item.create_us, US)
        built.append(build_task(rng, item.plan, item.create_us, budget, machine, archives=archives))
    return built


def seed(
    data: DataDir,
    *,
    tasks: int,
    projects: int = 8,
    seed: int = 0,
    days: float = 42.0,
    now: float | None = None,
    workers: int | None = None,
    archives: bool | None = None,
) -> SeedResult:
    """Add ``tasks`` finished tasks in ``projects`` projects to ``data``.

    ``now`` (default: the current time) is just after the newest task ended;
    creation times spread over the ``days`` before it. The same ``seed`` (and
    ``now``) gives the same tasks. ``workers`` processes build the tasks
    (default: one per CPU, up to 4; 1 builds them in this process).
    ``archives``: write the tasks' output archives (default: when ``tasks``
    is at most :data:`OUTPUT_ARCHIVES_MAX`). Raises :class:`SeedError`.
    """
    from inductiva_top.server.runtime import DataDirBusy, DataDirLock
    from inductiva_top.server.tasks.db import DatabaseTooNew
    from inductiva_top.server.tasks.store import TaskStore

    started, cpu = time.perf_counter(), _cpu_seconds()
    count = workers if workers is not None else min(os.cpu_count() or 1, 4)
    # Workers are forked first, before this process holds the data dir or
    # any SQLite connection (a connection must never cross a fork).
    with _worker_pool(count if tasks > _CHUNK else 1) as pool:
        lock = DataDirLock(data)
        try:
            lock.acquire()
        except DataDirBusy as error:
            raise SeedError(f"{error}; stop that server first, then seed") from None
        except OSError as error:
            raise SeedError(f"cannot use the data dir {data.root}: {error}") from None
        try:
            try:
                store = TaskStore(data.database)
            except (DatabaseTooNew, sqlite3.Error) as error:
                raise SeedError(f"cannot open {data.database}: {error}") from None
            try:
                now_s = time.time() if now is None else now
                with_archives = tasks <= OUTPUT_ARCHIVES_MAX if archives is None else archives
                written, used = _fill(
                    store, data, tasks, projects, seed, days, now_s, pool, with_archives
                )
            finally:
                store.close()
        finally:
            lock.release()
    elapsed = time.perf_counter() - started
    return SeedResult(written, used, seed, elapsed, _cpu_seconds() - cpu)


def _cpu_seconds() -> float:
    """User and system time of this process and of its finished children."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _chunks(planned: list[PlannedTask], seed: int, now_us: int, archives: bool) -> list[_Job]:
    return [
        (seed, number, now_us, archives, planned[start : start + _CHUNK])
        for number, start in enumerate(range(0, len(planned), _CHUNK))
    ]


def _ignore_interrupts() -> None:
    """Workers leave Ctrl+C to the parent, which stops them (no traceback per worker)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextlib.contextmanager
def _worker_pool(count: int) -> Iterator[Pool | None]:
    """``count`` forked worker processes, or None to build in this process."""
    if count <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        yield None
        return
    # fork: workers need no re-import of __main__ (spawn would run the
    # caller's script again).
    pool = multiprocessing.get_context("fork").Pool(count, initializer=_ignore_interrupts)
    try:
        yield pool
    finally:
        pool.terminate()
        pool.join()


def _built(jobs: list[_Job], pool: Pool | None) -> Iterator[_Built]:
    """Rows of each job, in job order; at most a few jobs ahead of the writer (memory)."""
    if pool is None:
        yield from map(build_rows, jobs)
        return
    pending: deque[AsyncResult[_Built]] = deque()
    for job in jobs:
        pending.append(pool.apply_async(build_rows, (job,)))
        if len(pending) > _AHEAD:
            yield pending.popleft().get()
    while pending:
        yield pending.popleft().get()


def _written(store: TaskStore, planned: list[PlannedTask], now_s: float) -> None:
    """After writing ``planned``: the queue counter past their places, their machine groups."""
    if not planned:
        return
    last_seq = max(item.plan.queue_seq for item in planned)
    with store.transaction() as writer:
        writer.execute(
            "UPDATE counters SET value = MAX(value, ?) WHERE name = 'queue_seq'", (last_seq,)
        )
    groups = MachineGroups(store)
    for group in GROUPS:
        if groups.get(group.name) is None:
            groups.put(group.name, group.slots, group.label, now_s)


def _fill(
    store: TaskStore,
    data: DataDir,
    tasks: int,
    projects: int,
    seed: int,
    days: float,
    now_s: float,
    pool: Pool | None,
    archives: bool,
) -> tuple[int, int]:
    """Plan, build and write the tasks; returns how many tasks and projects were written."""
    # Read through the writer: a reader connection would keep the bulk load
    # below from leaving WAL mode.
    with store.transaction() as conn:
        first_seq = int(
            conn.execute("SELECT value FROM counters WHERE name = 'queue_seq'").fetchone()[0]
        )
    planned = plan_tasks(random.Random(seed), tasks, projects, now_s, days, first_seq)
    ids = [item.plan.task_id for item in planned[:500]]
    marks = ", ".join("?" for _ in ids)
    query = f"SELECT COUNT(*) FROM tasks WHERE task_id IN ({marks})"  # noqa: S608 - marks only
    with store.transaction() as conn:
        if ids and conn.execute(query, ids).fetchone()[0]:
            raise SeedError(
                f"{data.root} already has the tasks of --seed {seed}; "
                "seed again with another --seed (nothing was written)"
            )
    jobs = _chunks(planned, seed, int(now_s * US), archives)
    count = 0
    try:
        with store.bulk_load():
            # One transaction per chunk, so building and writing overlap.
            for built in _built(jobs, pool):
                count += store.insert_rows([row for row, _ in built])
                for row, archive in built:
                    if archive is not None:
                        _store_archive(data, str(row["task_id"]), archive)
    except OSError as error:
        _written(store, planned[:count], now_s)
        raise SeedError(f"writing an output archive failed after {count} tasks: {error}") from None
    except sqlite3.Error as error:
        with contextlib.suppress(sqlite3.Error):
            _written(store, planned[:count], now_s)
        raise SeedError(f"writing to {data.database} failed after {count} tasks: {error}") from None
    except KeyboardInterrupt:
        _written(store, planned[:count], now_s)
        raise SeedInterrupted(count) from None
    _written(store, planned, now_s)
    return count, len({item.plan.project for item in planned})


def _store_archive(data: DataDir, task_id: str, archive: bytes) -> None:
    """Put a task's ``output.zip`` in place, whole or not at all (as the runner publishes one)."""
    target = data.output_zip(task_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + PARTIAL_SUFFIX)
    partial.write_bytes(archive)
    os.replace(partial, target)
