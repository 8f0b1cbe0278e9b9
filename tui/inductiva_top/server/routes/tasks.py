"""``/tasks`` routes: submit, list, show, status, kill, metadata.

Reads are plain ``def`` routes (FastAPI runs them in its thread pool, each
thread with its own read connection), except the task listing's quick pages
(:func:`~inductiva_top.server.tasks.queries.is_quick`), which every dashboard
polls: answered on the event loop, they cost no hand-off to a thread and back,
which under many pollers is most of a page's latency. Writes are ``async def``
routes that run on the event loop, where the executor lives, so a kill reaches
a running task without crossing threads.
"""

from __future__ import annotations

import secrets
import string
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Query, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from inductiva_top.server.errors import unprocessable
from inductiva_top.server.schemas import (
    PositionInQueue,
    TaskPage,
    TaskRequest,
    TaskStatus,
    TaskSubmittedInfo,
    TaskWithStatusHistory,
    Utf8Metadata,
)
from inductiva_top.server.statuses import TaskStatusCode
from inductiva_top.server.tasks import lifecycle, queries
from inductiva_top.server.tasks.executor import Executor
from inductiva_top.server.tasks.lifecycle import DEFAULT_PROJECT, TaskRecord
from inductiva_top.server.tasks.queries import MAX_PAGE
from inductiva_top.server.tasks.store import DEFAULT_GROUP, TaskNotFound, TaskStore

S = TaskStatusCode
_ID_ALPHABET = string.ascii_lowercase + string.digits
_ID_LENGTH = 25


def new_task_id() -> str:
    """A random task id shaped like the real API's (25 lowercase letters and digits)."""
    return secrets.choice(string.ascii_lowercase) + "".join(
        secrets.choice(_ID_ALPHABET) for _ in range(_ID_LENGTH - 1)
    )


def _not_found(task_id: str) -> HTTPException:
    return HTTPException(status_code=404, detail=f"task {task_id!r} not found")


def _validate_local_params(extra: dict[str, Any] | None) -> None:
    """``extra_params`` of a local task: ``{"command": [str, ...], "env": {str: str} | None}``."""
    if extra is None or "command" not in extra:
        raise unprocessable(
            ["body", "extra_params"],
            'extra_params must give the command to run: {"command": ["prog", "arg", ...]}',
        )
    command = extra["command"]
    if (
        not isinstance(command, list)
        or not command
        or not all(isinstance(part, str) and part and "\x00" not in part for part in command)
    ):
        raise unprocessable(
            ["body", "extra_params", "command"],
            "extra_params.command must be a non-empty list of non-empty strings",
        )
    env = extra.get("env")
    if env is not None and not (
        isinstance(env, dict)
        and all(
            isinstance(k, str)
            and k
            and "=" not in k
            and "\x00" not in k
            and isinstance(v, str)
            and "\x00" not in v
            for k, v in env.items()
        )
    ):
        raise unprocessable(
            ["body", "extra_params", "env"],
            "extra_params.env must be an object of string names to string values",
        )


def task_status(store: TaskStore, record: TaskRecord) -> TaskStatus:
    """The ``TaskStatus`` of a record, with its queue position when it waits."""
    position = None
    if record.status is S.SUBMITTED and record.queue_seq is not None:
        group = record.task.machine_group_name or DEFAULT_GROUP
        position = PositionInQueue(tasks_ahead=store.tasks_ahead(group, record.queue_seq))
    return TaskStatus(
        id=record.task_id,
        status=record.status,
        position_in_queue=position,
        is_terminated=record.task.is_terminated,
    )


