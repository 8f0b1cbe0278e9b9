"""Task status codes, operation names and the words the server shows for them.

The codes and operation names are the real API's (``TaskStatusCode``,
``TaskOperationName`` and ``OperationStatus`` of the official client); the
aliases and descriptions are this server's own wording.

TTL: the time to live counts computation time, as the official client tells
its users ("Task will be killed after the computation time exceeds ...").
When it runs out the executor stops the command and the task ends in
``executer-terminated-ttl-exceeded``. ``ttl-exceeded`` is a valid code that
this server never produces.
"""

from __future__ import annotations

from enum import Enum


class TaskStatusCode(str, Enum):
    """Every status code of the real API."""

    PENDING_INPUT = "pending-input"
    SUBMITTED = "submitted"
    STARTED = "started"
    SUCCESS = "success"
    FAILED = "failed"
    PENDING_KILL = "pending-kill"
    KILLED = "killed"
    SPOT_INSTANCE_PREEMPTED = "spot-instance-preempted"
    EXECUTER_TERMINATED = "executer-terminated"
    EXECUTER_TERMINATED_BY_USER = "executer-terminated-by-user"
    EXECUTER_TERMINATED_TTL_EXCEEDED = "executer-terminated-ttl-exceeded"
    EXECUTER_TERMINATED_CREDITS_EXHAUSTED = "executer-terminated-credits-exhausted"
    EXECUTER_FAILED = "executer-failed"
    ZOMBIE = "zombie"
    COMPUTATION_STARTED = "computation-started"
    COMPUTATION_ENDED = "computation-ended"
    TTL_EXCEEDED = "ttl-exceeded"


class OperationName(str, Enum):
    """Names of the operations recorded inside a status-history entry."""

    DOWNLOAD_CONTAINER = "download_container"
    DOWNLOAD_INPUT = "download_input"
    UNCOMPRESS_INPUT = "uncompress_input"
    EXEC_COMMAND = "exec_command"
    COMPRESS_OUTPUT = "compress_output"
    UPLOAD_OUTPUT = "upload_output"


class OperationStatus(str, Enum):
    """State of one operation."""

    RUNNING = "RUNNING"
    OK = "OK"
    FAILED = "FAILED"


S = TaskStatusCode

TERMINAL: frozenset[TaskStatusCode] = frozenset(
    {
        S.SUCCESS,
        S.FAILED,
        S.KILLED,
        S.EXECUTER_TERMINATED_BY_USER,
        S.EXECUTER_TERMINATED_TTL_EXCEEDED,
        S.EXECUTER_TERMINATED_CREDITS_EXHAUSTED,
        S.EXECUTER_FAILED,
        S.ZOMBIE,
        S.TTL_EXCEEDED,
    }
)
"""Codes after which nothing more happens to a task."""

ON_MACHINE: frozenset[TaskStatusCode] = frozenset(
    {S.STARTED, S.COMPUTATION_STARTED, S.COMPUTATION_ENDED, S.PENDING_KILL}
)
"""Codes in which an executor holds the task (it may own a process group)."""

KILLABLE: frozenset[TaskStatusCode] = frozenset(
    {S.PENDING_INPUT, S.SUBMITTED, S.STARTED, S.COMPUTATION_STARTED}
)
"""Codes a kill request acts on; a kill of any other code changes nothing."""

_WORDS: dict[TaskStatusCode, tuple[str, str]] = {
    S.PENDING_INPUT: ("Waiting for Input", "Task created; waiting for its input files."),
    S.SUBMITTED: ("In Queue", "Inputs uploaded; waiting for a free slot in its machine group."),
    S.STARTED: ("Preparing", "Picked by an executor; preparing the input files."),
    S.COMPUTATION_STARTED: ("Running", "The command is running."),
    S.COMPUTATION_ENDED: ("Finalizing", "The command ended; compressing and storing outputs."),
    S.SUCCESS: ("Success", "The command succeeded and its outputs are stored."),
    S.FAILED: ("Failed", "The command failed."),
    S.PENDING_KILL: ("Killing", "Kill requested; stopping the task."),
    S.KILLED: ("Killed", "The task was killed on request."),
    S.SPOT_INSTANCE_PREEMPTED: ("Preempted", "The machine was reclaimed; the task is resubmitted."),
    S.EXECUTER_TERMINATED: (
        "Machine Terminated",
        "The executor stopped before the task ended; the task is resubmitted.",
    ),
    S.EXECUTER_TERMINATED_BY_USER: (
        "Terminated by User",
        "The task's machine group was terminated while the task ran.",
    ),
    S.EXECUTER_TERMINATED_TTL_EXCEEDED: (
        "Time to Live Exceeded",
        "The computation ran longer than the task's time to live and was stopped.",
    ),
    S.EXECUTER_TERMINATED_CREDITS_EXHAUSTED: (
        "Credits Exhausted",
        "The credits reached their termination threshold; the machine was stopped.",
    ),
    S.EXECUTER_FAILED: ("Machine Failed", "The executor failed; see executer.error_detail."),
    S.ZOMBIE: (
        "Machine Terminated in Queue",
        "The task never started and its machine group was terminated.",
    ),
    S.TTL_EXCEEDED: ("Time to Live Exceeded", "The task outlived its time to live."),
}

_OPERATION_ALIASES: dict[OperationName, str] = {
    OperationName.DOWNLOAD_CONTAINER: "Downloading container",
    OperationName.DOWNLOAD_INPUT: "Downloading input",
    OperationName.UNCOMPRESS_INPUT: "Uncompressing input",
    OperationName.EXEC_COMMAND: "Running command",
    OperationName.COMPRESS_OUTPUT: "Compressing output",
    OperationName.UPLOAD_OUTPUT: "Uploading output",
}


def alias(code: TaskStatusCode) -> str:
    """The short human label of a status code (``status_alias``)."""
    return _WORDS[code][0]


def description(code: TaskStatusCode) -> str:
    """A sentence saying what a status code means."""
    return _WORDS[code][1]


def operation_alias(name: OperationName) -> str:
    """The human label of an operation."""
    return _OPERATION_ALIASES[name]


def is_terminal(code: TaskStatusCode) -> bool:
    """True when nothing more will happen to a task in this state."""
    return code in TERMINAL


SORT_ORDER: tuple[TaskStatusCode, ...] = (
    # Active: on a machine, then waiting.
    S.COMPUTATION_STARTED,
    S.COMPUTATION_ENDED,
    S.STARTED,
    S.PENDING_KILL,
    S.SUBMITTED,
    S.PENDING_INPUT,
    S.SPOT_INSTANCE_PREEMPTED,
    S.EXECUTER_TERMINATED,
    # Failed.
    S.FAILED,
    S.EXECUTER_FAILED,
    S.EXECUTER_TERMINATED_TTL_EXCEEDED,
    S.TTL_EXCEEDED,
    S.EXECUTER_TERMINATED_CREDITS_EXHAUSTED,
    S.ZOMBIE,
    # Finished as asked.
    S.KILLED,
    S.EXECUTER_TERMINATED_BY_USER,
    S.SUCCESS,
)
"""The order of ``sort=status:asc``: active first, then failed, then finished."""

_RANKS = {code.value: rank for rank, code in enumerate(SORT_ORDER)}


def sort_rank(code: str) -> int:
    """Where a status code falls in :data:`SORT_ORDER`."""
    return _RANKS.get(code, len(SORT_ORDER))
