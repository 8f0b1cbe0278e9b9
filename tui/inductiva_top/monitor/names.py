"""A task's display name, from its metadata, and how a task is named beside its id.

Tasks have 25-character random ids; the people who submit them tag them with
metadata (``task.set_metadata({"name": "plate-a0.3", "alpha": "0.3"})``).
:func:`task_name` is the one place that decides which metadata value names a
task: the first of the configured keys (the ``name_keys`` setting, default
:data:`DEFAULT_NAME_KEYS`) whose value is not blank, sanitized to one line.
The NAME column, a ``meta.KEY`` column, the kill dialog, watch toasts and
notifications and the exports all name tasks through it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from inductiva_top.monitor.sanitize import sanitize_name

if TYPE_CHECKING:
    # Only for types: config/settings.py reads the default keys here, and
    # ``--version`` must start without pydantic.
    from inductiva_top.api.models import Task

__all__ = ["DEFAULT_NAME_KEYS", "NAME_MAX", "labelled", "task_label", "task_name"]

DEFAULT_NAME_KEYS: tuple[str, ...] = ("name", "run", "case", "description")
"""The metadata keys that name a task, first present wins."""

NAME_MAX = 120
"""Characters kept of a name: a description may be a paragraph; a name is one line."""


def task_name(
    task: Task | Mapping[str, str] | None, keys: Sequence[str] = DEFAULT_NAME_KEYS
) -> str | None:
    """The value of the first of ``keys`` present and not blank in ``task``'s metadata.

    ``task`` is a task or its metadata mapping. The value is sanitized (no
    control characters, one line, at most :data:`NAME_MAX` characters);
    ``None`` when no key names it.
    """
    metadata = task if task is None or isinstance(task, Mapping) else task.task_metadata
    if not metadata:
        return None
    for key in keys:
        value = metadata.get(key)
        if isinstance(value, str):
            name = sanitize_name(value, NAME_MAX)
            if name:
                return name
    return None


def labelled(task_id: str, name: str | None) -> str:
    """``plate-a0.3 (0fd8…full id)``: the name with the id beside it; the bare id without one."""
    task_id = sanitize_name(task_id)
    return f"{name} ({task_id})" if name else task_id


def task_label(task: Task, keys: Sequence[str] = DEFAULT_NAME_KEYS) -> str:
    """``task`` named by :func:`task_name`, its id beside it (:func:`labelled`)."""
    return labelled(task.task_id, task_name(task, keys))
