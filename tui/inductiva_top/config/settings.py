"""Every dashboard setting, declared once.

A :class:`Setting` names its YAML key, its default, the check its value must
pass, its help text and, unless it is YAML-only, its :class:`Form` as text.
Everything else is derived from that: the ``Config`` attribute, the
environment variable ``INDUCTIVA_TOP_<KEY>`` (plus any ``also_env``), the
flag ``--<key>`` (underscores as dashes) that ``inductiva-top`` accepts and
``inductiva-top web`` forwards to each dashboard it starts. A new setting
added here is read from all four places; ``Config`` gets one field for it
(typed, with this default).

Nothing here imports YAML or argparse, so the command line can build its
parser from these declarations and still start fast.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Generic, TypeVar

from inductiva_top.config._values import (
    META_PREFIX,
    MIN_REFRESH,
    FrozenMap,
    check_columns,
    check_count,
    check_keymap,
    check_metadata_key,
    check_path,
    check_seconds,
    check_switch,
    check_text,
    check_texts,
    did_you_mean,
    fail,
    shown,
)
from inductiva_top.config._watch import (
    NOTIFY_CHOICES,
    check_notify_via,
    check_stall_after,
    check_watch,
)
from inductiva_top.monitor.foresight.notify import NotifyVia
from inductiva_top.monitor.foresight.rules import WatchRule
from inductiva_top.monitor.names import DEFAULT_NAME_KEYS
from inductiva_top.monitor.statuses import FILTERABLE, KNOWN_STATUSES

__all__ = ["ENV_PREFIX", "META_PREFIX", "SETTINGS", "Form", "Setting"]

ENV_PREFIX = "INDUCTIVA_TOP_"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}

T = TypeVar("T")


class Form(Enum):
    """How a setting is written as text: in an environment variable and on the command line.

    The text becomes a YAML-shaped value (:meth:`from_env`), which the
    setting's check then turns into its typed form, as it does a YAML value.
    """

    TEXT = "text"
    NUMBER = "number"
    WHOLE = "whole number"
    PATH = "path"
    SWITCH = "switch"
    """``--x``/``--no-x``; in the environment 1/0, true/false, yes/no or on/off."""
    LIST = "list"
    """Comma-separated; the flag may also be repeated."""

    def from_env(self, text: str, where: str) -> object:
        """The YAML-shaped value of an environment variable's ``text``."""
        if self is Form.NUMBER:
            try:
                return float(text)
            except ValueError:
                fail(where, f"expected a number, got {shown(text)}")
        if self is Form.WHOLE:
            try:
                return int(text)
            except ValueError:
                fail(where, f"expected a whole number, got {shown(text)}")
        if self is Form.SWITCH:
            word = text.strip().lower()
            if word in _TRUE | _FALSE:
                return word in _TRUE
            fail(where, f"expected one of 1/0, true/false, yes/no, on/off, got {shown(text)}")
        if self is Form.LIST:
            return text.split(",")
        return text


@dataclass(frozen=True)
class Setting(Generic[T]):
    """One setting, as every layer (flag, environment, YAML, default) knows it."""

    key: str
    """The YAML key; also names the flag and the environment variable."""
    default: T
    check: Callable[[object, str], T]
    """YAML-shaped value and where it came from -> the typed value, or :class:`ConfigError`."""
    help: str
    """One line for ``--help``; ``{default}`` is replaced by the default."""
    form: Form | None = None
    """How it is written as text; ``None``: YAML only (no flag, no environment variable)."""
    metavar: str = ""
    attr: str = ""
    """The ``Config`` attribute, when it is not :attr:`key`."""
    also_env: tuple[str, ...] = ()
    """Environment variables read after ours (another program's name for the same thing)."""
    choices: tuple[str, ...] = ()
    """The only texts it takes, when it is one of a few words (its check enforces them)."""

    @property
    def field(self) -> str:
        """The ``Config`` attribute."""
        return self.attr or self.key

    @property
    def env(self) -> tuple[str, ...]:
        """The environment variables, first found wins."""
        if self.form is None:
            return ()
        return (ENV_PREFIX + self.key.upper(), *self.also_env)

    @property
    def flag(self) -> str | None:
        """The command-line flag, or ``None`` for a YAML-only setting."""
        return None if self.form is None else "--" + self.key.replace("_", "-")

    def describe(self) -> str:
        """The help text with its default filled in."""
        default: object = self.default
        if isinstance(default, float):
            default = f"{default:g}"
        elif isinstance(default, Enum):
            default = default.value
        return self.help.replace("{default}", str(default))


def check_statuses(value: object, where: str) -> tuple[str, ...]:
    """Status codes the API's filter accepts; any other code is a mistake."""
    codes = check_texts(value, where)
    known = [code for code in KNOWN_STATUSES if code in FILTERABLE]
    for code in codes:
        if code in KNOWN_STATUSES and code not in FILTERABLE:
            fail(where, f"the API cannot filter by status {shown(code)}; codes: {', '.join(known)}")
        if code not in FILTERABLE:
            hint = did_you_mean(code, known)
            fail(where, f"unknown status {shown(code)}{hint}; codes: {', '.join(known)}")
    return codes


