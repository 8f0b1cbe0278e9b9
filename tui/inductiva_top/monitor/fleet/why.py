"""Why, in words: what a task's status means and what to do, and why a waiting task waits.

:data:`GUIDANCE` holds, for every status code :mod:`~inductiva_top.monitor.statuses`
knows, one "what happened" and one "what to do" sentence, written for this
product from the facts of Inductiva's task lifecycle guide (listed in
``shared/api-contract.md``). A code it does not know gets an honest generic
pair that names it. :func:`task_why` adds what the task itself says: the
executor's or the task's ``error_detail`` (a full disk is named as such).
:func:`waiting_why` turns a :class:`~inductiva_top.monitor.foresight.estimates.WaitReason`
and the numbers behind it into the queue view's sentence; :func:`start_why` does so
for a start estimate (the detail screen; the queue view's words come from the fleet's
:meth:`~inductiva_top.monitor.fleet.tracker.FleetState.explained`, which always has them).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from inductiva_top.api.models import Task
from inductiva_top.monitor import fmt
from inductiva_top.monitor.foresight.estimates import StartEstimate, WaitReason
from inductiva_top.monitor.sanitize import sanitize_name

__all__ = ["GUIDANCE", "Guidance", "start_why", "status_why", "task_why", "waiting_why"]

DETAIL_MAX = 160
"""Most characters of a task's own error text quoted in a why-line."""


@dataclass(frozen=True, slots=True)
class Guidance:
    """What happened to a task in some status, and what to do about it."""

    what: str
    todo: str

    @property
    def line(self) -> str:
        """Both as one line: ``what happened. What to do.``"""
        return f"{self.what} {self.todo}"


_IN_QUEUE = Guidance(
    "It waits in its machine group's queue for a free machine.",
    "More machines in the group shorten the wait; u shows what is ahead of it.",
)

_TABLE: dict[str, Guidance] = {
    "pending-input": Guidance(
        "It is not queued yet: its input files are still being uploaded.",
        "If the upload failed or was interrupted, submit the task again.",
    ),
    "submitted": _IN_QUEUE,
    "in-queue": _IN_QUEUE,
    "started": Guidance(
        "A machine took it and is fetching its inputs and the container image.",
        "Nothing to do: the simulator starts once they are in.",
    ),
    "computation-started": Guidance(
        "The simulator is running.",
        "Follow its output live in the output pane.",
    ),
    "computation-ended": Guidance(
        "The commands have ended; its outputs are being uploaded.",
        "Nothing to do: it finishes once the upload is done.",
    ),
    "pending-kill": Guidance(
        "The kill was received and is being carried out.",
        "Nothing else to do.",
    ),
    "killed": Guidance("It was killed, as asked.", "Nothing else to do."),
    "success": Guidance(
        "It finished and its outputs are uploaded.",
        "Download them from the files pane (d).",
    ),
    "failed": Guidance(
        "The simulator exited with an error, most often a wrong input or a simulator error.",
        "Read its stderr and stdout to see what it said.",
    ),
    "spot-instance-preempted": Guidance(
        "The cloud provider took its spot machine back.",
        "With automatic resubmission it goes back to the queue by itself; otherwise "
        "submit it again, or use on-demand machines.",
    ),
    "executer-terminated": Guidance(
        "The provider ended the machine that ran it.",
        "With automatic resubmission it goes back to the queue; otherwise submit it again.",
    ),
    "executer-terminated-by-user": Guidance(
        "Its machine group was stopped while it ran; outputs are saved only at the end, "
        "so it has none.",
        "Submit it again and let the group run until the task ends.",
    ),
    "executer-terminated-ttl-exceeded": Guidance(
        "Its machine group reached its time limit (time to live) while it ran.",
        "Start a group with a longer time to live and submit it again.",
    ),
    "executer-terminated-credits-exhausted": Guidance(
        "The credits ran out, and active tasks were stopped.",
        "Add credits, then submit it again.",
    ),
    "executer-failed": Guidance(
        "Something outside the simulator failed, most often a full disk.",
        "Use a larger disk (or dynamic disk resize) and submit it again.",
    ),
    "zombie": Guidance(
        "Its machine group was shut down before it started; it has no outputs.",
        "Submit it again to a machine group that is running.",
    ),
    "ttl-exceeded": Guidance(
        "It ran longer than its own time to live.",
        "Raise its time to live and submit it again.",
    ),
}

