"""What the client knows about task status codes.

Every code of the wire contract (``../shared/api-contract.md``) has a kind
(which drives colour and grouping), whether it is terminal, whether a kill
acts on it, a symbol that reads without colour, and a default alias for when
the server sends none. A code this table does not know is still shown: kind
``other``, the code itself as its alias, not terminal (keep polling), not
killable (never offer a kill we cannot reason about).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType

from inductiva_top.monitor.sanitize import sanitize_name

__all__ = [
    "FILTERABLE",
    "FILTER_GROUPS",
    "KNOWN_STATUSES",
    "SORT_ORDER",
    "StatusInfo",
    "StatusKind",
    "describe_codes",
    "display_alias",
    "is_killable",
    "is_terminal",
    "short_label",
    "sort_rank",
    "status_info",
]


class StatusKind(Enum):
    """The family of a status, for colour, symbol and grouping."""

    WAITING = "waiting"
    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"
    KILLED = "killed"
    OTHER = "other"

    @property
    def symbol(self) -> str:
        """A symbol that tells the kind apart without colour."""
        return _SYMBOLS[self][0]

    @property
    def ascii_symbol(self) -> str:
        """The symbol for terminals without Unicode (one ASCII character)."""
        return _SYMBOLS[self][1]


_SYMBOLS: dict[StatusKind, tuple[str, str]] = {
    StatusKind.WAITING: ("◷", "."),
    StatusKind.RUNNING: ("▶", ">"),
    StatusKind.SUCCESS: ("✔", "+"),
    StatusKind.FAILED: ("✘", "x"),
    StatusKind.KILLED: ("⊘", "-"),
    StatusKind.OTHER: ("?", "?"),
}


@dataclass(frozen=True, slots=True)
class StatusInfo:
    """Everything the client knows about one status code."""

    code: str
    kind: StatusKind
    terminal: bool
    killable: bool
    default_alias: str
    description: str
    short: str
    """A label of at most :data:`SHORT_LABEL_MAX` characters, for the table."""
    known: bool = True

    @property
    def symbol(self) -> str:
        """The kind's symbol (Unicode)."""
        return self.kind.symbol

    @property
    def ascii_symbol(self) -> str:
        """The kind's symbol (ASCII)."""
        return self.kind.ascii_symbol


def _info(
    code: str,
    kind: StatusKind,
    alias: str,
    description: str,
    *,
    short: str | None = None,
    terminal: bool = False,
    killable: bool = False,
) -> StatusInfo:
    return StatusInfo(code, kind, terminal, killable, alias, description, short or alias)


SHORT_LABEL_MAX = 15
"""The longest short label: the table's status column holds a symbol, a space and this many."""


_W, _R, _S, _F, _K = (
    StatusKind.WAITING,
    StatusKind.RUNNING,
    StatusKind.SUCCESS,
    StatusKind.FAILED,
    StatusKind.KILLED,
)

_TABLE: tuple[StatusInfo, ...] = (
    _info("pending-input", _W, "Waiting for Input", "Created; waiting for its input files.",
          short="Awaiting Input", killable=True),
    _info("submitted", _W, "In Queue", "Inputs uploaded; waiting in its machine group's queue.",
          killable=True),
    _info("in-queue", _W, "In Queue", "Waiting in its machine group's queue.", killable=True),
    _info("started", _R, "Preparing", "Picked by an executor; preparing inputs.", killable=True),
    _info("computation-started", _R, "Running", "The simulator command is running.",
          killable=True),
    _info("computation-ended", _R, "Finalizing",
          "The command ended; outputs are being compressed and uploaded."),
    _info("pending-kill", _K, "Killing", "Kill requested; not yet carried out."),
    _info("spot-instance-preempted", _W, "Preempted",
          "The spot machine was reclaimed; the task is resubmitted."),
    _info("executer-terminated", _W, "Machine Terminated",
          "The executor stopped for internal reasons; the task is resubmitted.",
          short="Machine Ended"),
    _info("success", _S, "Success", "Finished; outputs uploaded.", terminal=True),
    _info("failed", _F, "Failed", "The simulator failed (bad input, crash, non-zero exit).",
          terminal=True),
    _info("killed", _K, "Killed", "Killed on request.", terminal=True),
    _info("executer-terminated-by-user", _K, "Terminated by User",
          "The executor was stopped by the user or by quota limits.", short="Stopped by User",
          terminal=True),
    _info("executer-terminated-ttl-exceeded", _F, "Time to Live Exceeded",
          "Stopped because the task outlived its time to live.", short="TTL Exceeded",
          terminal=True),
    _info("executer-terminated-credits-exhausted", _F, "Credits Exhausted",
          "Stopped because credits ran out.", short="No Credits", terminal=True),
    _info("executer-failed", _F, "Machine Failed",
          "The executor failed (e.g. disk full); see the executer's error detail.",
          terminal=True),
    _info("zombie", _F, "Zombie", "Never started, and its machine group was terminated.",
          terminal=True),
    _info("ttl-exceeded", _F, "Time to Live Exceeded", "Time to live exceeded.",
          short="TTL Exceeded", terminal=True),
)  # fmt: skip

