"""The demo's sweep and fleet: what the plan holds, and that its runs really fail two ways."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import io
import logging
import time
from itertools import product

import pytest

from inductiva_top.demo.driver import DemoDriver
from inductiva_top.demo.plan import (
    CREDITS,
    CREDITS_THRESHOLD,
    GROUPS,
    PLAN,
    SWEEP_ALPHAS,
    SWEEP_GROUP,
    SWEEP_PROJECT,
    SWEEP_RESOLUTIONS,
    DemoTask,
    sweep,
)
from tests.conftest import ServerFactory
from tests.server.task_helpers import wait_status


def test_the_sweep_covers_two_parameters_in_a_project_of_its_own() -> None:
    runs = sweep()
    assert 12 <= len(runs) <= 20
    assert {task.project for task in runs} == {SWEEP_PROJECT}
    assert {task.machine_group for task in runs} == {SWEEP_GROUP}
    assert sorted((t.metadata["alpha"], t.metadata["resolution"]) for t in runs) == sorted(
        product(SWEEP_ALPHAS, SWEEP_RESOLUTIONS)
    )
    assert len({task.name for task in runs}) == len(runs)
    assert max(task.delay for task in runs) < 60  # all submitted within the first minute
    assert all(task in PLAN for task in runs)


def test_the_fleet_bills_and_the_budget_lasts_the_demo() -> None:
    by_name = {group.name: group for group in GROUPS}
    burst = by_name[SWEEP_GROUP]
    assert burst.max_idle_time == 180.0 and burst.cost_per_hour > 0
    assert all(group.cost_per_hour > 0 for group in GROUPS)
    fleet_per_hour = sum(group.cost_per_hour * group.slots for group in GROUPS)
    hours = (CREDITS - CREDITS_THRESHOLD) / fleet_per_hour
    assert hours > 1.0  # well over the first ten minutes, even with every group up


def _fast(task: DemoTask) -> DemoTask:
    """The same run without the pacing sleeps (the solver's steps are the same)."""
    args = list(task.args)
    args[args.index("--pace") + 1] = "0"
    return dataclasses.replace(task, args=tuple(args), delay=0.0)


def test_sweep_runs_succeed_or_fail_in_two_distinct_ways(server_factory: ServerFactory) -> None:
    server = server_factory()
    chosen = {
        (task.metadata["alpha"], task.metadata["resolution"]): _fast(task)
        for task in sweep()
        if (task.metadata["alpha"], task.metadata["resolution"])
        in {("0.10", "20"), ("0.10", "12"), ("0.30", "20")}
    }
    driver = DemoDriver(
        server.base_url, server.api_key, io.StringIO(), plan=list(chosen.values()), follow_ups=0
    )
    asyncio.run(driver.run())
    with server.client() as client:
        docs = {
            key: wait_status(client, driver.submitted[task.name], timeout=60)
            for key, task in chosen.items()
        }
        stderr = {
            key: (server.data_dir / "work" / doc["task_id"] / "stderr.txt").read_text()
            for key, doc in docs.items()
        }
        rows = client.get(
            f"/projects/{SWEEP_PROJECT}/tasks_info", params={"select": "distinct"}
        ).json()
        burst = client.get(f"/compute/group/{SWEEP_GROUP}").json()
    assert docs["0.10", "20"]["status"] == "success"
    coarse, diverged = docs["0.10", "12"], docs["0.30", "20"]
    assert (coarse["status"], diverged["status"]) == ("failed", "failed")
    assert "exit code 2" in coarse["error_detail"]
    assert "mesh too coarse" in stderr["0.10", "12"]
    assert "exit code 3" in diverged["error_detail"]
    assert "solution diverged at step" in stderr["0.30", "20"]
    # Each run is named in its metadata; the sweep table's columns vary.
    assert {row["name"] for row in rows} == {task.name for task in chosen.values()}
    assert {"alpha", "resolution", "status"} <= set(rows[0])
    # The driver made the burst group as the plan says: billed, with an idle limit.
    assert burst["max_idle_time"] == 180.0
    assert burst["cost_per_hour"]["current"] > 0


def test_stopping_the_driver_early_leaves_no_kill_pending(
    server_factory: ServerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """Quitting the demo while a planned kill still sleeps cancels it cleanly.

    Before, the kill task was left pending when the driver's loop closed, and
    Python printed "Task was destroyed but it is pending!" over the terminal.
    """
    server = server_factory()
    first, later = (_fast(task) for task in sweep()[:2])
    plan = [
        dataclasses.replace(first, kill_after=600.0),
        dataclasses.replace(later, delay=600.0),
    ]
    log = io.StringIO()
    driver = DemoDriver(server.base_url, server.api_key, log, plan=plan, follow_ups=0)
    driver.start()
    deadline = time.monotonic() + 30
    while first.name not in driver.submitted and time.monotonic() < deadline:
        time.sleep(0.05)
    assert first.name in driver.submitted
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        driver.stop()
        gc.collect()
    assert "stopped" in log.getvalue()
    assert not [r for r in caplog.records if "destroyed but it is pending" in r.getMessage()]
