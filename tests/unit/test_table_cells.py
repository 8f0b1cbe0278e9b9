"""Cells of the task table: cost, machine, group and durations as a user reads them."""

from __future__ import annotations

from datetime import datetime, timezone

from inductiva_top.api.models import Executer, Task
from inductiva_top.ui.columns import COLUMNS, RowContext, columns_from_config, render_cell

CONTEXT = RowContext(
    now=datetime(2026, 1, 1, tzinfo=timezone.utc), status="success", status_alias=None
)


def cell(key: str, **fields: object) -> str:
    task = Task(task_id="t1", status="success", **fields)  # type: ignore[arg-type]
    return render_cell(COLUMNS[key], task, CONTEXT).plain


def test_cost_shows_a_dash_when_nothing_is_billed() -> None:
    assert cell("cost") == "-"
    assert cell("cost", estimated_computation_cost=0.0) == "-"
    assert cell("cost", estimated_computation_cost=0.0123) == "$0.0123"


def test_machine_does_not_say_the_host_twice() -> None:
    local = Executer(host_type="local", vm_type="local-std")
    assert cell("machine", executer=local) == "local-std"
    gcp = Executer(host_type="GCP", vm_type="c2-standard-4", n_mpi_hosts=2)
    assert cell("machine", executer=gcp) == "GCP c2-standard-4 x2"


def test_machine_is_the_machine_type_and_group_the_group_whatever_the_status() -> None:
    """MACHINE once showed the group of a waiting task and the machine type of a running one."""
    assert cell("machine", machine_group_name="highmem-1") == "-"
    assert cell("group", machine_group_name="highmem-1") == "highmem-1"
    running = Executer(host_type="local", vm_type="local-highmem")
    assert cell("machine", machine_group_name="highmem-1", executer=running) == "local-highmem"
    assert cell("group", machine_group_name="highmem-1", executer=running) == "highmem-1"
    assert COLUMNS["machine"].sort_field == "machine_type"
    assert COLUMNS["group"].sort_field == "machine_group_name"


def test_run_and_total_are_named_for_what_they_count() -> None:
    assert (COLUMNS["run"].title, COLUMNS["total"].title) == ("RUN", "TOTAL")
    done = {
        "create_time": "2025-12-31T23:58:00Z",
        "computation_start_time": "2025-12-31T23:59:00Z",
        "computation_end_time": "2025-12-31T23:59:30Z",
        "end_time": "2025-12-31T23:59:30Z",
        "duration_seconds": 90.0,
    }
    assert (cell("run", **done), cell("total", **done)) == ("30s", "1m 30s")


def test_an_old_config_duration_column_is_the_run_column() -> None:
    columns, unknown = columns_from_config(["id", "duration"])
    assert [c.key for c in columns] == ["id", "run"] and not unknown
