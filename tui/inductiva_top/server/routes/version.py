"""``/version`` routes: the server's version, and whether a client's is accepted."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from inductiva_top.server.schemas import BackendVersion, VersionComparisonResult


def version_router(version: str) -> APIRouter:
    """``GET /version`` and ``GET /version-check``."""
    router = APIRouter(tags=["version"])

    @router.get("/version", response_model=BackendVersion)
    def get_version() -> BackendVersion:
        """The server's version."""
        return BackendVersion(version=version, min_supported_client_version=None)

    @router.get("/version-check", response_model=VersionComparisonResult)
    def compare_client_and_backend_versions(
        client_version: Annotated[str, Query(min_length=1, max_length=64)],
    ) -> VersionComparisonResult:
        """Every client version is accepted."""
        return VersionComparisonResult(
            is_valid=True,
            client_version=client_version,
            server_version=version,
            min_supported_client_version=None,
        )

    return router
