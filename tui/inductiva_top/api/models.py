"""Typed, tolerant models of what the Inductiva API sends.

Tolerant means: unknown status codes are kept as plain strings, missing or
null fields become ``None``, extra fields are ignored, and every timestamp
becomes an aware UTC ``datetime`` whatever offset form it arrived in. A
response of the wrong *shape* (a list where an object belongs, a string where
a number belongs) still fails validation; the client maps that to
:class:`~inductiva_top.api.errors.BadResponse`.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)

from inductiva_top.api.shapes import BUILT_ON_FIRST_USE


def _blank_to_none(value: Any) -> Any:
    """Some servers send ``""`` for a time that has not happened yet."""
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _as_utc(value: datetime | None) -> datetime | None:
    """Naive times are taken as UTC; aware ones are converted to UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


# Pydantic's own ISO 8601 parser accepts what ``datetime.fromisoformat`` of
# Python 3.10 rejects (``Z``, any number of fractional digits, a space for
# ``T``); the after-validator then makes every result aware UTC.
UtcDatetime = Annotated[datetime | None, BeforeValidator(_blank_to_none), AfterValidator(_as_utc)]
"""An aware UTC datetime (or ``None``), accepted from any ISO 8601 form or a Unix time."""


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="ignore", frozen=True, populate_by_name=True, **BUILT_ON_FIRST_USE
    )


class TaskMetrics(_Model):
    """Timing and size figures of a task; each may be missing."""

    total_seconds: float | None = None
    queue_time_seconds: float | None = None
    computation_seconds: float | None = None
    input_upload_seconds: float | None = None
    input_download_seconds: float | None = None
    input_decompression_seconds: float | None = None
    output_compression_seconds: float | None = None
    output_upload_seconds: float | None = None
    container_image_download_seconds: float | None = None
    container_image_size_bytes: int | None = None
    input_size_bytes: int | None = None
    input_zipped_size_bytes: int | None = None
    output_size_bytes: int | None = None
    output_zipped_size_bytes: int | None = None
    output_total_files: int | None = None


class Executer(_Model):
    """The machine that ran (or runs) a task."""

    uuid: str | None = None
    cpu_count_logical: int | None = None
    cpu_count_physical: int | None = None
    memory: int | None = None
    n_mpi_hosts: int | None = None
    vm_type: str | None = None
    vm_name: str | None = None
    host_type: str | None = None
    error_detail: str | None = None

    @property
    def machine_label(self) -> str:
        """What a user calls the machine: ``host_type vm_type`` plus `` xN`` for MPI."""
        vm = self.vm_type
        if not vm or vm == "n/a":
            vm = self.vm_name or vm or ""
        label = " ".join(part for part in (self.host_type, vm) if part)
        if self.n_mpi_hosts is not None and self.n_mpi_hosts > 1:
            label = f"{label} x{self.n_mpi_hosts}"
        return label


class OrchestrationFee(_Model):
    amount: float | None = None
    charged: bool | None = None
    currency: str | None = None


class Task(_Model):
    """One task as listed by ``GET /tasks``."""

    task_id: str
    status: str
    status_alias: str | None = None
    simulator: str | None = None
    project: str | None = None
    is_terminated: bool | None = None
    create_time: UtcDatetime | None = None
    input_submit_time: UtcDatetime | None = None
    start_time: UtcDatetime | None = None
    computation_start_time: UtcDatetime | None = None
    computation_end_time: UtcDatetime | None = None
    end_time: UtcDatetime | None = None
    storage_path: str | None = None
    storage_input_path: str | None = None
    storage_output_path: str | None = None
    storage_region: str | None = None
    container_image: str | None = None
    machine_group_name: str | None = None
    machine_group_id: str | None = None
    error_detail: str | None = None
    num_retries: int | None = None
    task_metadata: dict[str, str] | None = None
    extra_params: dict[str, Any] | None = None
    estimated_computation_cost: float | None = None
    duration_seconds: float | None = None
    metrics: TaskMetrics | None = None
    executer: Executer | None = None
    orchestration_fee: OrchestrationFee | None = None

    @property
    def machine_group(self) -> str | None:
        """The key of the machine group the task runs in: its name, else its id.

        The one answer to "which group": ``GET /compute/group/{name}`` finds a
        group by its name, and the fleet knows every group by both, so every
        reader (the queue, the fleet, the estimates' history) asks this.
        """
        return self.machine_group_name or self.machine_group_id

    @property
    def outputs_uploaded(self) -> bool:
        """Whether the task uploaded an output archive (its zipped size was measured).

        Such a task whose archive is missing had its outputs removed from storage.
        """
        return self.metrics is not None and self.metrics.output_zipped_size_bytes is not None


