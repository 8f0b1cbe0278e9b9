"""The screens: the dashboard (``main``), a task's details, the project board, sweep
table and failures view (``board``, ``sweep``, ``failures``, sharing ``sheetoutput``),
the fleet (``fleet``), and the modal dialogs.

Dialogs return typed results to the screen that pushed them (kill, export,
status and project filters, the queue view, help).

Only the main screen is on the launch path. The screens opened over it are
this package's attributes (``screens.BoardScreen``), each module imported the
first time one of its names is read (PEP 562, as ``textual.widgets`` does):
the dashboard does not pay at start-up for screens it may never open, and a
screen is named as usual where it is used. :data:`OPENED_LATER` is the one
list of them; a test checks that starting the dashboard imports none, and
:func:`load_all` imports them for what must know every screen (a keymap's ids).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from inductiva_top.ui.screens.board import BoardScreen
    from inductiva_top.ui.screens.confirm import ConfirmAction
    from inductiva_top.ui.screens.detail import TaskDetailScreen
    from inductiva_top.ui.screens.export import ExportDialog
    from inductiva_top.ui.screens.failures import FailuresScreen
    from inductiva_top.ui.screens.fleet import FleetScreen
    from inductiva_top.ui.screens.help import HelpScreen, help_sections
    from inductiva_top.ui.screens.kill import ConfirmKill
    from inductiva_top.ui.screens.project_picker import ProjectChoice, ProjectPicker
    from inductiva_top.ui.screens.queue import QueueScreen
    from inductiva_top.ui.screens.status_filter import StatusFilter
    from inductiva_top.ui.screens.sweep import SweepScreen

__all__ = [
    "OPENED_LATER",
    "BoardScreen",
    "ConfirmAction",
    "ConfirmKill",
    "ExportDialog",
    "FailuresScreen",
    "FleetScreen",
    "HelpScreen",
    "ProjectChoice",
    "ProjectPicker",
    "QueueScreen",
    "StatusFilter",
    "SweepScreen",
    "TaskDetailScreen",
    "help_sections",
    "load_all",
]

OPENED_LATER: dict[str, str] = {
    "BoardScreen": "board",
    "ConfirmAction": "confirm",
    "ConfirmKill": "kill",
    "ExportDialog": "export",
    "FailuresScreen": "failures",
    "FleetScreen": "fleet",
    "HelpScreen": "help",
    "ProjectChoice": "project_picker",
    "ProjectPicker": "project_picker",
    "QueueScreen": "queue",
    "StatusFilter": "status_filter",
    "SweepScreen": "sweep",
    "TaskDetailScreen": "detail",
    "help_sections": "help",
}
"""Each name read from this package on first use, and the module (of this package) holding it."""


def __getattr__(name: str) -> object:
    module = OPENED_LATER.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value: object = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # read once: later reads are plain attribute reads
    return value


def load_all() -> None:
    """Import every screen of :data:`OPENED_LATER` now (for what must know them all, unopened)."""
    for module in sorted(set(OPENED_LATER.values())):
        importlib.import_module(f"{__name__}.{module}")