GUIDANCE: Mapping[str, Guidance] = MappingProxyType(_TABLE)
"""What happened and what to do, for every status code the client knows."""

_DISK_FULL = re.compile(r"no space left|disk (?:is )?full|enospc|out of disk", re.IGNORECASE)


def status_why(code: str) -> Guidance:
    """The guidance for ``code``; a code this table does not know gets a generic pair."""
    known = GUIDANCE.get(code)
    if known is not None:
        return known
    shown = sanitize_name(code) or "?"
    return Guidance(
        f"The API reports a status this version of inductiva-top does not know: {shown}.",
        "Its status history (the timeline) shows how it got there.",
    )


def _detail(task: Task) -> str:
    """What the task or its executor said went wrong, sanitized and cut short ("": nothing)."""
    executer = task.executer.error_detail if task.executer is not None else None
    for text in (executer, task.error_detail):
        shown = sanitize_name(text or "", DETAIL_MAX).strip()
        if shown:
            return shown
    return ""


def task_why(task: Task, *, quote: bool = True) -> Guidance:
    """The guidance for ``task``'s status, with what its own error detail says.

    A detail that says the disk was full says so first, whatever the status.
    Without ``quote`` the detail itself is left out (for a view that shows
    it beside the line already, as the failures view's signature does).
    """
    guidance = status_why(task.status)
    detail = _detail(task)
    if not detail:
        return guidance
    if _DISK_FULL.search(detail):
        said = f" (it said: {detail})" if quote else ""
        return Guidance(
            f"The machine's disk was full{said}.",
            "Use a larger disk (or dynamic disk resize) and submit it again.",
        )
    return Guidance(f"{guidance.what} It said: {detail}", guidance.todo) if quote else guidance


_NOT_STARTED = {
    "start_failed": "Its machine group failed to start: no machine is coming for it. "
    "Start a machine group and submit it there.",
    "registered": "Its machine group is registered but not started yet: it starts "
    "once the group's machines are up.",
}


def waiting_why(
    reason: WaitReason,
    *,
    tasks_ahead: int,
    machines: int | None,
    running: int,
    group_status: str | None = None,
    credits_left: str | None = None,
) -> str:
    """Why a waiting task waits, in a sentence, from what the API shows.

    ``tasks_ahead`` is the count behind ``reason``; ``machines`` the group's
    size (None: not known); ``running`` how many of its tasks run now;
    ``group_status`` the group's status word; ``credits_left`` the credits
    as shown (for the quota reason).
    """
    if reason is WaitReason.WAITING_FOR_INPUT:
        return status_why("pending-input").line
    if reason is WaitReason.GROUP_TERMINATED:
        return (
            "Its machine group is terminated: this task will never start. "
            "Submit it again to a machine group that is running."
        )
    if reason is WaitReason.QUOTA:
        left = f" ({credits_left} left)" if credits_left else ""
        return (
            f"Quota reached: the account's credits{left} or quota keep machines from "
            "starting. Add credits or free some quota."
        )
    if reason is WaitReason.GROUP_NOT_STARTED:
        known = _NOT_STARTED.get(group_status or "")
        if known is not None:
            return known
        return "Its machine group is still starting: it runs once a machine is up."
    all_busy = machines is not None and running >= machines
    if reason is WaitReason.TASKS_AHEAD:
        size = f" on {fmt.plural(machines, 'machine')}" if machines is not None else ""
        busy = ""
        if all_busy:
            busy = ", which is busy" if machines == 1 else ", all busy"
        return f"{fmt.plural(tasks_ahead, 'task')} ahead of it{size}{busy}."
    if reason is WaitReason.GROUP_BUSY:
        if machines is None:
            return "Next in line: every machine of its group is busy."
        if machines == 1:
            return "Next in line; the group's one machine is busy."
        return f"Next in line; all {machines} machines of its group are busy."
    return "Next in line for a free machine."


def start_why(start: StartEstimate) -> str:
    """Why the task of ``start`` waits, in :func:`waiting_why`'s words.

    A machine count only seen (tasks running at once), not described by the
    API, is not stated as the group's size.
    """
    return waiting_why(
        start.reason,
        tasks_ahead=start.tasks_ahead or 0,
        machines=start.machines if start.machines_described else None,
        running=start.running,
    )
