"""Machine groups on a real server: machines and their tasks, idle limits, rates and credits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest

from inductiva_top.api.models import MachineGroup, UserInfo
from inductiva_top.cli import main
from inductiva_top.cli.serve import parse_machine_group
from inductiva_top.server.fleet.wire import VMGroupConfig
from inductiva_top.server.knobs import GroupSpec
from inductiva_top.server.tasks.groups import MachineGroupRow
from inductiva_top.server.tasks.machines import Fleet
from tests.conftest import ServerFactory
from tests.server.task_helpers import create, status, submit, task, wait_status, wait_until


def group(client: httpx.Client, name: str) -> dict[str, Any]:
    response = client.get(f"/compute/group/{name}")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    VMGroupConfig.model_validate(found)
    MachineGroup.model_validate(found)
    return found


def when(text: str | None) -> float:
    assert text is not None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def test_each_slot_is_a_machine_with_the_task_it_runs(server_factory: ServerFactory) -> None:
    server = server_factory(slots=1, args=["--machine-group", "burst=2:c2-standard-4:1.5:1h"])
    with server.client() as client:
        running = submit(client, ["sleep", "30"], group="burst")
        doc = wait_status(client, running, "computation-started")
        listed = client.get("/compute/groups").json()
        burst = group(client, "burst")
        default = group(client, "default")
        client.post(f"/tasks/{running}/kill")
    assert [g["name"] for g in listed] == ["burst", "default"]
    assert (burst["status"], burst["num_vms"], burst["machine_type"]) == (
        "started",
        2,
        "c2-standard-4",
    )
    assert (burst["provider_id"], burst["zone"], burst["type"]) == ("LOCAL", "local", "standard")
    machines = {m["current_task_id"]: m for m in burst["machines"]}
    assert set(machines) == {running, None}
    # The task's executer is the machine that runs it.
    assert doc["executer"]["uuid"] == machines[running]["uuid"]
    assert all(m["last_seen_at"] and m["started_at"] for m in burst["machines"])
    # Busy: not idle, so no termination is due.
    assert (burst["idle_seconds"], burst["auto_terminate_ts"]) == (0, None)
    assert burst["max_idle_time"] == 3600
    assert burst["cost_per_hour"]["min"] == burst["cost_per_hour"]["max"] == 3.0
    assert burst["cost_per_hour"]["current"] == 3.0
    assert burst["costs"]["cost"] > 0 and burst["costs"]["warning"] is None
    stats = burst["statistics"]
    total, busy, idle = (stats[k]["value"] for k in ("total_time", "task_time", "idle_time"))
    assert total == pytest.approx(busy + idle) and busy > 0
    # No rate configured: it costs nothing, and says why.
    assert default["costs"]["cost"] == 0
    assert "no rate" in default["costs"]["warning"]
    assert "no rate" in default["cost_per_hour"]["min_reason"]


def test_an_idle_group_terminates_at_its_limit_and_its_waiting_tasks_become_zombies(
    server_factory: ServerFactory,
) -> None:
    server = server_factory(args=["--machine-group", "short=1::0:3s"])
    with server.client() as client:
        ran = submit(client, ["true"], group="short")
        ended = wait_status(client, ran)
        waiting = create(client, ["true"], group="short")  # its inputs never come
        idle = group(client, "short")
        zombie = wait_status(client, waiting, timeout=30)
        gone = group(client, "short")
        active = [g["name"] for g in client.get("/compute/groups").json()]
        refused = client.post(
            "/tasks/submit",
            json={
                "simulator": "x",
                "resource_pool": "short",
                "extra_params": {"command": ["true"]},
            },
        )
    assert ended["status"] == "success"
    # Idle since its task left: it will terminate max_idle_time after that.
    assert idle["max_idle_time"] == 3
    assert when(idle["auto_terminate_ts"]) == pytest.approx(when(ended["end_time"]) + 3, abs=0.5)
    assert zombie["status"] == "zombie"
    assert zombie["status_alias"] == "Machine Terminated in Queue"
    assert gone["status"] == "terminated" and gone["started"] is False
    assert gone["deletion_timestamp"] and gone["num_vms"] == 0
    assert all(m["terminated_at"] for m in gone["machines"])
    assert gone["idle_seconds"] is None and gone["cost_per_hour"]["current"] == 0
    assert active == ["default"]
    assert refused.status_code == 404 and "terminated" in refused.json()["detail"]


def test_credits_run_out_and_billed_machines_stop(server_factory: ServerFactory) -> None:
    server = server_factory(
        slots=1, args=["--credits", "2", "--credits-threshold", "1", "--kill-grace", "0.5"]
    )
    with server.client() as client:
        free = {"name": "pricey", "slots": 1, "machine_type": "big", "cost_per_hour": 0.0}
        assert client.post("/local/machine-groups", json=free).status_code == 201
        before = UserInfo.model_validate(client.get("/users/info").json())
        running = submit(client, ["sleep", "60"], group="pricey")
        wait_status(client, running, "computation-started")
        queued = submit(client, ["true"], group="pricey")
        assert status(client, queued)["status"] == "submitted"
        # The same machine at 2 USD a second: the budget is gone within a tick.
        priced = client.post("/local/machine-groups", json={**free, "cost_per_hour": 7200.0})
        assert priced.status_code == 201
        stopped = wait_status(client, running, timeout=30)
        orphan = wait_status(client, queued)
        after = UserInfo.model_validate(client.get("/users/info").json())
        pricey = group(client, "pricey")
        still_free = submit(client, ["true"])  # the default group costs nothing: it runs on
        free_done = wait_status(client, still_free)
        again = client.post("/local/machine-groups", json={**free, "cost_per_hour": 1.0})
    assert (before.credits_counted, before.total_available_credits) == (True, 2.0)
    assert before.terminate_resources_credits_threshold == 1.0
    assert stopped["status"] == "executer-terminated-credits-exhausted"
    assert stopped["status_alias"] == "Credits Exhausted"
    assert "credits" in stopped["error_detail"]
    assert stopped["estimated_computation_cost"] > 0
    assert orphan["status"] == "zombie"
    assert after.total_available_credits is not None and after.total_available_credits <= 1.0
    assert pricey["status"] == "terminated" and pricey["costs"]["cost"] >= 1.0
    assert free_done["status"] == "success"
    assert again.status_code == 409
    # What was spent stays spent: a restart does not give the credits back.
    server.restart()
    with server.client() as client:
        restarted = UserInfo.model_validate(client.get("/users/info").json())
    assert restarted.total_available_credits == pytest.approx(after.total_available_credits)


def test_costs_accrue_while_a_task_runs(server_factory: ServerFactory) -> None:
    server = server_factory(args=["--machine-group", "meter=1::3600"])
    with server.client() as client:
        running = submit(client, ["sleep", "30"], group="meter")
        wait_status(client, running, "computation-started")
        # Costs are brought up to date every few seconds while the task runs.
        first = wait_until(lambda: task(client, running)["estimated_computation_cost"], "a cost")
        later = wait_until(
            lambda: (c := task(client, running)["estimated_computation_cost"]) > first and c,
            "a higher cost",
        )
        listed = client.get("/tasks", params={"project": "default"}).json()["tasks"]
        client.post(f"/tasks/{running}/kill")
        killed = wait_status(client, running)
    assert later > first > 0
    assert next(t["estimated_computation_cost"] for t in listed if t["task_id"] == running) > 0
    assert killed["estimated_computation_cost"] >= later


def test_the_queue_position_counts_only_the_same_group(server_factory: ServerFactory) -> None:
    server = server_factory(slots=1, args=["--machine-group", "other=1"])
    go = server.data_dir.parent / "go"
    with server.client() as client:
        blockers = [
            submit(client, ["sh", "-c", f"while [ ! -e {go} ]; do sleep 0.05; done"], group=g)
            for g in ("default", "other")
        ]
        for blocker in blockers:
            wait_status(client, blocker, "computation-started")
        mine = [submit(client, ["true"], group="default"), submit(client, ["true"], group="other")]
        also_mine = submit(client, ["true"], group="default")
        positions = [status(client, t)["position_in_queue"] for t in [*mine, also_mine]]
        go.touch()
    assert positions == [{"tasks_ahead": 0}, {"tasks_ahead": 0}, {"tasks_ahead": 1}]


# -- the flags ------------------------------------------------------------------------


def test_machine_group_flags_take_a_rate_and_an_idle_limit() -> None:
    assert parse_machine_group("burst=2:c2-standard-4:0.85:3m") == GroupSpec(
        "burst", 2, "c2-standard-4", 0.85, 180.0
    )
    assert parse_machine_group("b=1::0.5") == GroupSpec("b", 1, "local", 0.5, None)
    assert parse_machine_group("b=1:::90") == GroupSpec("b", 1, "local", 0.0, 90.0)
    assert parse_machine_group("b=1:x:0:1.5h").max_idle_time == 5400.0


@pytest.mark.parametrize("flag", ["--credits", "--credits-threshold", "--metrics-interval"])
def test_bad_numbers_for_the_new_flags_are_usage_errors(
    flag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["serve", flag, "-1"])
    assert info.value.code == 2
    assert flag in capsys.readouterr().err


# -- the machines, in memory ------------------------------------------------------------


def _row(slots: int, rate: float, incarnation: str = "i1") -> MachineGroupRow:
    return MachineGroupRow(
        name="g",
        slots=slots,
        machine_type="t",
        created_at=0.0,
        incarnation=incarnation,
        cost_per_hour=rate,
        max_idle_time=None,
        status="started",
        terminated_at=None,
        cost=0.0,
        past_cost=0.0,
    )


def test_machines_are_billed_while_up_whether_busy_or_not() -> None:
    fleet = Fleet()
    fleet.sync([_row(2, 1.0)], now=0.0)
    machines = fleet.of(_row(2, 1.0))
    assert machines is not None
    assert machines.cost_at(1800.0) == pytest.approx(1.0)  # 2 machines, half an hour, 1 USD/h
    fleet.take("g", "t1", 0.0)
    assert machines.idle_since() is None and machines.busy() == 1
    fleet.release("g", "t1", 900.0, slots=2)
    assert machines.idle_since() == 900.0
    # Shrinking to one machine from 1800 s on: billed at the new size from then.
    fleet.sync([_row(1, 1.0)], now=1800.0)
    assert machines.cost_at(3600.0) == pytest.approx(1.0 + 0.5)
    assert fleet.terminate("g", 3600.0) == pytest.approx(1.5)
    assert machines.cost_at(7200.0) == pytest.approx(1.5)  # terminated machines cost nothing
    assert machines.current_rate() == 0.0


def test_a_busy_machine_beyond_the_slots_retires_when_its_task_leaves() -> None:
    fleet = Fleet()
    fleet.sync([_row(2, 0.0)], now=0.0)
    fleet.take("g", "a", 0.0)
    fleet.take("g", "b", 0.0)
    fleet.sync([_row(1, 0.0)], now=10.0)
    machines = fleet.of(_row(1, 0.0))
    assert machines is not None and len(machines.live()) == 2  # both busy: none retired yet
    fleet.release("g", "a", 20.0, slots=1)
    assert len(machines.live()) == 1 and len(machines.retired) == 1
    # A new incarnation (started again after a termination) boots new machines.
    fleet.sync([_row(1, 0.0, incarnation="i2")], now=30.0)
    assert fleet.of(_row(1, 0.0)) is None
    assert fleet.of(_row(1, 0.0, incarnation="i2")) is not None
