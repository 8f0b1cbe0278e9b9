"""The queue view of one waiting task: its machine group, who is ahead, how long it waited."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from inductiva_top.api.models import MachineGroup, Task
from inductiva_top.monitor.fmt import queue_wait
from inductiva_top.monitor.statuses import StatusKind, status_info

__all__ = ["QueueView", "queue_view"]


@dataclass(frozen=True)
class QueueView:
    """Where ``task`` stands in its machine group's queue."""

    task: Task
    group: str | None
    tasks_ahead: int | None
    ahead: list[Task]
    running: list[Task]
    waited_seconds: float | None
    why: str = ""
    """Why it waits, in words (see :meth:`.FleetState.explained`)."""
    described: MachineGroup | None = None
    """The machine group as the API described it when ``why`` was worded (None: not asked,
    or not known), so the view can be built again from a newer refresh without asking."""

    @property
    def ahead_partial(self) -> bool:
        """True when the server counts more tasks ahead than the active list shows."""
        return self.tasks_ahead is not None and self.tasks_ahead > len(self.ahead)


def _queued_at(task: Task) -> datetime | None:
    return task.input_submit_time or task.create_time


def queue_view(
    task: Task, active: Iterable[Task], tasks_ahead: int | None, now: datetime
) -> QueueView:
    """Build the queue view of ``task`` from the active tasks the dashboard holds.

    Ahead are the waiting tasks of the same machine group queued earlier;
    running are the group's tasks holding a machine now. ``active`` holds
    each task once (:meth:`~inductiva_top.monitor.state.DashboardState.held_tasks`
    is where the dashboard's copies of a task become one).
    """
    group = task.machine_group
    mine = _queued_at(task)
    same_group = [
        other for other in active if other.task_id != task.task_id and other.machine_group == group
    ]
    ahead = sorted(
        (
            other
            for other in same_group
            if status_info(other.status).kind is StatusKind.WAITING
            and (queued := _queued_at(other)) is not None
            and mine is not None
            and queued < mine
        ),
        key=lambda other: _queued_at(other) or now,
    )
    running = [o for o in same_group if status_info(o.status).kind is StatusKind.RUNNING]
    return QueueView(
        task=task,
        group=group,
        tasks_ahead=tasks_ahead,
        ahead=ahead,
        running=running,
        waited_seconds=queue_wait(task, now),
    )
