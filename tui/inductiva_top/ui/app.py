"""The Textual app: builds the client, the state and the main screen from config.

Screens and widgets live in their own modules. The clock and the time zone
are injectable (``clock=``, ``tz=``) so snapshot tests can freeze time, and a
task source can be injected to share a client (the app then does not close it).

App-wide keys and habits live here too:

- ``?`` opens help for the screen underneath (generated from its bindings).
- ``t`` opens Textual's theme picker; the theme chosen is written to
  config.yaml (``theme:``), so it is there next time.
- ``q`` quits from the table, as in htop, less, lazygit and k9s; on a
  screen or dialog opened over it, ``q`` goes back as Esc does (as in htop's
  setup and help screens, tig, mutt, man), so a reflex ``q`` never loses the
  dashboard; ctrl+q quits from anywhere.
- A key whose action cannot run now says why, when its screen knows
  (:meth:`InductivaTopApp.run_action`; ``k`` on a finished task).
- The command palette gains the dashboard's commands.
- Switching profile ends this app with :attr:`InductivaTopApp.next_config`
  set; :func:`run_dashboard` starts a fresh one on it, so nothing of the old
  server (client, rows, watches, downloads) leaks over.

:func:`check_config` checks what only the app knows (its themes, its binding
ids) without starting it, so the command line refuses a mistake before the
screen opens; the app warns about the same mistakes when given them anyway.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from datetime import tzinfo
from typing import ClassVar
from urllib.parse import urlsplit

from textual.actions import ActionParseResult
from textual.app import App
from textual.binding import Binding, BindingType
from textual.command import Provider
from textual.dom import DOMNode
from textual.theme import BUILTIN_THEMES

from inductiva_top.api.client import InductivaClient
from inductiva_top.api.retry import refresh_retry_policy
from inductiva_top.config import Config, ConfigError, did_you_mean, save_setting, switch_profile
from inductiva_top.monitor import fmt
from inductiva_top.monitor.fleet.tracker import FleetState
from inductiva_top.monitor.foresight.notify import Notifier
from inductiva_top.monitor.foresight.tracker import Foresight
from inductiva_top.monitor.poller import PollPolicy
from inductiva_top.monitor.rows.window import RowWindow, TaskQuery
from inductiva_top.monitor.state import DashboardState, TaskSource
from inductiva_top.monitor.watch import Watcher
from inductiva_top.ui import launch_gc, screens
from inductiva_top.ui.columns import (
    columns_from_config,
    optional_columns,
    unknown_columns_message,
)
from inductiva_top.ui.context import ScreenContext
from inductiva_top.ui.keymap import loaded_binding_ids, unknown_keymap_ids
from inductiva_top.ui.partial_updates import crop_partial_updates
from inductiva_top.ui.resources import stylesheet
from inductiva_top.ui.screens.main import MainScreen
from inductiva_top.ui.services import PaneServices

__all__ = ["InductivaTopApp", "api_label", "check_config", "config_problems", "run_dashboard"]

HELP_SCREEN = "help"
"""The name the help screen is installed under."""

crop_partial_updates()

PAGE_SIZE = 50
"""Rows per ``GET /tasks`` page the table asks for."""


THEMES: Mapping[str, object] = BUILTIN_THEMES
"""What ``App.available_themes`` holds: Textual's themes (this app registers none)."""


def config_problems(config: Config) -> list[str]:
    """What in ``config`` names a theme or a binding id the dashboard does not have."""
    problems: list[str] = []
    if config.theme and config.theme not in THEMES:
        hint = did_you_mean(config.theme, list(THEMES))
        problems.append(
            f"{config.origin('theme')}: unknown theme {config.theme!r}{hint}; "
            f"themes: {', '.join(sorted(THEMES))}"
        )
    if not config.keymap:
        return problems
    # A keymap may name the keys of a screen not opened yet: they must be loaded to be known.
    screens.load_all()
    known = loaded_binding_ids()
    for binding_id in unknown_keymap_ids(config.keymap, known):
        hint = did_you_mean(binding_id, sorted(known))
        problems.append(
            f"{config.origin('keymap')}: no binding has the id {binding_id!r}{hint}; "
            "the README's key table lists every id"
        )
    return problems


