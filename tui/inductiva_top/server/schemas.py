"""Wire models of the server: what it accepts and what it answers.

Field names, required fields and enum values follow the official client's
generated models (inductiva 0.18.12, ``inductiva/client/models``), which
validate strictly: a required field must be present with the right type even
when ``null`` (``duration_seconds``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from inductiva_top.server.knobs import MAX_IDLE_SECONDS, MAX_RATE
from inductiva_top.server.statuses import OperationName, OperationStatus, TaskStatusCode


def check_utf8(value: Any) -> Any:
    """Refuse strings that cannot be stored or passed on as UTF-8 (lone surrogates).

    JSON's ``\\ud800`` escapes decode to such strings; SQLite, file names and
    process arguments cannot take them.
    """
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("text must be valid Unicode (no lone surrogates)") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            check_utf8(key)
            check_utf8(item)
    elif isinstance(value, list | tuple):
        for item in value:
            check_utf8(item)
    return value


Utf8Metadata = Annotated[dict[str, str], AfterValidator(check_utf8)]
"""A ``{str: str}`` body whose strings are valid UTF-8."""


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore")


class TaskMetrics(_Wire):
    """Timings and sizes of a task, filled in as things happen."""

    total_seconds: float | None = None
    container_image_download_seconds: float | None = None
    container_image_size_bytes: int | None = None
    queue_time_seconds: float | None = None
    computation_seconds: float | None = None
    input_upload_seconds: float | None = None
    input_download_seconds: float | None = None
    input_decompression_seconds: float | None = None
    output_upload_seconds: float | None = None
    input_zipped_size_bytes: int | None = None
    input_size_bytes: int | None = None
    output_total_files: int | None = None
    output_size_bytes: int | None = None
    output_zipped_size_bytes: int | None = None
    output_compression_seconds: float | None = None


class Executer(_Wire):
    """The (local) machine that runs a task."""

    uuid: str
    cpu_count_logical: int
    cpu_count_physical: int
    memory: int = Field(description="total memory of the machine, in bytes")
    n_mpi_hosts: int
    vm_type: str
    vm_name: str | None = None
    host_type: str
    error_detail: str | None = None


class OrchestrationFee(_Wire):
    """A fee; local tasks cost nothing."""

    amount: float
    charged: bool
    currency: str | None = "USD"


class TaskOperation(_Wire):
    """One operation inside a status-history entry."""

    name: OperationName
    alias: str
    start_timestamp: datetime
    end_timestamp: datetime | None = None
    status: OperationStatus
    attributes: dict[str, Any] = Field(default_factory=dict)


class TaskStatusInfo(_Wire):
    """One entry of a task's status history."""

    machine_id: str | None = None
    status: TaskStatusCode
    timestamp: datetime
    end_timestamp: datetime | None = None
    description: str
    alias: str
    operations: list[TaskOperation] = Field(default_factory=list)


class Task(_Wire):
    """A task as listed by ``GET /tasks``."""

    task_id: str
    status: TaskStatusCode
    status_alias: str
    simulator: str
    storage_path: str | None = None
    storage_input_path: str | None = None
    storage_output_path: str | None = None
    storage_region: str | None = None
    container_image: str | None = None
    project: str
    is_terminated: bool
    create_time: datetime | None = None
    input_submit_time: datetime | None = None
    start_time: datetime | None = None
    computation_start_time: datetime | None = None
    computation_end_time: datetime | None = None
    end_time: datetime | None = None
    estimated_computation_cost: float | None = None
    metrics: TaskMetrics | None = None
    executer: Executer | None = None
    machine_group_name: str | None = None
    machine_group_id: str | None = None
    error_detail: str | None = None
    input_resources: list[str] | None = None
    stream_zip: bool | None = True
    num_retries: int
    compress_with: str | None = None
    task_metadata: dict[str, str] | None = None
    extra_params: dict[str, Any] | None = None
    resubmit_on_preemption: bool | None = False
    duration_seconds: float | None
    orchestration_fee: OrchestrationFee | None = None
    time_to_live_seconds: float | None = Field(
        default=None, description="local extension: the computation time limit given at submit"
    )


class TaskMachineOperation(_Wire):
    """A machine-level operation (none are recorded locally; kept for the shape)."""

    machine_id: str
    type: str
    start_timestamp: datetime
    end_timestamp: datetime | None = None
    description: str
    info: dict[str, Any] = Field(default_factory=dict)


