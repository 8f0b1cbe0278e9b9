"""Projects: their totals, their tasks as parameter rows, their metadata, and moving tasks.

A project's totals (``num_tasks``, ``task_status_overview``, ``statistics``,
``estimated_computation_cost``) come from one ``GROUP BY status`` over the
project's tasks, answered from the ``tasks_project_status`` index alone (it
covers status, times and cost), so a project of 10,000 tasks costs one index
range scan, not 10,000 documents.

``tasks_info`` rows are what the official client's benchmark export wrote
before the API computed them (``Benchmark.runs_info`` in inductiva 0.18.x,
replaced by ``GET /projects/{name}/tasks_info``): ``task_id``, ``simulator``,
``machine_type``, ``computation_time (s)``, ``estimated_computation_cost
(US$)`` and the run's parameters. Here the parameters are the task's
metadata (a local task has no simulator input to read them from), and the row
also says ``status`` and ``queue_time (s)``. Every row has the same keys (a
parameter a task lacks is ``null``), so a CSV export has one header; fixed
keys win over a metadata key of the same name. ``select=distinct`` keeps the
keys whose value differs between rows, as the export's "only the parameters
that vary between different runs".
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from inductiva_top.server.statuses import TERMINAL
from inductiva_top.server.tasks.lifecycle import TaskRecord
from inductiva_top.server.tasks.store import TaskStore

TASK_ID = "task_id"
STATUS = "status"
SIMULATOR = "simulator"
MACHINE_TYPE = "machine_type"
COMPUTATION_TIME = "computation_time (s)"
QUEUE_TIME = "queue_time (s)"
COST = "estimated_computation_cost (US$)"
FIXED_KEYS = (TASK_ID, STATUS, SIMULATOR, MACHINE_TYPE, COMPUTATION_TIME, QUEUE_TIME, COST)
"""The keys every ``tasks_info`` row starts with (the official export's, status, queue time)."""

SELECT_MODES = ("all", "distinct")

_TERMINAL_CODES = frozenset(code.value for code in TERMINAL)


class ProjectNotFound(LookupError):
    """No project has this name."""


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).isoformat().replace("+00:00", "Z")


def _totals(conn: sqlite3.Connection, name: str) -> dict[str, Any]:
    """``num_tasks``, overview, statistics and cost of a project, from its index alone."""
    rows = conn.execute(
        "SELECT status, COUNT(*), SUM(end_time - create_time), SUM(cost) "
        "FROM tasks WHERE project = ? GROUP BY status",
        (name,),
    ).fetchall()
    overview: dict[str, int] = {}
    cost = finished = succeeded = 0.0
    finished_seconds = finished_cost = 0.0
    for status, count, seconds, status_cost in rows:
        overview[str(status)] = int(count)
        cost += float(status_cost or 0.0)
        if status in _TERMINAL_CODES:
            finished += count
            finished_seconds += float(seconds or 0.0)
            finished_cost += float(status_cost or 0.0)
            if status == "success":
                succeeded += count
    statistics = None
    if finished:
        statistics = {
            "success_rate": round(succeeded / finished, 6),
            "avg_task_duration_seconds": round(finished_seconds / finished, 6),
            "avg_task_compute_cost": round(finished_cost / finished, 6),
        }
    return {
        "num_tasks": sum(overview.values()),
        "estimated_computation_cost": round(cost, 6),
        "task_status_overview": overview,
        "statistics": statistics,
    }


def _project(conn: sqlite3.Connection, row: sqlite3.Row) -> dict[str, Any]:
    name = str(row["name"])
    totals = _totals(conn, name)
    return {
        "name": name,
        "project_type": row["project_type"],
        "id": row["id"],
        "created_at": _iso(row["created_at"]),
        "num_tasks": totals["num_tasks"],
        "estimated_computation_cost": totals["estimated_computation_cost"],
        "total_orchestration_fee": 0.0,
        "total_orchestration_fee_undiscounted": 0.0,
        "task_status_overview": totals["task_status_overview"],
        "project_metadata": json.loads(row["metadata"]),
        "statistics": totals["statistics"],
    }


def list_projects(
    conn: sqlite3.Connection, page: int, per_page: int, project_type: str | None
) -> list[dict[str, Any]]:
    """One page of projects, newest first, with their totals."""
    where, params = ("WHERE project_type = ?", [project_type]) if project_type else ("", [])
    rows = conn.execute(
        f"SELECT * FROM projects {where} ORDER BY created_at DESC, name LIMIT ? OFFSET ?",  # noqa: S608
        [*params, per_page, (page - 1) * per_page],
    ).fetchall()
    return [_project(conn, row) for row in rows]


def get_project(conn: sqlite3.Connection, name: str) -> dict[str, Any] | None:
    """One project, or None."""
    row = conn.execute("SELECT * FROM projects WHERE name = ?", (name,)).fetchone()
    return _project(conn, row) if row is not None else None