def tasks_router(store: TaskStore, executor: Executor) -> APIRouter:
    """The ``/tasks`` routes over ``store``, with ``executor`` acting on them."""
    router = APIRouter(tags=["tasks"])

    def load(task_id: str) -> TaskRecord:
        try:
            return store.get(task_id)
        except TaskNotFound:
            raise _not_found(task_id) from None

    def change(task_id: str, fn: Any, *, enqueue: bool = False) -> Any:
        try:
            return store.update(task_id, fn, enqueue=enqueue)
        except TaskNotFound:
            raise _not_found(task_id) from None

    @router.get("/tasks", response_model=TaskPage)
    async def list_tasks(
        page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
        per_page: Annotated[int, Query(ge=1, le=500)] = 50,
        status: TaskStatusCode | None = None,
        project: str | None = None,
        active: bool | None = None,
        task_id_filter: str | None = None,
        sort: Annotated[list[str] | None, Query(description="field:asc|desc")] = None,
    ) -> Response:
        """A page of tasks, newest first unless ``sort`` says otherwise."""
        try:
            order = queries.parse_sort(sort)
        except queries.BadQuery as error:
            raise unprocessable(["query", "sort"], str(error)) from None
        query = queries.TaskQuery(
            page=page,
            per_page=per_page,
            status=status.value if status is not None else None,
            project=project,
            active=active,
            task_id_filter=task_id_filter,
            sort=order,
        )
        if queries.is_quick(query):
            body = queries.page_json(store.reader(), query)
        else:
            # Each thread reads through its own connection: taken in the worker.
            body = await run_in_threadpool(lambda: queries.page_json(store.reader(), query))
        return Response(body, media_type="application/json")

    @router.get("/tasks/{task_id}", response_model=TaskWithStatusHistory)
    def get_task(task_id: str) -> Response:
        """A task with its status history."""
        doc = load(task_id).task.model_dump(mode="json")
        return JSONResponse(queries.live_doc(doc))

    @router.get("/tasks/{task_id}/status", response_model=TaskStatus)
    def get_task_status(task_id: str) -> TaskStatus:
        """Status, and how many tasks are ahead while it waits."""
        return task_status(store, load(task_id))

    @router.post("/tasks/{task_id}/kill", response_model=TaskStatus)
    async def kill_task(task_id: str) -> TaskStatus:
        """Kill a task; a task that already ended is left as it is."""
        try:
            record = executor.kill(task_id)
        except TaskNotFound:
            raise _not_found(task_id) from None
        return task_status(store, record)

    @router.get("/tasks/{task_id}/metadata", response_model=dict[str, str])
    def get_metadata(task_id: str) -> dict[str, str]:
        """The task's metadata."""
        return dict(load(task_id).task.task_metadata or {})

    def put_metadata(task_id: str, metadata: dict[str, str], merge: bool) -> dict[str, Any]:
        def apply(record: TaskRecord) -> None:
            current = dict(record.task.task_metadata or {}) if merge else {}
            current.update(metadata)
            record.task.task_metadata = current

        change(task_id, apply)
        return {}

    @router.put("/tasks/{task_id}/metadata", response_model=dict[str, Any])
    async def set_metadata(
        task_id: str, metadata: Annotated[Utf8Metadata, Body()]
    ) -> dict[str, Any]:
        """Replace the task's metadata."""
        return put_metadata(task_id, metadata, merge=False)

    @router.patch("/tasks/{task_id}/metadata", response_model=dict[str, Any])
    async def update_metadata(
        task_id: str, metadata: Annotated[Utf8Metadata, Body()]
    ) -> dict[str, Any]:
        """Merge into the task's metadata."""
        return put_metadata(task_id, metadata, merge=True)

    @router.post(
        "/tasks/submit", response_model=TaskSubmittedInfo, status_code=status.HTTP_202_ACCEPTED
    )
    async def submit_task(request: TaskRequest) -> TaskSubmittedInfo:
        """Create a task waiting for its input (``pending-input``)."""
        _validate_local_params(request.extra_params)
        if request.storage_path_prefix not in (None, ""):
            raise unprocessable(
                ["body", "storage_path_prefix"],
                "storage_path_prefix is not supported by the local server",
            )
        group = request.resource_pool or DEFAULT_GROUP
        if executor.groups.started(group) is None:
            found = executor.groups.get(group)
            why = "is terminated" if found is not None else "not found"
            raise HTTPException(status_code=404, detail=f"machine group {group!r} {why}")
        project = request.project or DEFAULT_PROJECT
        if not 1 <= len(project) <= 128:
            raise unprocessable(["body", "project"], "project must be 1 to 128 characters long")
        request = request.model_copy(update={"project": project})
        record = lifecycle.new_task(new_task_id(), request, group, lifecycle.utcnow())
        store.insert(record)
        return TaskSubmittedInfo(
            id=record.task_id,
            status=record.status,
            is_terminated=False,
            storage_region=record.task.storage_region,
            time_to_live_seconds=request.time_to_live_seconds,
            orchestration_fee=record.task.orchestration_fee,
        )

    @router.post("/tasks/{task_id}/input_uploaded", response_model=dict[str, Any])
    async def notify_input_uploaded(task_id: str) -> dict[str, Any]:
        """The input is in storage: queue the task (``submitted``)."""
        now = lifecycle.utcnow()

        def submit(record: TaskRecord) -> TaskStatusCode:
            if record.status is S.PENDING_INPUT:
                lifecycle.enter(record, S.SUBMITTED, now)
            return record.status

        before = load(task_id).status
        if before is not S.PENDING_INPUT:
            raise HTTPException(
                status_code=409,
                detail=f"task {task_id!r} is {before.value}, not pending-input",
            )
        change(task_id, submit, enqueue=True)
        executor.wake()
        return {}

    return router