class TaskOperation(_Model):
    """One step inside a state: ``download_input``, ``exec_command``, ..."""

    name: str
    alias: str | None = None
    start_timestamp: UtcDatetime | None = None
    end_timestamp: UtcDatetime | None = None
    status: str | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)


class StatusHistoryEntry(_Model):
    """One state the task went through, oldest first in ``status_history``."""

    status: str
    alias: str | None = None
    description: str | None = None
    timestamp: UtcDatetime | None = None
    end_timestamp: UtcDatetime | None = None
    machine_id: str | None = None
    operations: list[TaskOperation] = Field(default_factory=list)


class MachineOperation(_Model):
    machine_id: str | None = None
    type: str | None = None
    start_timestamp: UtcDatetime | None = None
    end_timestamp: UtcDatetime | None = None
    description: str | None = None
    info: dict[str, Any] = Field(default_factory=dict)


class TaskStep(_Model):
    type: str | None = None
    start_timestamp: UtcDatetime | None = None
    duration: float | None = None


class TaskWithStatusHistory(Task):
    """One task as returned by ``GET /tasks/{id}``."""

    status_history: list[StatusHistoryEntry] = Field(default_factory=list)
    machine_operations: list[MachineOperation] = Field(default_factory=list)
    steps: list[TaskStep] | None = None


class PositionInQueue(_Model):
    tasks_ahead: int


class TaskStatus(_Model):
    """``GET /tasks/{id}/status`` and the answer to a kill."""

    id: str
    status: str
    is_terminated: bool | None = None
    position_in_queue: PositionInQueue | None = None


class TaskSubmittedInfo(TaskStatus):
    """The answer to ``POST /tasks/submit``: a status plus where inputs go."""

    storage_region: str | None = None
    time_to_live_seconds: float | None = None
    orchestration_fee: OrchestrationFee | None = None


class TaskPage(_Model):
    """One page of ``GET /tasks``."""

    total_size: int
    tasks: list[Task]


class ProjectStatistics(_Model):
    success_rate: float | None = None
    avg_task_duration_seconds: float | None = None
    avg_task_compute_cost: float | None = None


class Project(_Model):
    name: str
    project_type: str | None = None
    id: str | None = None
    created_at: UtcDatetime | None = None
    num_tasks: int | None = None
    estimated_computation_cost: float | None = None
    task_status_overview: dict[str, int | None] | None = None
    project_metadata: dict[str, str] | None = None
    statistics: ProjectStatistics | None = None


