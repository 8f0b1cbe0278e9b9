"""What the batch views ask of the API client (``InductivaClient``)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from inductiva_top.api.models import Project, ProjectTaskInfo
from inductiva_top.monitor.state import TaskSource

__all__ = ["BatchSource"]


@runtime_checkable
class BatchSource(TaskSource, Protocol):
    """The dashboard's task source, plus one project and a project's runs as rows."""

    async def get_project(self, name: str) -> Project: ...

    async def project_tasks_info(
        self, name: str, *, select: str = "all", status: str | None = None
    ) -> list[ProjectTaskInfo]: ...
