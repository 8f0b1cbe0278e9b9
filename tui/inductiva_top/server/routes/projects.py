"""``/projects`` routes: projects, how their tasks are doing, their runs as rows, their metadata.

Paths, parameters and shapes are the official client's ``ProjectsApi``
(inductiva 0.18.12, ``inductiva/client/api/projects_api.py``). Reads are
plain ``def`` routes (thread pool, one read connection per thread); writes
are ``async def`` on the event loop.
"""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, HTTPException, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from inductiva_top.server.schemas import Project, Utf8Metadata
from inductiva_top.server.statuses import TaskStatusCode
from inductiva_top.server.tasks import projects
from inductiva_top.server.tasks.lifecycle import DEFAULT_PROJECT
from inductiva_top.server.tasks.projects import ProjectNotFound
from inductiva_top.server.tasks.queries import MAX_PAGE
from inductiva_top.server.tasks.store import TaskNotFound, TaskStore


class ProjectCreate(BaseModel):
    """Body of ``POST /projects``."""

    name: str = Field(min_length=1, max_length=128)
    project_type: Literal["project", "benchmark"] | None = None


def _no_project(name: str) -> HTTPException:
    return HTTPException(status_code=404, detail=f"project {name!r} not found")


def _no_task(task_id: str) -> HTTPException:
    return HTTPException(status_code=404, detail=f"task {task_id!r} not found")


def projects_router(store: TaskStore) -> APIRouter:
    """The ``/projects`` routes over ``store``."""
    router = APIRouter(tags=["projects"])

    def project_or_404(name: str) -> dict[str, Any]:
        project = projects.get_project(store.reader(), name)
        if project is None:
            raise _no_project(name)
        return project

    @router.get("/projects", response_model=list[Project])
    def get_user_projects(
        page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
        per_page: Annotated[int, Query(ge=1, le=100)] = 100,
        project_type: Annotated[str | None, Query(pattern="^(project|benchmark)$")] = None,
    ) -> Response:
        """Projects, most recently created first, with their task overviews."""
        return JSONResponse(projects.list_projects(store.reader(), page, per_page, project_type))

    @router.post("/projects", response_model=Project)
    async def create_project(body: ProjectCreate) -> Response:
        """Create an empty project (409 when the name is taken)."""
        if not projects.create(store, body.name, body.project_type or "project", time.time()):
            raise HTTPException(status_code=409, detail=f"project {body.name!r} already exists")
        return JSONResponse(project_or_404(body.name))

    @router.get("/projects/{name}", response_model=Project)
    def get_project(name: str) -> Response:
        """One project."""
        return JSONResponse(project_or_404(name))

    @router.get("/projects/{name}/tasks_info", response_model=list[dict[str, Any]])
    def get_tasks_info(
        name: str,
        select: Literal["all", "distinct"] = "all",
        status: TaskStatusCode | None = None,
    ) -> Response:
        """One row per task of the project: id, status, simulator, machine, times, cost and
        the task's metadata as parameters; ``distinct`` keeps only the keys that vary."""
        conn = store.reader()
        if not projects.exists(conn, name):
            raise _no_project(name)
        code = status.value if status is not None else None
        return JSONResponse(projects.tasks_info(conn, name, select=select, status=code))

    @router.get("/projects/{name}/metadata", response_model=dict[str, str])
    def get_project_metadata(name: str) -> dict[str, str]:
        """The project's metadata."""
        try:
            return projects.metadata(store.reader(), name)
        except ProjectNotFound:
            raise _no_project(name) from None

    async def write_metadata(name: str, values: dict[str, str], *, merge: bool) -> dict[str, Any]:
        try:
            projects.set_metadata(store, name, values, merge=merge)
        except ProjectNotFound:
            raise _no_project(name) from None
        return {}

    @router.put("/projects/{name}/metadata", response_model=dict[str, Any])
    async def set_project_metadata(
        name: str, metadata: Annotated[Utf8Metadata, Body()]
    ) -> dict[str, Any]:
        """Replace the project's metadata."""
        return await write_metadata(name, metadata, merge=False)

    @router.patch("/projects/{name}/metadata", response_model=dict[str, Any])
    async def update_project_metadata(
        name: str, metadata: Annotated[Utf8Metadata, Body()]
    ) -> dict[str, Any]:
        """Merge into the project's metadata."""
        return await write_metadata(name, metadata, merge=True)

    async def move(task_id: str, project: str) -> dict[str, Any]:
        try:
            projects.move_task(store, task_id, project, time.time())
        except TaskNotFound:
            raise _no_task(task_id) from None
        return {}

    @router.post("/projects/{name}/task/{task_id}/add", response_model=dict[str, Any])
    async def add_task_to_project(name: str, task_id: str) -> dict[str, Any]:
        """Move a task into the project."""
        if not projects.exists(store.reader(), name):
            raise _no_project(name)
        return await move(task_id, name)

    @router.post("/projects/{name}/task/{task_id}/remove", response_model=dict[str, Any])
    async def remove_task_from_project(name: str, task_id: str) -> dict[str, Any]:
        """Move a task of the project back to the default project."""
        try:
            record = store.get(task_id)
        except TaskNotFound:
            raise _no_task(task_id) from None
        if record.task.project != name:
            raise HTTPException(
                status_code=404, detail=f"task {task_id!r} is not in project {name!r}"
            )
        return await move(task_id, DEFAULT_PROJECT)

    return router
