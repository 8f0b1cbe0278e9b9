"""Local machine groups described as the real API describes machine groups (``VMGroupConfig``).

Each slot of a group is one machine. A local machine is a share of this
computer, so each reports the computer's CPUs, memory and the disk of the
data dir. ``idle_seconds`` counts from when the group's last task left (or
from its start): 0 while a machine runs a task. ``auto_terminate_ts`` is when
an idle group with a ``max_idle_time`` will terminate if nothing comes (the
real API also uses the field for a termination time set at creation; a
local group has none). Costs come from the group's rate per machine-hour,
billed while machines are up; with no rate configured (the default) they are
zero, and ``costs.warning`` and the ``cost_per_hour`` reasons say so.
"""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

from inductiva_top.server.fleet import account
from inductiva_top.server.fleet.wire import (
    CPUInfo,
    GroupMachine,
    MachineGroupCostPerHour,
    MachineGroupCosts,
    MachineGroupTimeStat,
    MachineGroupUsageStatistics,
    VMGroupConfig,
)
from inductiva_top.server.tasks.groups import MachineGroupRow
from inductiva_top.server.tasks.machines import Fleet, GroupMachines, Machine
from inductiva_top.server.tasks.processes import MachineInfo

ZONE = "local"
NO_RATE = (
    "no rate is configured for this local group, so its machines cost nothing "
    "(give one with serve --machine-group NAME=SLOTS:TYPE:RATE)"
)


def _time(timestamp: float | None) -> datetime | None:
    return datetime.fromtimestamp(timestamp, timezone.utc) if timestamp is not None else None


def disk_size_gb(root: Path) -> float:
    """Size of the disk holding the data dir, in GB."""
    try:
        return round(shutil.disk_usage(root).total / 1e9, 1)
    except OSError:
        return 0.0


def _machine(machine: Machine, host: MachineInfo, disk_gb: float) -> GroupMachine:
    return GroupMachine(
        uuid=machine.uuid,
        cpu_count_logical=host.cpu_count_logical,
        cpu_count_physical=host.cpu_count_physical,
        memory_bytes=host.memory,
        host_name=host.hostname,
        started_at=_time(machine.started_at),
        terminated_at=_time(machine.terminated_at),
        last_seen_at=_time(machine.last_seen_at),
        current_task_id=machine.current_task_id,
        disk_size_gb=disk_gb,
    )


def _statistics(group: GroupMachines, now: float) -> MachineGroupUsageStatistics:
    machines = group.every_machine()
    total = sum(m.up_seconds(now) for m in machines)
    task = min(sum(m.task_seconds(now) for m in machines), total)
    return MachineGroupUsageStatistics(
        total_time=MachineGroupTimeStat(
            name="total_time", description="machine time up, summed over machines", value=total
        ),
        task_time=MachineGroupTimeStat(
            name="task_time", description="machine time running tasks", value=task
        ),
        idle_time=MachineGroupTimeStat(
            name="idle_time", description="machine time up without a task", value=total - task
        ),
    )


def _cost_per_hour(row: MachineGroupRow, current: float) -> MachineGroupCostPerHour:
    rate = row.cost_per_hour
    machines = f"{row.slots} local machine{'s' if row.slots != 1 else ''}"
    reason = f"{machines} at {rate:g} USD per machine-hour" if rate else NO_RATE
    return MachineGroupCostPerHour(
        min=rate * row.slots,
        max=rate * row.slots,
        current=current,
        min_reason=reason,
        max_reason=reason,
    )


def group_config(
    row: MachineGroupRow, fleet: Fleet, host: MachineInfo, disk_gb: float, now: float
) -> VMGroupConfig:
    """``row`` (with its machines from ``fleet``) as a ``VMGroupConfig``."""
    group = fleet.of(row)
    live = group.live() if group is not None else []
    idle_since = group.idle_since() if group is not None else None
    idle_seconds: int | None = None
    deadline = None
    if not row.terminated and group is not None:
        idle_seconds = int(now - idle_since) if idle_since is not None else 0
        if idle_since is not None and row.max_idle_time is not None:
            deadline = _time(idle_since + row.max_idle_time)
    current = group.current_rate() if group is not None else 0.0
    return VMGroupConfig(
        max_idle_time=row.max_idle_time,
        auto_terminate_ts=deadline,
        id=row.name,
        name=row.name,
        machine_type=row.machine_type,
        disk_size_gb=int(disk_gb),
        total_ram_gb=host.memory // 2**30,
        threads_per_core=max(host.cpu_count_logical // max(host.cpu_count_physical, 1), 1),
        num_vms=len(live),
        idle_seconds=idle_seconds,
        creation_timestamp=_time(row.created_at),
        deletion_timestamp=_time(row.terminated_at),
        type="standard",
        provider_id="LOCAL",
        started=not row.terminated,
        quota_usage={
            "max_instances": float(len(live)),
            "max_vcpus": float(len(live) * host.cpu_count_logical),
            "max_price_hour": current,
        },
        status="terminated" if row.terminated else "started",
        spot=False,
        is_elastic=False,
        min_vms=row.slots,
        max_vms=row.slots,
        machines=[_machine(m, host, disk_gb) for m in group.machines] if group else [],
        provider_description="a local machine group of the embedded server",
        costs=MachineGroupCosts(
            cost=round(account.group_cost(row, fleet, now), 6),
            warning=None if row.cost_per_hour else NO_RATE,
        ),
        cost_per_hour=_cost_per_hour(row, current),
        statistics=_statistics(group, now) if group is not None else None,
        sharing_level="private",
        zone=ZONE,
        cpu_info=CPUInfo(
            cpu_cores_logical=host.cpu_count_logical,
            cpu_cores_physical=host.cpu_count_physical,
        ),
    )
