"""Sort values the store keeps beside each task document, and what ``GET /tasks`` sorts by.

Every sort of the listing reads an index ending in ``(create_time, seq)``. A
sort value that is a plain field of the task is a column of its own
(``status``, ``project``, the timestamps). Values derived from the document
(the status's place in the lifecycle order, the machine type, the seconds
of a finished run) are columns too, written with every change of the
task by :func:`sort_columns`. Two values tick while a task lives (its run
time while it computes, its total time until it ends): their column holds
them once they are fixed, and the listing computes the ticking ones at
request time (:class:`Ticking`), which costs only the live tasks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from inductiva_top.server.statuses import sort_rank

__all__ = ["QUEUE", "SORTABLE", "SORT_COLUMNS", "Ticking", "sort_columns"]


@dataclass(frozen=True)
class Ticking:
    """A value that ticks while a task lives: ``now - start`` until its column holds it."""

    column: str
    """The stored value; NULL while it still ticks (or when there is none)."""
    live: str
    """SQL condition of the rows whose value ticks now."""
    start: str
    """The column it ticks from."""


QUEUE = "position_in_queue"
"""The queue sort: waiting tasks by how many are ahead of them in their machine
group's queue, then every other task (newest last); worked out per request
from the few waiting tasks."""

SORTABLE: Mapping[str, str | Ticking] = {
    "create_time": "create_time",
    "input_submit_time": "input_submit_time",
    "start_time": "start_time",
    "computation_start_time": "computation_start_time",
    "computation_end_time": "computation_end_time",
    "end_time": "end_time",
    "status": "status_rank",
    "project": "project",
    "simulator": "simulator",
    "task_id": "task_id",
    "machine_group_name": "machine_group",
    "machine_type": "machine_type",
    "num_retries": "num_retries",
    "estimated_computation_cost": "cost",
    "computation_seconds": Ticking(
        "run_seconds",
        "is_terminated = 0 AND computation_start_time IS NOT NULL",
        "computation_start_time",
    ),
    "total_seconds": Ticking("total_seconds", "is_terminated = 0", "create_time"),
}
"""Sort fields of ``GET /tasks`` besides :data:`QUEUE` (wire name -> column or ticking value).

``status`` sorts by the lifecycle order of ``server/statuses.py``
(``SORT_ORDER``), not alphabetically. ``computation_seconds`` and
``total_seconds`` mean what the task's ``metrics`` of those names mean, and
tick for live tasks as the official client counts them.
"""

SORT_COLUMNS = ("status_rank", "machine_type", "run_seconds", "total_seconds")
"""The derived columns :func:`sort_columns` fills (``cost`` is the store's own column)."""


def _machine_type(doc: Mapping[str, Any]) -> str | None:
    """The machine type as users name it: ``gcp c2d-highcpu-16 x4``, ``local-std``."""
    executer = doc.get("executer")
    if not isinstance(executer, Mapping):
        return None
    vm = executer.get("vm_type")
    if not vm or vm == "n/a":
        vm = executer.get("vm_name") or vm or ""
    host = executer.get("host_type") or ""
    label = str(vm) if host and str(vm).startswith(str(host)) else f"{host} {vm}".strip()
    hosts = executer.get("n_mpi_hosts")
    if isinstance(hosts, int) and hosts > 1:
        label = f"{label} x{hosts}"
    return label or None


def _difference(start: float | None, end: float | None) -> float | None:
    return None if start is None or end is None else max(0.0, end - start)


def sort_columns(
    doc: Mapping[str, Any],
    *,
    create: float,
    computation_start: float | None,
    computation_end: float | None,
    end: float | None,
) -> dict[str, Any]:
    """The derived sort columns of a task document (times as Unix seconds).

    A finished run's seconds are ``metrics.computation_seconds``, else from
    the computation start to its end (to the task's end when it stopped
    mid-run, as a kill does). Total seconds are ``metrics.total_seconds``,
    else creation to end once the task ended (``duration_seconds`` when the
    end is missing). Both stay NULL while they tick.
    """
    metrics = doc.get("metrics")
    metrics = metrics if isinstance(metrics, Mapping) else {}
    terminated = bool(doc.get("is_terminated"))
    run = metrics.get("computation_seconds")
    if run is None:
        stop = computation_end if computation_end is not None else end if terminated else None
        run = _difference(computation_start, stop)
    total = metrics.get("total_seconds")
    if total is None and terminated:
        total = _difference(create, end)
        if total is None:
            total = doc.get("duration_seconds")
    return {
        "status_rank": sort_rank(str(doc.get("status"))),
        "machine_type": _machine_type(doc),
        "run_seconds": None if run is None else max(0.0, float(run)),
        "total_seconds": None if total is None else max(0.0, float(total)),
    }
