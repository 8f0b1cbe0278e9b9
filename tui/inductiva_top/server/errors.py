"""Error answers of the server, and their place in the OpenAPI schema.

Two FastAPI shapes, as in the real API: ``{"detail": "text"}`` for every
error but 422, whose ``detail`` is a list of ``{"loc", "msg", "type"}``. A
422 raised by our own checks (a field valid for pydantic but not for the
server) uses the same list, so every 422 matches the schema FastAPI writes
for it. :func:`error_responses` documents the other codes a route can answer,
so clients and fuzzers know them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from fastapi import HTTPException
from pydantic import BaseModel

_DESCRIPTIONS = {
    400: "Bad request",
    401: "Missing or invalid API key",
    403: "Forbidden (bad signature, or a path outside storage)",
    404: "Not found",
    409: "Conflict with the current state",
    413: "Upload too large",
    416: "Range not satisfiable",
    429: "Too many live sessions",
    501: "Live sessions need the optional 'live' extra",
    503: "The server is stopping",
    507: "The server's disk is full",
}


class ErrorDetail(BaseModel):
    """A FastAPI-style error: ``{"detail": "text"}``."""

    detail: str


class LiveError(BaseModel):
    """How the live ``/local/tasks/...`` routes refuse: ``{"status": "error", "message"}``."""

    status: Literal["error"]
    message: str


def error_responses(
    *codes: int, model: type[BaseModel] = ErrorDetail
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for error ``codes`` answered with ``model``."""
    return {code: {"model": model, "description": _DESCRIPTIONS[code]} for code in codes}


def unprocessable(loc: Sequence[str | int], message: str) -> HTTPException:
    """A 422 shaped like FastAPI's own validation errors."""
    return HTTPException(
        status_code=422,
        detail=[{"loc": list(loc), "msg": message, "type": "value_error"}],
    )