def exists(conn: sqlite3.Connection, name: str) -> bool:
    """Whether a project of this name exists."""
    return conn.execute("SELECT 1 FROM projects WHERE name = ?", (name,)).fetchone() is not None


# -- tasks_info ---------------------------------------------------------------------

_INFO_SQL = (
    "SELECT task_id, status, simulator, cost, "
    "json_extract(doc, '$.executer.vm_type'), json_extract(doc, '$.executer.vm_name'), "
    "json_extract(doc, '$.metrics.computation_seconds'), "
    "json_extract(doc, '$.metrics.queue_time_seconds'), "
    "json_extract(doc, '$.task_metadata') "
    "FROM tasks WHERE project = ?"
)


def _machine_type(vm_type: str | None, vm_name: str | None) -> str | None:
    """``executer.vm_type``, or ``vm_name`` where the type is ``n/a`` (as the official export)."""
    if vm_type is None:
        return None
    return vm_name if vm_type == "n/a" else vm_type


def tasks_info(
    conn: sqlite3.Connection, name: str, *, select: str = "all", status: str | None = None
) -> list[dict[str, Any]]:
    """One row per task of project ``name`` (oldest first), optionally of one ``status``."""
    sql, params = _INFO_SQL, [name]
    if status is not None:
        sql += " AND status = ?"
        params.append(status)
    rows: list[dict[str, Any]] = []
    parameters: list[dict[str, str]] = []
    # Only fixed column names are in the SQL; values are bound parameters.
    for (
        task_id,
        code,
        simulator,
        cost,
        vm_type,
        vm_name,
        computation,
        queue,
        metadata,
    ) in conn.execute(sql + " ORDER BY create_time, seq", params):
        rows.append(
            {
                TASK_ID: task_id,
                STATUS: code,
                SIMULATOR: simulator,
                MACHINE_TYPE: _machine_type(vm_type, vm_name),
                COMPUTATION_TIME: computation,
                QUEUE_TIME: queue,
                COST: round(float(cost), 6),
            }
        )
        parameters.append(json.loads(metadata) if metadata else {})
    keys = _parameter_keys(parameters)
    for row, values in zip(rows, parameters, strict=True):
        row.update({key: values.get(key) for key in keys})
    return distinct(rows) if select == "distinct" else rows


def _parameter_keys(parameters: Iterable[dict[str, str]]) -> list[str]:
    """Metadata keys in order of first appearance, leaving out the fixed keys."""
    seen: dict[str, None] = {}
    for values in parameters:
        for key in values:
            if key not in FIXED_KEYS:
                seen.setdefault(key)
    return list(seen)


def distinct(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows with only the keys whose value is not the same in every row."""
    if len(rows) <= 1:
        return rows
    varying = [key for key in rows[0] if any(row[key] != rows[0][key] for row in rows)]
    return [{key: row[key] for key in varying} for row in rows]


# -- writes --------------------------------------------------------------------------


def create(store: TaskStore, name: str, project_type: str, now: float) -> bool:
    """Create an empty project; False when one of that name exists already."""
    with store.transaction() as conn:
        cursor = conn.execute(
            "INSERT INTO projects (name, id, project_type, created_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (name) DO NOTHING",
            (name, str(uuid.uuid4()), project_type, now),
        )
    return cursor.rowcount > 0


def metadata(conn: sqlite3.Connection, name: str) -> dict[str, str]:
    """A project's metadata; raises :class:`ProjectNotFound`."""
    row = conn.execute("SELECT metadata FROM projects WHERE name = ?", (name,)).fetchone()
    if row is None:
        raise ProjectNotFound(name)
    return dict(json.loads(row[0]))


def set_metadata(store: TaskStore, name: str, values: dict[str, str], *, merge: bool) -> None:
    """Replace (with ``merge``: update) a project's metadata; raises :class:`ProjectNotFound`."""
    with store.transaction() as conn:
        row = conn.execute("SELECT metadata FROM projects WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise ProjectNotFound(name)
        current = dict(json.loads(row[0])) if merge else {}
        current.update(values)
        conn.execute(
            "UPDATE projects SET metadata = ? WHERE name = ?",
            (json.dumps(current, separators=(",", ":")), name),
        )


def move_task(store: TaskStore, task_id: str, project: str, now: float) -> None:
    """Put a task in ``project`` (created if needed); raises ``TaskNotFound``."""

    def change(record: TaskRecord) -> None:
        record.task.project = project

    # The task moves first: an unknown task then creates no project.
    store.update(task_id, change)
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO projects (name, id, created_at) VALUES (?, ?, ?) "
            "ON CONFLICT (name) DO NOTHING",
            (project, str(uuid.uuid4()), now),
        )
