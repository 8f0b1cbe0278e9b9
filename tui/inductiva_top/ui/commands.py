"""The dashboard's commands in the command palette (ctrl+p).

Each command calls the same action a key runs, so the palette and the keys
never disagree. The list is built when the palette opens, from the screen it
opened over: sort commands come from the table's columns, profile commands
from config.yaml's ``profiles:``. Kill is always there: when it cannot act
(read-only, a finished task) it says why, as ``k`` does. Choosing a theme is
Textual's own "Theme" command (and ``t``); the choice is saved.

The app-wide commands (help, profiles) need only what :class:`PaletteHost`
names, so this module does not import the app that lists it in ``COMMANDS``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import Protocol, runtime_checkable

from textual.command import DiscoveryHit, Hit, Hits, Provider

from inductiva_top.config import Config, ConfigError, profile_names
from inductiva_top.ui.screens.main import MainScreen
from inductiva_top.ui.widgets.files import FilesPanel
from inductiva_top.ui.widgets.task_table import TaskTable

__all__ = ["DashboardCommands", "PaletteCommand", "PaletteHost", "dashboard_commands"]


@runtime_checkable
class PaletteHost(Protocol):
    """What the palette asks of the app: its settings, help, and switching profile."""

    config: Config

    def action_help(self) -> None: ...

    def switch_profile(self, name: str) -> None: ...


@dataclass(frozen=True)
class PaletteCommand:
    """One palette entry."""

    name: str
    help: str
    run: Callable[[], object]


def _screen_commands(screen: MainScreen) -> list[PaletteCommand]:
    table = screen.query_one(TaskTable)
    commands = [
        PaletteCommand(
            "Search…",
            "Ids, names, metadata, project, simulator; key=value (/)",
            screen.action_filter_id,
        ),
        PaletteCommand("Filter by status…", "Choose statuses", screen.action_status_filter),
        PaletteCommand("Filter by project…", "Show one project", screen.action_project_filter),
        PaletteCommand(
            "Toggle active only", "Hide (or show) finished tasks", screen.action_toggle_active
        ),
        PaletteCommand("Toggle failed only", "Every failure code (F)", screen.action_failed_only),
        PaletteCommand(
            "Project board", "Every project's progress, cost and ETA (P)", screen.action_board
        ),
        PaletteCommand(
            "Next failed task", "The cursor to it (])", partial(screen.action_seek_failed, 1)
        ),
        PaletteCommand(
            "Previous failed task", "The cursor to it ([)", partial(screen.action_seek_failed, -1)
        ),
    ]
    commands.append(
        PaletteCommand(
            "Failures",
            "The view's failed tasks grouped by what went wrong (T)",
            screen.action_failures,
        )
    )
    if not screen.context.read_only:
        commands.append(
            PaletteCommand(
                "Kill every task of the view…",
                "Every killable task the filters match, after a confirmation (K)",
                screen.action_kill_view,
            )
        )
    if screen.state.window.query.project is not None:
        commands.append(
            PaletteCommand(
                "Sweep table", "This project's runs by parameter (S)", screen.action_sweep
            )
        )
    for column in screen.columns:
        if column.sort_field is not None:
            post = partial(table.post_message, TaskTable.SortRequested(column.sort_field))
            commands.append(
                PaletteCommand(
                    f"Sort by {column.title.lower()}",
                    "Again to reverse the order",
                    post,
                )
            )
    commands.append(
        PaletteCommand(
            "Kill…",
            screen.kill_refusal() or "The marked tasks, or the cursor task",
            screen.action_kill,
        )
    )
    if table.cursor_id is not None:
        commands += [
            PaletteCommand("Copy task id", "To the clipboard (OSC 52)", screen.action_copy),
            PaletteCommand(
                "Watch task", "A toast when it finishes (again: stop)", screen.action_watch
            ),
        ]
        panels = screen.query(FilesPanel)
        if panels and panels.first().check_action("download", ()) is True:
            commands.append(
                PaletteCommand(
                    "Download outputs", "The cursor task's outputs", panels.first().action_download
                )
            )
    commands.append(
        PaletteCommand("Export view…", "Every matching task to CSV or JSON", screen.action_export)
    )
    commands.append(
        PaletteCommand(
            "Machine groups and costs",
            "The fleet: machines, idle limits, $/h (M)",
            screen.action_fleet,
        )
    )
    if not screen.context.read_only:
        commands.append(
            PaletteCommand(
                "Read-only mode",
                "No kill until restart (read-only from config cannot be turned off here)",
                partial(_read_only, screen),
            )
        )
    return commands


def _read_only(screen: MainScreen) -> None:
    # One way only: config's read_only is a promise this session must keep.
    screen.context = replace(screen.context, read_only=True)
    screen.refresh_bindings()
    screen.notify("Read-only: nothing will be changed on the server.", timeout=4)


def dashboard_commands(app: object, screen: object) -> list[PaletteCommand]:
    """The commands for the palette opened over ``screen`` of ``app``."""
    commands = _screen_commands(screen) if isinstance(screen, MainScreen) else []
    if not isinstance(app, PaletteHost):
        return commands
    commands += [
        PaletteCommand("Help", "Every key of this screen (?)", app.action_help),
    ]
    try:
        names = profile_names(app.config.config_path)
    except ConfigError:
        names = []  # the file was fine at start; a broken edit since is not the palette's to report
    for name in names:
        if name != app.config.profile:
            commands.append(
                PaletteCommand(
                    f"Switch profile: {name}",
                    "Reconnect to that profile's API",
                    partial(app.switch_profile, name),
                )
            )
    return commands


class DashboardCommands(Provider):
    """The dashboard's actions for Textual's command palette."""

    def _commands(self) -> list[PaletteCommand]:
        return dashboard_commands(self.app, self.screen)

    async def discover(self) -> Hits:
        for command in self._commands():
            yield DiscoveryHit(command.name, command.run, help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self._commands():
            score = matcher.match(command.name)
            if score > 0:
                yield Hit(score, matcher.highlight(command.name), command.run, help=command.help)
