"""Where the tail pane's lines come from, decided without doing any I/O.

A task that runs on the embedded server is *followed* (its live stream); a
finished one is read from its output archive; a running task on a server
without the live routes (the Inductiva cloud) is followed over the WebRTC
file tracker when aiortc is installed (and cannot be tailed without it), and
a task that has not started has nothing to show. :func:`choose_source` says
which, :class:`TailMode` which files (``o`` cycles them).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from inductiva_top.api.models import Task
from inductiva_top.monitor.statuses import StatusKind, is_terminal, status_info
from inductiva_top.monitor.tailbuffer import Stream

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
    """How the pane gets the lines of a task."""

    FOLLOW = "follow"
    """The embedded server's live stream of the running task."""
    ARCHIVE = "archive"
    """The last bytes of the file in the finished task's output archive."""
    WEBRTC = "webrtc"
    """A running task on a server without live routes, followed over the WebRTC file tracker."""
    CLOUD_RUNNING = "cloud-running"
    """A running task on a server without live routes, and no WebRTC: nothing to read yet."""
    NOT_STARTED = "not-started"
    """The task has not started: no output exists yet."""


@dataclass(frozen=True)
class TailTarget:
    """What the pane shows: a task, a mode and a source. A new target restarts the pane."""

    task_id: str
    mode: TailMode
    source: TailSource


def choose_source(task: Task, live_routes: bool, *, webrtc: bool = False) -> TailSource:
    """The source for ``task``; ``live_routes``: the server has ``/local/...``.

    ``webrtc``: the WebRTC file tracker is available (aiortc is installed).
    """
    if is_terminal(task.status, task.is_terminated):
        return TailSource.ARCHIVE
    kind = status_info(task.status).kind
    running = kind in (StatusKind.RUNNING, StatusKind.KILLED) or task.status in (
        "started",
        "computation-started",
        "computation-ended",
    )
    if not running:
        return TailSource.NOT_STARTED
    if live_routes:
        return TailSource.FOLLOW
    return TailSource.WEBRTC if webrtc else TailSource.CLOUD_RUNNING


def source_message(source: TailSource) -> str | None:
    """The line the pane shows instead of output, when there is no output to show."""
    if source is TailSource.CLOUD_RUNNING:
        return (
            "Live tail of running tasks on the Inductiva cloud is not available yet: "
            "it needs pip install 'inductiva-top[live]'. "
            "The output shows here once the task has finished."
        )
    if source is TailSource.NOT_STARTED:
        return "The task has not started yet: no output so far."
    return None
