"""Where a pane's lines and files come from, decided from the task's state alone.

A running task is watched live (through :mod:`~inductiva_top.api.live`,
which alone knows over which transport); a finished one is read from its
output archive; a task that has not started has nothing to show.
:func:`choose_source` says which, :class:`TailMode` which files (``o``
cycles them).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from inductiva_top.api.models import Task
from inductiva_top.monitor.output.tailbuffer import Stream
from inductiva_top.monitor.statuses import StatusKind, is_terminal, status_info

__all__ = [
    "MODES",
    "TailMode",
    "TailSource",
    "TailTarget",
    "choose_source",
    "mode_files",
    "next_mode",
    "source_message",
]


class TailMode(Enum):
    """Which output file(s) the pane shows."""

    STDOUT = "stdout"
    STDERR = "stderr"
    BOTH = "both"

    @property
    def label(self) -> str:
        """What the pane's title says."""
        return {"stdout": "stdout.txt", "stderr": "stderr.txt", "both": "stdout + stderr"}[
            self.value
        ]


MODES = (TailMode.STDOUT, TailMode.STDERR, TailMode.BOTH)


def next_mode(mode: TailMode) -> TailMode:
    """The mode ``o`` switches to."""
    return MODES[(MODES.index(mode) + 1) % len(MODES)]


def mode_files(mode: TailMode) -> tuple[tuple[Stream | None, str], ...]:
    """The files to read, each with the stream mark its lines get (None: unmarked)."""
    if mode is TailMode.STDOUT:
        return ((None, "stdout.txt"),)
    if mode is TailMode.STDERR:
        return ((None, "stderr.txt"),)
    return (("stdout", "stdout.txt"), ("stderr", "stderr.txt"))


class TailSource(Enum):
    """Where a pane gets a task's output."""

    LIVE = "live"
    """The running task itself, through its live interface (:mod:`inductiva_top.api.live`)."""
    ARCHIVE = "archive"
    """The finished task's output archive."""
    NOT_STARTED = "not-started"
    """The task has not started: no output exists yet."""


@dataclass(frozen=True)
class TailTarget:
    """What the pane shows: a task, a mode and a source. A new target restarts the pane."""

    task_id: str
    mode: TailMode
    source: TailSource


def choose_source(task: Task) -> TailSource:
    """The source for ``task``, from its state."""
    if is_terminal(task.status, task.is_terminated):
        return TailSource.ARCHIVE
    kind = status_info(task.status).kind
    running = kind in (StatusKind.RUNNING, StatusKind.KILLED) or task.status in (
        "started",
        "computation-started",
        "computation-ended",
    )
    return TailSource.LIVE if running else TailSource.NOT_STARTED


def source_message(source: TailSource) -> str | None:
    """The line the pane shows instead of output, when there is no output to show."""
    if source is TailSource.NOT_STARTED:
        return "The task has not started yet: no output so far."
    return None