def check_config(config: Config) -> None:
    """Raise :class:`ConfigError` (one line) for the first of :func:`config_problems`."""
    problems = config_problems(config)
    if problems:
        raise ConfigError(problems[0])


def _dashboard_commands() -> type[Provider]:
    """The palette's dashboard commands, imported when the palette first opens (not at launch)."""
    from inductiva_top.ui.commands import DashboardCommands

    return DashboardCommands


def api_label(config: Config) -> str:
    """Which API, for the header: the profile name, else the URL's host (never the key)."""
    if config.profile:
        return config.profile
    parts = urlsplit(config.api_url)
    return parts.netloc or config.api_url


class InductivaTopApp(App[None]):
    """``inductiva-top``: the dashboard, with help, theme memory, quit and the palette."""

    TITLE = "inductiva-top"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("t", "change_theme", "Theme", show=False, id="app.theme"),
        Binding("q", "quit", "Quit", id="app.quit"),
    ]

    COMMANDS = App.COMMANDS | {_dashboard_commands}

    _help: screens.HelpScreen | None = None
    """The one help screen, built at the first ``?`` (see :meth:`action_help`)."""

    _picking_theme = False
    """True once the user opened the theme picker: only their choice is saved."""

    def __init__(
        self,
        config: Config,
        *,
        clock: fmt.Clock = fmt.system_clock,
        tz: tzinfo | None = None,
        source: TaskSource | None = None,
        page_size: int = PAGE_SIZE,
    ) -> None:
        super().__init__(css_path=[stylesheet("app.tcss")])
        self.config = config
        self.next_config: Config | None = None
        """Set when the user switched profile: run again on this configuration."""
        self.watcher = Watcher(
            watch_all=config.notify, name_keys=config.name_keys, rules=config.watch
        )
        """The watched tasks (they outlive a screen); ``notify`` watches all of them, and
        the ``watch:`` rules the tasks they select."""
        self.notifier = Notifier.choose(config.notify_via, os.environ)
        """How a watched task's news reaches the desktop (``notify_via``, else the terminal's)."""
        self.formatter = fmt.Formatter(clock=clock, tz=tz)
        self.foresight = Foresight(self.formatter.now(), stall_after=config.stall_after)
        """Estimates, progress and history of the tasks the dashboard holds."""
        self._owned_client: InductivaClient | None = None
        if source is None:
            key = config.api_key.reveal() if config.api_key is not None else None
            self._owned_client = InductivaClient(
                config.api_url,
                key,
                key_source=config.api_key_source,
                poll_interval=config.refresh,
                retry=refresh_retry_policy(config.refresh),
            )
            source = self._owned_client
        self.source = source
        self.services: PaneServices | None = None
        """What the task panes fetch with; needs a real API client."""
        self.policy = PollPolicy(interval=config.refresh)
        """The poll loop's pace, which every pane that fetches on its own keeps too."""
        if isinstance(source, InductivaClient):
            self.services = PaneServices(
                source,
                output_dir=config.output_dir,
                tail_lines=config.tail_lines,
                formatter=self.formatter,
                policy=self.policy,
            )
        query = TaskQuery(
            statuses=frozenset(config.statuses),
            project=config.project or None,
            active=config.active,
        )
        self.state = DashboardState(
            source,
            window=RowWindow(page_size=page_size, query=query),
            name_keys=config.name_keys,
            fleet=FleetState(clock=clock),
        )
        self.columns, self._unknown_columns = columns_from_config(config.columns, config.name_keys)
        self.context = ScreenContext(
            source,
            api_label=api_label(config),
            formatter=self.formatter,
            policy=self.policy,
            services=self.services,
            read_only=config.read_only,
            name_keys=config.name_keys,
        )
        """What every screen of the dashboard is opened with."""

    def on_load(self) -> None:
        # Before the terminal is set up and the screen composed: the first page
        # is on the wire meanwhile, and the first tick takes its answer.
        self.state.prefetch()

    def on_mount(self) -> None:
        if launch_gc.paused():
            # The main screen resumes the collector once its first rows are painted;
            # this is for when they never come (a hung server).
            self.set_timer(launch_gc.RESUME_AFTER, launch_gc.resume)
        config = self.config
        # The command line refuses these; a config built in code may still hold them.
        for problem in config_problems(config):
            self.notify(problem, severity="warning", timeout=10, markup=False)
        if config.keymap:
            self.set_keymap(dict(config.keymap))
        if config.theme in self.available_themes:
            self.theme = config.theme
        if self._unknown_columns:
            message = unknown_columns_message(self._unknown_columns)
            self.notify(message, severity="warning", timeout=10, markup=False)
        self.push_screen(
            MainScreen(
                self.context,
                self.state,
                columns=self.columns,
                optional_columns=optional_columns(self.config.columns),
                watcher=self.watcher,
                foresight=self.foresight,
                output_dir=config.output_dir,
                bell=config.notify,
                notifier=self.notifier,
                key_missing=config.key_missing,
            )
        )

    async def run_action(
        self,
        action: str | ActionParseResult,
        default_namespace: DOMNode | None = None,
        namespaces: Mapping[str, DOMNode] | None = None,
    ) -> bool:
        """Run ``action``; when its screen refuses it now and can say why, it says so.

        Textual skips a refused action silently (``k`` on a finished task did
        nothing); the main screen explains instead, and the key counts as handled.
        """
        if await super().run_action(action, default_namespace, namespaces):
            return True
        target, name, _ = self._parse_action(
            action, self if default_namespace is None else default_namespace, namespaces
        )
        return isinstance(target, MainScreen) and target.explain_refusal(name)

    def action_help(self) -> None:
        help_screen = self._help
        if help_screen is not None and help_screen in self.screen_stack:
            return
        sections = screens.help_sections(self.screen, self.config.keymap)
        if help_screen is None:
            help_screen = self._help = screens.HelpScreen(sections)
            # Installed, so closing it keeps it (composed and styled) for the next press.
            self.install_screen(help_screen, name=HELP_SCREEN)
        else:
            help_screen.show_sections(sections)  # recomposed only if the keys differ
        self.push_screen(help_screen)

    def action_change_theme(self) -> None:
        self._picking_theme = True
        super().action_change_theme()

    def watch_theme(self, theme: str) -> None:
        """Remember a theme the user picked (not one set from config or by the program)."""
        if not self._picking_theme or theme == self.config.theme:
            return
        try:
            path = save_setting(self.config.config_path, "theme", theme)
        except ConfigError as error:
            self.notify(str(error), title="Theme not saved", severity="warning")
            return
        self.config = replace(self.config, theme=theme)
        self.notify(f"Saved to {path}", title=f"Theme {theme}", timeout=3)

    def switch_profile(self, name: str) -> None:
        """Reconnect to profile ``name``'s API (restarts the dashboard on it)."""
        try:
            config = switch_profile(self.config, name)
        except ConfigError as error:
            self.notify(str(error), title="Cannot switch profile", severity="error")
            return
        self.next_config = config
        self.exit()

    async def on_unmount(self) -> None:
        self.state.drop_prefetch()
        if self.services is not None:
            await self.services.downloads.aclose()
        if self._owned_client is not None:
            await self._owned_client.aclose()


def run_dashboard(config: Config) -> int:
    """Run the dashboard until the user quits; returns the exit code.

    Switching profile ends the app with the new configuration, and a fresh
    app starts on it.
    """
    while True:
        app = InductivaTopApp(config)
        try:
            app.run()
        finally:
            launch_gc.resume()
            launch_gc.release()
        if app.next_config is None:
            return 0
        config = app.next_config
