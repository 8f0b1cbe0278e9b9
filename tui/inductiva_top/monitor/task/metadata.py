"""Changing a task's metadata: one key at a time, as the detail screen's form asks.

The API merges (``PATCH /tasks/{id}/metadata``): setting a key leaves the
others as they are. A merge cannot remove a key, so removing one reads the
metadata (``GET``) and writes it back without the key (``PUT``, which
replaces); a change made by someone else between the two is lost, which the
form says. Nothing here knows about Textual.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

__all__ = ["MetadataSource", "change_metadata", "key_problem"]


@runtime_checkable
class MetadataSource(Protocol):
    """What editing metadata needs of :class:`~inductiva_top.api.client.InductivaClient`."""

    async def get_metadata(self, task_id: str) -> dict[str, str]: ...

    async def set_metadata(self, task_id: str, metadata: Mapping[str, str]) -> None: ...

    async def patch_metadata(self, task_id: str, metadata: Mapping[str, str]) -> None: ...


def key_problem(key: str) -> str | None:
    """Why ``key`` cannot be a metadata key (empty, a space or a control character), or None."""
    if not key:
        return "give a key"
    if any(char.isspace() or not char.isprintable() for char in key):
        return f"the key {key!r} holds a space or a control character"
    return None


async def change_metadata(
    source: MetadataSource, task_id: str, key: str, value: str | None
) -> dict[str, str]:
    """Set ``key`` to ``value`` (merged), or remove it (``value`` None); the metadata after.

    Raises :class:`ValueError` for a bad key and
    :class:`~inductiva_top.api.errors.ApiError` when the API refuses.
    """
    problem = key_problem(key)
    if problem is not None:
        raise ValueError(problem)
    if value == "":
        raise ValueError("give a value (Remove removes the key)")
    if value is not None:
        await source.patch_metadata(task_id, {key: value})
    else:
        current = await source.get_metadata(task_id)
        if key not in current:
            return current
        del current[key]
        await source.set_metadata(task_id, current)
    return await source.get_metadata(task_id)
