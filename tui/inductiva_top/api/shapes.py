"""Small helpers every caller of the API shares: path segments and answer shapes.

:func:`segment` escapes an id for a request path; :func:`validate` and
:func:`validate_model` check a decoded answer and turn a wrong shape into
:class:`~inductiva_top.api.errors.BadResponse`, so no caller ever sees a
pydantic ``ValidationError``.
"""

from __future__ import annotations

from typing import Any, TypeVar
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from inductiva_top.api.errors import BadResponse, sanitize_excerpt

__all__ = ["BUILT_ON_FIRST_USE", "Query", "segment", "validate", "validate_model"]

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

Query = list[tuple[str, str]]
"""Query parameters in order; a name may repeat (``sort``, ``paths``)."""

BUILT_ON_FIRST_USE = ConfigDict(defer_build=True)
"""The config of every module-level ``TypeAdapter`` (and of the models): each validator is
built when first used, not at import, so the dashboard's launch does not build the
validators of answers its first screen does not need."""


def segment(value: str) -> str:
    """One path segment, fully escaped: a task id of ``../x`` stays one segment."""
    if not value:
        raise ValueError("an empty id or name cannot name a resource")
    escaped = quote(value, safe="")
    # "." and ".." would be resolved away as dot segments: escape them too.
    return escaped.replace(".", "%2E") if escaped in {".", ".."} else escaped


def _shape_error(exc: ValidationError, payload: Any, what: str) -> BadResponse:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ())) or "answer"
    return BadResponse(
        f"unexpected answer to {what}: {where}: {first.get('msg', 'invalid')}",
        excerpt=sanitize_excerpt(repr(payload)),
    )


def validate(adapter: TypeAdapter[T], payload: Any, what: str) -> T:
    """Validate a decoded answer to ``what``; a wrong shape becomes ``BadResponse``."""
    try:
        return adapter.validate_python(payload)
    except ValidationError as exc:
        raise _shape_error(exc, payload, what) from None


def validate_model(model: type[M], payload: Any, what: str) -> M:
    """Validate a decoded answer to ``what`` as ``model``; a wrong shape becomes ``BadResponse``."""
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise _shape_error(exc, payload, what) from None
