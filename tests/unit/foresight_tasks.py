"""Tasks at fixed times, for the foresight tests: finished histories and live queues."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from inductiva_top.api.models import Task

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
"""The tests' "now"; every other time is seconds from it."""


def at(seconds: float) -> datetime:
    """``NOW`` plus ``seconds`` (negative: before)."""
    return NOW + timedelta(seconds=seconds)


def task(
    task_id: str,
    status: str,
    *,
    group: str = "g",
    simulator: str = "sim",
    project: str = "p",
    **times: datetime | None,
) -> Task:
    """A task of ``group``, ``simulator`` and ``project`` with the given times."""
    return Task(
        task_id=task_id,
        status=status,
        machine_group_name=group,
        simulator=simulator,
        project=project,
        **times,
    )


def finished(
    task_id: str,
    start: float,
    run: float,
    *,
    compute: tuple[float, float] | None = None,
    status: str = "success",
    **names: str,
) -> Task:
    """A task that started at ``start`` (seconds from NOW) and ran ``run`` seconds.

    ``compute``: its command's start and end, in seconds after ``start``;
    ``names``: its group, simulator and project.
    """
    return task(
        task_id,
        status,
        create_time=at(start - 1),
        start_time=at(start),
        end_time=at(start + run),
        computation_start_time=at(start + compute[0]) if compute else None,
        computation_end_time=at(start + compute[1]) if compute else None,
        **names,
    )


def history(
    runs: list[float],
    *,
    finalize: float | None = None,
    group: str = "g",
    simulator: str = "sim",
    project: str = "p",
) -> list[Task]:
    """Successes one after another, ending before NOW, of the given run times.

    ``finalize``: each computes from its start until ``finalize`` seconds before its end
    (``None``: no computation times).
    """
    tasks = []
    start = -10_000.0
    for index, run in enumerate(runs):
        compute = None if finalize is None else (0.0, run - finalize)
        task_id = f"h{index}-{group}-{simulator}-{project}"
        tasks.append(
            finished(
                task_id, start, run, compute=compute, group=group, simulator=simulator,
                project=project,
            )
        )  # fmt: skip
        start += run + 1
    return tasks


def running(
    task_id: str,
    since: float,
    *,
    status: str = "computation-started",
    **names: str,
) -> Task:
    """A task running since ``since`` (seconds from NOW, negative), computing since then too.

    In ``started`` it is preparing: no computation yet.
    """
    return task(
        task_id,
        status,
        create_time=at(since - 1),
        start_time=at(since),
        computation_start_time=at(since) if status != "started" else None,
        **names,
    )


def waiting(task_id: str, queued: float = -5, *, status: str = "submitted", **names: str) -> Task:
    """A task queued at ``queued`` (seconds from NOW)."""
    return task(
        task_id,
        status,
        create_time=at(queued - 1),
        input_submit_time=at(queued),
        **names,
    )
