"""Cells of the task table: cost and machine as a user reads them."""

from __future__ import annotations

from datetime import datetime, timezone

from inductiva_top.api.models import Executer, Task
from inductiva_top.ui.columns import COLUMNS, RowContext, render_cell

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
    assert cell("machine", machine_group_name="highmem-1") == "highmem-1"
