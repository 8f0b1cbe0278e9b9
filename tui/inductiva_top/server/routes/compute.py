"""Machine-group routes.

``DELETE /compute/group`` is the real API's way to terminate a machine group.
Local machine groups are created through the local extension
``POST /local/machine-groups`` (the real API's ``POST /compute/group`` starts
cloud machines, which has no local meaning).
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status

from inductiva_top.server.schemas import MachineGroup, MachineGroupCreate
from inductiva_top.server.tasks.executor import Executor
from inductiva_top.server.tasks.store import DEFAULT_GROUP, MachineGroupRow, TaskStore


def _group(row: MachineGroupRow, store: TaskStore, executor: Executor) -> MachineGroup:
    return MachineGroup(
        name=row.name,
        id=row.name,
        slots=row.slots,
        machine_type=row.machine_type,
        created_at=datetime.fromtimestamp(row.created_at, timezone.utc),
        running_tasks=executor.running_in(row.name),
        queued_tasks=store.queued_count(row.name),
    )


def compute_router(store: TaskStore, executor: Executor) -> APIRouter:
    """Machine groups: terminate (real path) and list/create (local extension)."""
    router = APIRouter(tags=["compute"])

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
        if store.group(machine_group_id) is None:
            raise HTTPException(
                status_code=404, detail=f"machine group {machine_group_id!r} not found"
            )
        zombies, stopped = executor.terminate_group(machine_group_id)
        return {"zombie_tasks": zombies, "stopped_tasks": stopped}

    @router.get("/local/machine-groups", response_model=list[MachineGroup])
    async def list_machine_groups() -> list[MachineGroup]:
        """Every local machine group."""
        return [_group(row, store, executor) for row in store.groups()]

    @router.post(
        "/local/machine-groups", response_model=MachineGroup, status_code=status.HTTP_201_CREATED
    )
    async def create_machine_group(body: MachineGroupCreate) -> MachineGroup:
        """Create a local machine group (or change its slots and machine type)."""
        store.put_group(body.name, body.slots, body.machine_type, time.time())
        executor.wake()
        row = store.group(body.name)
        assert row is not None
        return _group(row, store, executor)

    return router