class TaskStep(_Wire):
    """A step of a task (not recorded locally; kept for the shape)."""

    type: str
    start_timestamp: datetime
    duration: float | None = None


class TaskWithStatusHistory(Task):
    """A task with its full timeline, as ``GET /tasks/{task_id}`` returns it."""

    status_history: list[TaskStatusInfo]
    machine_operations: list[TaskMachineOperation] = Field(default_factory=list)
    steps: list[TaskStep] | None = None


class TaskPage(_Wire):
    """One page of ``GET /tasks``."""

    total_size: int
    tasks: list[Task]


class PositionInQueue(_Wire):
    """How many tasks of the same machine group are ahead in the queue."""

    tasks_ahead: int


class TaskStatus(_Wire):
    """``GET /tasks/{id}/status`` and the answer to a kill."""

    id: str
    status: TaskStatusCode
    position_in_queue: PositionInQueue | None = None
    is_terminated: bool


class TaskSubmittedInfo(TaskStatus):
    """The answer to ``POST /tasks/submit``."""

    storage_region: str | None = None
    time_to_live_seconds: float | None = None
    orchestration_fee: OrchestrationFee | None = None


class TaskRequest(BaseModel):
    """The body of ``POST /tasks/submit``.

    For a local task ``extra_params`` is ``{"command": [str, ...], "env":
    {str: str} | null}``; ``resource_pool`` names a local machine group.
    """

    model_config = ConfigDict(extra="ignore")

    simulator: str
    simulator_name_alias: str | None = None
    resource_pool: str | None = None
    storage_path_prefix: str | None = ""
    project: str | None = None
    container_image: str | None = None
    time_to_live_seconds: float | None = Field(default=None, gt=0, le=10**9)
    resubmit_on_preemption: bool | None = False
    input_resources: list[str] | None = None
    stream_zip: bool | None = True
    compress_with: str | None = None
    extra_params: dict[str, Any] | None = Field(
        default=None,
        description='a local task: {"command": [program, arg, ...], "env": {name: value} | null}',
        examples=[{"command": ["python", "-c", "print('hello')"], "env": {"MODE": "fast"}}],
    )
    task_metadata: dict[str, str] | None = Field(
        default=None, description="local extension: metadata to set at submission"
    )

    @model_validator(mode="after")
    def _valid_text(self) -> TaskRequest:
        for value in self.__dict__.values():
            check_utf8(value)
        return self


class ProjectStatistics(_Wire):
    """Aggregates over a project's finished tasks."""

    success_rate: float
    avg_task_duration_seconds: float
    avg_task_compute_cost: float


class Project(_Wire):
    """A project and how its tasks are doing."""

    name: str = Field(min_length=1, max_length=128)
    project_type: str = "project"
    id: str
    created_at: datetime
    num_tasks: int
    estimated_computation_cost: float | None = 0.0
    total_orchestration_fee: float | None = 0.0
    total_orchestration_fee_undiscounted: float | None = 0.0
    task_status_overview: dict[str, int | None] | None = None
    project_metadata: dict[str, str] | None = None
    statistics: ProjectStatistics | None = None


class MachineGroup(_Wire):
    """A local machine group (local extension)."""

    name: str
    id: str
    slots: int
    machine_type: str
    created_at: datetime
    running_tasks: int
    queued_tasks: int
    cost_per_hour: float = Field(default=0.0, description="USD per machine-hour")
    max_idle_time: float | None = Field(
        default=None, description="seconds idle after which the group terminates"
    )


class MachineGroupCreate(BaseModel):
    """Body of ``POST /local/machine-groups``."""

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    slots: int = Field(ge=1, le=4096)
    machine_type: Annotated[str, AfterValidator(check_utf8)] = Field(
        default="local", min_length=1, max_length=64
    )
    cost_per_hour: float = Field(
        default=0.0, ge=0, le=MAX_RATE, description="USD each machine costs per hour while up"
    )
    max_idle_time: float | None = Field(
        default=None,
        gt=0,
        le=MAX_IDLE_SECONDS,
        description="terminate the group after this many seconds without a task",
    )


class BackendVersion(_Wire):
    """``GET /version``."""

    version: str
    min_supported_client_version: str | None = None


class VersionComparisonResult(_Wire):
    """``GET /version-check``."""

    is_valid: bool
    client_version: str
    server_version: str
    min_supported_client_version: str | None = None