class ProjectTaskInfo(_Model):
    """One row of ``GET /projects/{name}/tasks_info``: a run of the project and its parameters.

    The API does not type these rows. The fixed columns are the official
    benchmark export's (``task_id``, ``simulator``, ``machine_type``,
    ``computation_time (s)``, ``estimated_computation_cost (US$)``; the
    embedded server adds ``status`` and ``queue_time (s)``); every other key
    is a parameter of the run. With ``select=distinct`` a column whose value
    is the same in every row is left out, and reads here as ``None``.
    """

    task_id: str | None = None
    status: str | None = None
    simulator: str | None = None
    machine_type: str | None = None
    computation_time: float | None = Field(default=None, alias="computation_time (s)")
    queue_time: float | None = Field(default=None, alias="queue_time (s)")
    estimated_computation_cost: float | None = Field(
        default=None, alias="estimated_computation_cost (US$)"
    )
    parameters: dict[str, Any] = Field(default_factory=dict)
    """The row's other keys: the run's parameters (on the embedded server, its metadata)."""

    @model_validator(mode="before")
    @classmethod
    def _split_parameters(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        fixed = {
            name
            for field_name, info in cls.model_fields.items()
            if field_name != "parameters"
            for name in (field_name, info.alias)
            if name
        }
        rest = {key: value for key, value in data.items() if key not in fixed}
        if set(rest) == {"parameters"} and isinstance(rest["parameters"], dict):
            return data  # already split (built in code, or a dump of this model)
        return {**{k: v for k, v in data.items() if k in fixed}, "parameters": rest}


class Machine(_Model):
    """One machine of a machine group (``MachineInfo``)."""

    uuid: str | None = None
    host_name: str | None = None
    cpu_count_logical: int | None = None
    cpu_count_physical: int | None = None
    memory_bytes: int | None = None
    disk_size_gb: float | None = None
    started_at: UtcDatetime | None = None
    terminated_at: UtcDatetime | None = None
    last_seen_at: UtcDatetime | None = None
    current_task_id: str | None = None


class MachineGroupCosts(_Model):
    """What a machine group has cost so far."""

    cost: float | None = None
    warning: str | None = None
    currency: str | None = None


class MachineGroupCostPerHour(_Model):
    """What a machine group costs per hour: its range and now, with why."""

    min: float | None = None
    max: float | None = None
    current: float | None = None
    min_reason: str | None = None
    max_reason: str | None = None
    currency: str | None = None


class MachineGroupTimeStat(_Model):
    name: str | None = None
    description: str | None = None
    value: float | None = None
    unit: str | None = None


class MachineGroupUsageStatistics(_Model):
    """Machine time of a group, summed over its machines."""

    total_time: MachineGroupTimeStat | None = None
    task_time: MachineGroupTimeStat | None = None
    idle_time: MachineGroupTimeStat | None = None


class MachineGroup(_Model):
    """A machine group as ``GET /compute/groups`` lists it (``VMGroupConfig``).

    ``max_idle_time`` and ``idle_seconds`` are seconds; ``auto_terminate_ts``
    is when the group will terminate (on the embedded server: if it stays idle).
    """

    name: str | None = None
    id: str | None = None
    machine_type: str | None = None
    status: str | None = None
    started: bool | None = None
    type: str | None = None
    provider_id: str | None = None
    zone: str | None = None
    spot: bool | None = None
    is_elastic: bool | None = None
    num_vms: int | None = None
    min_vms: int | None = None
    max_vms: int | None = None
    disk_size_gb: int | None = None
    total_ram_gb: int | None = None
    max_idle_time: float | None = None
    idle_seconds: float | None = None
    auto_terminate_ts: UtcDatetime | None = None
    creation_timestamp: UtcDatetime | None = None
    deletion_timestamp: UtcDatetime | None = None
    machines: list[Machine] | None = None
    """The group's machines (None: the API did not say)."""
    costs: MachineGroupCosts | None = None
    cost_per_hour: MachineGroupCostPerHour | None = None
    statistics: MachineGroupUsageStatistics | None = None
    quota_usage: dict[str, float | None] | None = None


class UserInfo(_Model):
    """``GET /users/info``: the account behind the API key and its credits."""

    username: str | None = None
    email: str | None = None
    name: str | None = None
    organization: str | None = None
    tier: str | None = None
    total_available_credits: float | None = None
    credits_currency: str | None = None
    terminate_resources_credits_threshold: float | None = None
    """Machines are stopped when the credits left fall to this many."""
    costs_fee_percentage: float | None = None
    credits_counted: bool = True
    """False only from an embedded server run without a budget: no balance, no runway."""


class FileInfo(_Model):
    """One member of a zip archive, as ``/storage/zip-contents`` lists it."""

    name: str
    size: int | None = None
    compressed_size: int | None = None
    range_start: int | None = None
    creation_time: UtcDatetime | None = None
    compress_type: int | None = None


class ZipArchiveInfo(_Model):
    size: int
    contents: list[FileInfo]


class ZipFileRange(_Model):
    range_start: int
    range_end: int
    compress_type: int | None = None


class StorageFile(_Model):
    """One entry of ``GET /storage/contents`` (the API calls the size ``size_bytes``)."""

    name: str | None = None
    size: int | None = Field(default=None, validation_alias=AliasChoices("size_bytes", "size"))
    creation_time: UtcDatetime | None = None
    is_directory: bool | None = None
    provider_id: str | None = None
    region: str | None = None


class StorageContents(_Model):
    total_files: int | None = None
    available_regions: list[str] | None = None
    contents: list[StorageFile] = Field(default_factory=list)


class ApiVersion(_Model):
    """``GET /version``."""

    version: str
    min_supported_client_version: str | None = None


class VersionCheck(_Model):
    """``GET /version-check``: whether this client version is still served."""

    is_valid: bool
    client_version: str | None = None
    server_version: str | None = None
    min_supported_client_version: str | None = None
