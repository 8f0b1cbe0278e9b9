"""Failed tasks grouped by what went wrong, without Textual.

A failure's :class:`Signature` is its status code, its error detail, the
exit code of its command and the last line of its stderr, each normalised
(:func:`normalise`) so that what differs between runs of one mistake (a
number, a path, an id, a time) does not split them: ``mesh too coarse:
12x12 cells (need 16)`` and ``mesh too coarse: 20x20 cells (need 24)`` are
one group. :func:`group_failures` makes the groups, largest first.

A group's :func:`shared_parameters` are the metadata values every one of
its tasks has (a name aside): the part of a sweep that failed, whose
still-running siblings (:func:`siblings`) are worth killing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from inductiva_top.api.models import ProjectTaskInfo, Task
from inductiva_top.monitor.names import DEFAULT_NAME_KEYS
from inductiva_top.monitor.statuses import StatusKind, display_alias, status_info

__all__ = [
    "FailureGroup",
    "Signature",
    "exit_code",
    "group_failures",
    "last_line",
    "normalise",
    "shared_parameters",
    "siblings",
    "signature_of",
]

MAX_TEXT = 160
"""Where a normalised text is cut: a group's line must fit; the rest rarely tells groups apart."""

_EXIT = re.compile(r"\bexit(?:ed with)?(?: code| status)?[:=]?\s*(-?\d+)", re.IGNORECASE)
_TIMESTAMP = re.compile(
    r"\[?\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?\]?"
    r"|\[?\b\d{2}:\d{2}:\d{2}(?:\.\d+)?\b\]?"
)
_PATH = re.compile(
    r"(?:[A-Za-z]:)?(?:~|\.{1,2})?(?:[/\\][\w.@+-]+)+[/\\]?|\b[\w.-]+(?:/[\w.@+-]+)+"
)
_HEX = re.compile(r"\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b", re.IGNORECASE)
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_SPACE = re.compile(r"\s+")


def normalise(text: str | None) -> str:
    """``text`` with times, paths, ids and numbers replaced, spaces collapsed, cut to a line.

    ``[10:27:35] error: mesh too coarse: 12x12 cells in /work/a1/run (need 16)``
    becomes ``error: mesh too coarse: #x# cells in <path> (need #)``.
    """
    if not text:
        return ""
    text = _TIMESTAMP.sub(" ", text)
    text = _PATH.sub("<path>", text)
    text = _HEX.sub("<id>", text)
    text = _NUMBER.sub("#", text)
    text = _SPACE.sub(" ", text).strip()
    return text[:MAX_TEXT]


def exit_code(task: Task) -> int | None:
    """The exit code of the task's command, as its error detail says it (``exit code 2``)."""
    found = _EXIT.search(task.error_detail or "")
    return int(found.group(1)) if found else None


def last_line(stderr: str | None) -> str | None:
    """The last line of ``stderr`` that is not blank; None for an empty one."""
    lines = [line for line in (stderr or "").splitlines() if line.strip()]
    return lines[-1] if lines else None


@dataclass(frozen=True)
class Signature:
    """What a failure looks like, numbers and paths aside."""

    status: str
    detail: str
    exit_code: int | None
    stderr: str
    """The normalised last line of stderr; empty when there is none or it is not known."""

    @property
    def label(self) -> str:
        """One line: ``Failed · exit 2 · error: mesh too coarse: #x# cells``."""
        parts = [display_alias(self.status)]
        if self.exit_code is not None:
            parts.append(f"exit {self.exit_code}")
        text = self.stderr or self.detail
        if text:
            parts.append(text)
        return " · ".join(parts)


def signature_of(task: Task, stderr_last: str | None) -> Signature:
    """``task``'s signature, with the last line of its stderr when known."""
    detail = normalise(task.error_detail)
    return Signature(task.status, detail, exit_code(task), normalise(stderr_last))


def _created(task: Task) -> datetime:
    return task.create_time or datetime.min.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class FailureGroup:
    """Failed tasks that share a signature, newest first."""

    signature: Signature
    tasks: tuple[Task, ...]

    @property
    def key(self) -> str:
        """A stable key for the group (its signature, as text)."""
        s = self.signature
        return f"{s.status}|{s.exit_code}|{s.detail}|{s.stderr}"

    @property
    def count(self) -> int:
        return len(self.tasks)

    @property
    def example(self) -> Task:
        """The newest task of the group: the one whose stderr the view shows."""
        return self.tasks[0]

    @property
    def projects(self) -> frozenset[str]:
        return frozenset(task.project for task in self.tasks if task.project)


def group_failures(
    tasks: Iterable[Task], stderr_last: Mapping[str, str | None]
) -> list[FailureGroup]:
    """The failed tasks of ``tasks`` by signature: largest group first, then the newest.

    ``stderr_last``: the last line of each task's stderr, by task id, where it was read.
    """
    groups: dict[Signature, list[Task]] = {}
    for task in tasks:
        if status_info(task.status).kind is not StatusKind.FAILED:
            continue
        signature = signature_of(task, stderr_last.get(task.task_id))
        groups.setdefault(signature, []).append(task)
    made = [
        FailureGroup(signature, tuple(sorted(members, key=_created, reverse=True)))
        for signature, members in groups.items()
    ]
    return sorted(made, key=lambda g: (-g.count, -_created(g.example).timestamp(), g.key))


def shared_parameters(
    tasks: Sequence[Task], name_keys: Sequence[str] = DEFAULT_NAME_KEYS
) -> dict[str, str]:
    """The metadata values every one of ``tasks`` has, names aside (``{"resolution": "12"}``).

    ``name_keys`` name one task (:mod:`~inductiva_top.monitor.names`), not a
    parameter of the sweep. Empty when the tasks share none (or have no
    metadata): no siblings then.
    """
    if not tasks:
        return {}
    names = set(name_keys)
    first = {k: v for k, v in (tasks[0].task_metadata or {}).items() if k not in names}
    return {
        key: value
        for key, value in first.items()
        if all((task.task_metadata or {}).get(key) == value for task in tasks[1:])
    }


def siblings(rows: Iterable[ProjectTaskInfo], parameters: Mapping[str, str]) -> list[str]:
    """Ids of the runs still waiting or running whose parameters include ``parameters``."""
    if not parameters:
        return []
    found = []
    for row in rows:
        kind = status_info(row.status).kind if row.status else StatusKind.OTHER
        if kind not in (StatusKind.WAITING, StatusKind.RUNNING) or not row.task_id:
            continue
        values = {key: _text(value) for key, value in row.parameters.items()}
        if all(values.get(key) == value for key, value in parameters.items()):
            found.append(row.task_id)
    return found


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
