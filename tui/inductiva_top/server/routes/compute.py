"""Machine-group routes.

Real paths: ``GET /compute/groups`` (the started groups) and ``GET
/compute/group/{name}`` (any group, terminated ones too) describe local
groups as ``VMGroupConfig`` (:mod:`~inductiva_top.server.fleet.view`);
``DELETE /compute/group`` terminates one. Local machine groups are created
through the local extension ``POST /local/machine-groups`` (the real API's
``POST /compute/group`` starts cloud machines, which has no local meaning).
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status

from inductiva_top.server.fleet.meter import Meter
from inductiva_top.server.fleet.view import disk_size_gb, group_config
from inductiva_top.server.fleet.wire import VMGroupConfig
from inductiva_top.server.layout import DataDir
from inductiva_top.server.schemas import MachineGroup, MachineGroupCreate
from inductiva_top.server.tasks.executor import Executor
from inductiva_top.server.tasks.groups import MachineGroupRow
from inductiva_top.server.tasks.store import DEFAULT_GROUP, TaskStore


def _group(row: MachineGroupRow, store: TaskStore, executor: Executor) -> MachineGroup:
    return MachineGroup(
        name=row.name,
        id=row.name,
        slots=row.slots,
        machine_type=row.machine_type,
        created_at=datetime.fromtimestamp(row.created_at, timezone.utc),
        running_tasks=executor.running_in(row.name),
        queued_tasks=store.queued_count(row.name),
        cost_per_hour=row.cost_per_hour,
        max_idle_time=row.max_idle_time,
    )


def compute_router(store: TaskStore, executor: Executor, meter: Meter, data: DataDir) -> APIRouter:
    """Machine groups: describe and terminate (real paths), list and create (local extension)."""
    router = APIRouter(tags=["compute"])
    groups = executor.groups
    disk_gb = disk_size_gb(data.root)

    def config(row: MachineGroupRow) -> VMGroupConfig:
        return group_config(row, executor.fleet, executor.machine, disk_gb, time.time())

    @router.get("/compute/groups", response_model=list[VMGroupConfig])
    async def list_active_user_instance_groups() -> list[VMGroupConfig]:
        """The started machine groups, with their machines and costs."""
        return [config(row) for row in groups.all()]

    @router.get("/compute/group/{name}", response_model=VMGroupConfig)
    async def get_vm_group_by_name(name: str) -> VMGroupConfig:
        """One machine group, started or terminated."""
        row = groups.get(name)
        if row is None:
            raise HTTPException(status_code=404, detail=f"machine group {name!r} not found")
        return config(row)

    @router.delete(
        "/compute/group", status_code=status.HTTP_202_ACCEPTED, response_model=dict[str, Any]
    )
    async def delete_vm_group(
        machine_group_id: Annotated[str, Query(min_length=1)],
    ) -> dict[str, Any]:
        """Terminate a machine group: its waiting tasks become ``zombie``."""
        if machine_group_id == DEFAULT_GROUP:
            raise HTTPException(
                status_code=409, detail="the default machine group cannot be terminated"
            )
        if groups.started(machine_group_id) is None:
            raise HTTPException(
                status_code=404, detail=f"machine group {machine_group_id!r} not found"
            )
        zombies, stopped = executor.terminate_group(machine_group_id)
        return {"zombie_tasks": zombies, "stopped_tasks": stopped}

    @router.get("/local/machine-groups", response_model=list[MachineGroup])
    async def list_machine_groups() -> list[MachineGroup]:
        """Every started local machine group."""
        return [_group(row, store, executor) for row in groups.all()]

    @router.post(
        "/local/machine-groups", response_model=MachineGroup, status_code=status.HTTP_201_CREATED
    )
    async def create_machine_group(body: MachineGroupCreate) -> MachineGroup:
        """Create a local machine group (or change its slots, type, rate and idle limit)."""
        if body.name == DEFAULT_GROUP and body.max_idle_time is not None:
            raise HTTPException(
                status_code=409, detail="the default machine group cannot have an idle limit"
            )
        if body.cost_per_hour > 0 and meter.exhausted:
            raise HTTPException(
                status_code=409,
                detail="the credits are exhausted: a machine group with a rate cannot start",
            )
        row = groups.put(
            body.name,
            body.slots,
            body.machine_type,
            time.time(),
            cost_per_hour=body.cost_per_hour,
            max_idle_time=body.max_idle_time,
        )
        executor.sync_fleet()
        executor.wake()
        return _group(row, store, executor)

    return router
