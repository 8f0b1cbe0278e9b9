"""Wire models of machine groups, in the shape of the official client's ``VMGroupConfig``.

Field names and types follow ``inductiva/client/models`` of inductiva 0.18.12
(``vm_group_config.py``, ``machine_info.py``, ``machine_group_costs.py``,
``machine_group_cost_per_hour.py``, ``machine_group_usage_statistics.py``,
``machine_group_time_stat.py``, ``cpu_info.py``), which validate strictly:
``idle_seconds`` is an integer, ``zone`` is required.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore")


class GroupMachine(_Wire):
    """One machine of a group (the official ``MachineInfo``)."""

    uuid: str
    cpu_count_logical: int
    cpu_count_physical: int
    memory_bytes: int
    host_name: str | None = None
    started_at: datetime | None = None
    terminated_at: datetime | None = None
    last_seen_at: datetime | None = None
    current_task_id: str | None = None
    disk_size_gb: float | None = None


class MachineGroupCosts(_Wire):
    """What a group has cost so far."""

    cost: float
    warning: str | None = None
    currency: Literal["USD"] | None = "USD"


class MachineGroupCostPerHour(_Wire):
    """What a group costs per hour: its bounds and now."""

    min: float
    max: float
    current: float | None = None
    min_reason: str
    max_reason: str
    currency: Literal["USD"] | None = "USD"


class MachineGroupTimeStat(_Wire):
    """One time figure of a group."""

    name: str
    description: str | None = ""
    value: float
    unit: str | None = "seconds"


class MachineGroupUsageStatistics(_Wire):
    """Machine time of a group: up, on tasks, idle (summed over its machines)."""

    total_time: MachineGroupTimeStat
    task_time: MachineGroupTimeStat
    idle_time: MachineGroupTimeStat


class CPUInfo(_Wire):
    """The CPUs of one machine."""

    cpu_cores_logical: int
    cpu_cores_physical: int


class VMGroupConfig(_Wire):
    """A machine group as ``GET /compute/groups`` and ``GET /compute/group/{name}`` describe it."""

    max_idle_time: float | None = Field(
        default=None, description="seconds without a task after which the group terminates"
    )
    auto_terminate_ts: datetime | None = Field(
        default=None, description="when the group will terminate if it stays idle"
    )
    id: str | None = None
    name: str | None = None
    machine_type: str | None = None
    disk_size_gb: int | None = None
    total_ram_gb: int | None = None
    threads_per_core: int | None = None
    num_vms: int | None = None
    idle_seconds: int | None = None
    creation_timestamp: datetime | None = None
    deletion_timestamp: datetime | None = None
    type: Literal["standard", "mpi", "elastic"] | None = None
    provider_id: Literal["GCP", "LOCAL"] | None = None
    started: bool | None = False
    quota_usage: dict[str, float] | None = None
    status: (
        Literal[
            "registered",
            "starting",
            "start_failed",
            "started",
            "shutting_down",
            "shutdown_failed",
            "terminated",
        ]
        | None
    ) = None
    spot: bool | None = False
    is_elastic: bool | None = False
    min_vms: int | None = None
    max_vms: int | None = None
    autoscale_policy: Literal["cpu", "task_in_queue"] | None = None
    custom_vm_image: str | None = None
    machines: list[GroupMachine] | None = None
    provider_description: str | None = None
    costs: MachineGroupCosts | None = None
    cost_per_hour: MachineGroupCostPerHour | None = None
    statistics: MachineGroupUsageStatistics | None = None
    sharing_level: Literal["private", "organization", "public"] | None = None
    zone: str
    cpu_info: CPUInfo | None = None