KNOWN_STATUSES: Mapping[str, StatusInfo] = MappingProxyType({s.code: s for s in _TABLE})
"""Every status code of the contract, in lifecycle order."""

FILTER_GROUPS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "waiting": (
            "pending-input",
            "submitted",
            "spot-instance-preempted",
            "executer-terminated",
        ),
        "running": ("started", "computation-started", "computation-ended", "pending-kill"),
        "finished": ("success", "killed", "executer-terminated-by-user"),
        "failed": (
            "failed",
            "executer-failed",
            "executer-terminated-ttl-exceeded",
            "executer-terminated-credits-exhausted",
            "zombie",
            "ttl-exceeded",
        ),
    }
)
"""The status filter's groups, in display order: group name -> codes.

Every code the API's ``status`` filter accepts is in exactly one group.
``in-queue`` is in none: some servers report it, but the filter's enum does
not have it (asking for it is refused). ``pending-kill`` sits with the
running ones because the task still holds its machine.
"""

FILTERABLE: frozenset[str] = frozenset(code for codes in FILTER_GROUPS.values() for code in codes)
"""The codes the API's ``status`` filter accepts."""


def describe_codes(codes: Iterable[str]) -> str:
    """A set of codes, short: whole groups by name (``failed (6 codes)``), then the other codes.

    Groups come in :data:`FILTER_GROUPS` order, codes in lifecycle order,
    codes this table does not know last (sanitized).
    """
    left = set(codes)
    parts: list[str] = []
    for group, members in FILTER_GROUPS.items():
        if len(members) > 1 and left >= set(members):
            parts.append(f"{group} ({len(members)} codes)")
            left -= set(members)
    parts += [code for code in KNOWN_STATUSES if code in left]
    parts += sorted(sanitize_name(code) for code in left - set(KNOWN_STATUSES))
    return ", ".join(parts)


SORT_ORDER: tuple[str, ...] = (
    # Active: what runs (or holds a machine), then what waits.
    "computation-started",
    "computation-ended",
    "started",
    "pending-kill",
    "submitted",
    "in-queue",
    "pending-input",
    "spot-instance-preempted",
    "executer-terminated",
    # Failed: what needs a look.
    "failed",
    "executer-failed",
    "executer-terminated-ttl-exceeded",
    "ttl-exceeded",
    "executer-terminated-credits-exhausted",
    "zombie",
    # Finished as asked.
    "killed",
    "executer-terminated-by-user",
    "success",
)
"""The order of ``sort=status:asc``: active first, then failed, then finished.

The embedded server sorts by the same order (``server/statuses.py``); a code
not listed sorts after every listed one.
"""

_RANKS: Mapping[str, int] = MappingProxyType({code: i for i, code in enumerate(SORT_ORDER)})


def sort_rank(code: str) -> int:
    """Where ``code`` falls in :data:`SORT_ORDER` (unknown codes last)."""
    return _RANKS.get(code, len(SORT_ORDER))


def status_info(code: str) -> StatusInfo:
    """What is known about ``code``; an unknown code gets kind ``other``."""
    known = KNOWN_STATUSES.get(code)
    if known is not None:
        return known
    shown = sanitize_name(code) or "?"
    return StatusInfo(
        code=code,
        kind=StatusKind.OTHER,
        terminal=False,
        killable=False,
        default_alias=shown,
        description=f"A status this version of inductiva-top does not know: {shown}.",
        short=shown,
        known=False,
    )


def is_terminal(code: str, is_terminated: bool | None = None) -> bool:
    """Whether nothing more will happen to a task in ``code``.

    The server's own ``is_terminated`` wins when it sends one; otherwise the
    table decides, and an unknown code counts as not terminal.
    """
    if is_terminated is not None:
        return is_terminated
    return status_info(code).terminal


def is_killable(code: str) -> bool:
    """Whether a kill request acts on a task in ``code``."""
    return status_info(code).killable


def display_alias(code: str, alias: str | None = None) -> str:
    """The label to show: the server's alias when it sent one, else the default.

    The result is sanitized; an unknown code with no alias shows as the code.
    """
    if alias:
        shown = sanitize_name(alias)
        if shown:
            return shown
    return status_info(code).default_alias


def short_label(code: str, alias: str | None = None) -> str:
    """The table's label: a known code's short label, else what :func:`display_alias` says.

    The server's alias of a known code can be long ("Time to Live Exceeded");
    the detail screen shows it in full.
    """
    info = status_info(code)
    return info.short if info.known else display_alias(code, alias)