def check_name_keys(value: object, where: str) -> tuple[str, ...]:
    """Metadata keys that name a task, in order; empty means the default keys."""
    keys = check_texts(value, where)
    for key in keys:
        check_metadata_key(key, where, "name")
    return keys or DEFAULT_NAME_KEYS


REFRESH = Setting(
    key="refresh",
    default=2.0,
    check=check_seconds,
    help=f"refresh interval in seconds (default {{default}}, minimum {MIN_REFRESH:g})",
    form=Form.NUMBER,
    metavar="SECONDS",
)
PROJECT: Setting[str | None] = Setting(
    key="project",
    default=None,
    check=check_text,
    help="show only this project ('' for all)",
    form=Form.TEXT,
    metavar="NAME",
)
STATUS: Setting[tuple[str, ...]] = Setting(
    key="status",
    default=(),
    check=check_statuses,
    help="show only tasks with this status (repeatable or comma-separated; '' for all)",
    form=Form.LIST,
    metavar="CODE",
    attr="statuses",
)
ACTIVE = Setting(
    key="active",
    default=False,
    check=check_switch,
    help="show only tasks that have not finished",
    form=Form.SWITCH,
)
THEME: Setting[str | None] = Setting(
    key="theme",
    default=None,
    check=check_text,
    help="colour theme ('' for the default)",
    form=Form.TEXT,
    metavar="NAME",
)
KEYMAP: Setting[Mapping[str, str]] = Setting(
    key="keymap",
    default=FrozenMap(),
    check=check_keymap,
    help="binding id -> key: a mapping, so only in the YAML file",
)
READ_ONLY = Setting(
    key="read_only",
    default=False,
    check=check_switch,
    help="never change anything on the server (no kill)",
    form=Form.SWITCH,
)
OUTPUT_DIR = Setting(
    key="output_dir",
    default=Path("inductiva_output"),
    check=check_path,
    help="where downloads go (default {default})",
    form=Form.PATH,
    metavar="PATH",
    also_env=("INDUCTIVA_OUTPUT_DIR",),
)
COLUMNS: Setting[tuple[str, ...] | None] = Setting(
    key="columns",
    default=None,
    check=check_columns,
    help="the table's columns, in order (repeatable or comma-separated; '' for the default set)",
    form=Form.LIST,
    metavar="COLUMN",
)
NAME_KEYS: Setting[tuple[str, ...]] = Setting(
    key="name_keys",
    default=DEFAULT_NAME_KEYS,
    check=check_name_keys,
    help="metadata keys that name a task, first present wins "
    "(repeatable or comma-separated; default {default}; '' for the default)",
    form=Form.LIST,
    metavar="KEY",
)
TAIL_LINES = Setting(
    key="tail_lines",
    default=10_000,
    check=check_count,
    help="lines of a task's output to keep (default {default})",
    form=Form.WHOLE,
    metavar="N",
)
NOTIFY = Setting(
    key="notify",
    default=False,
    check=check_switch,
    help="watch every task: a toast and the terminal bell when one finishes",
    form=Form.SWITCH,
)
NOTIFY_VIA = Setting(
    key="notify_via",
    default=NotifyVia.AUTO,
    check=check_notify_via,
    help=f"how a watched task's end reaches your desktop: {', '.join(NOTIFY_CHOICES)} "
    "(default {default}: chosen from the terminal)",
    form=Form.TEXT,
    metavar="HOW",
    choices=NOTIFY_CHOICES,
)
STALL_AFTER = Setting(
    key="stall_after",
    # The task-runner's output_stalled_threshold_minutes (task_runner/system_monitor.py).
    default=30 * 60.0,
    check=check_stall_after,
    help="seconds without new output before a running task is marked stalled "
    "(default {default}, as the Inductiva task-runner; 0: never)",
    form=Form.NUMBER,
    metavar="SECONDS",
)
WATCH: Setting[tuple[WatchRule, ...]] = Setting(
    key="watch",
    default=(),
    check=check_watch,
    help="watch rules, e.g. [{project: sweep-a, on: [failed, finished]}]: a list, "
    "so only in the YAML file",
)

SETTINGS: dict[str, Setting[Any]] = {
    setting.key: setting
    for setting in (
        REFRESH,
        PROJECT,
        STATUS,
        ACTIVE,
        THEME,
        KEYMAP,
        READ_ONLY,
        OUTPUT_DIR,
        COLUMNS,
        NAME_KEYS,
        TAIL_LINES,
        NOTIFY,
        NOTIFY_VIA,
        STALL_AFTER,
        WATCH,
    )
}
"""YAML key -> setting, in the order ``--help`` lists them."""
