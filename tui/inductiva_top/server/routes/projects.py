"""``/projects`` routes: the projects and how their tasks are doing."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response
from fastapi.responses import JSONResponse

from inductiva_top.server.schemas import Project
from inductiva_top.server.tasks import queries
from inductiva_top.server.tasks.queries import MAX_PAGE
from inductiva_top.server.tasks.store import TaskStore


def projects_router(store: TaskStore) -> APIRouter:
    """``GET /projects`` and ``GET /projects/{name}``."""
    router = APIRouter(tags=["projects"])

    @router.get("/projects", response_model=list[Project])
    def get_user_projects(
        page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
        per_page: Annotated[int, Query(ge=1, le=100)] = 100,
        project_type: Annotated[str | None, Query(pattern="^(project|benchmark)$")] = None,
    ) -> Response:
        """Projects, most recently created first, with their task overviews."""
        return JSONResponse(queries.list_projects(store.reader(), page, per_page, project_type))

    @router.get("/projects/{name}", response_model=Project)
    def get_project(name: str) -> Response:
        """One project."""
        project = queries.get_project(store.reader(), name)
        if project is None:
            raise HTTPException(status_code=404, detail=f"project {name!r} not found")
        return JSONResponse(project)

    return router
