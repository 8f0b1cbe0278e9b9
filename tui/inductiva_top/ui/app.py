"""The Textual app: builds the client, the state and the main screen from config.

Screens and widgets live in their own modules. The clock and the time zone
are injectable (``clock=``, ``tz=``) so snapshot tests can freeze time, and a
task source can be injected to share a client (the app then does not close it).

App-wide keys and habits live here too:

- ``?`` opens help for the screen underneath (generated from its bindings).
- ``t`` opens Textual's theme picker; the theme chosen is written to
  config.yaml (``theme:``), so it is there next time.
- ``Q`` quits, as does Textual's own ctrl+q (``q`` is the queue view).
- The command palette gains the dashboard's commands.
- Switching profile ends this app with :attr:`InductivaTopApp.next_config`
  set; :func:`run_dashboard` starts a fresh one on it, so nothing of the old
  server (client, rows, watches, downloads) leaks over.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import tzinfo
from typing import ClassVar
from urllib.parse import urlsplit

from textual.app import App
from textual.binding import Binding, BindingType

from inductiva_top.api.client import InductivaClient
from inductiva_top.config import Config, ConfigError, save_setting, switch_profile
from inductiva_top.monitor import fmt
from inductiva_top.monitor.poller import PollPolicy
from inductiva_top.monitor.state import DashboardState, TaskSource
from inductiva_top.monitor.watch import Watcher
from inductiva_top.monitor.window import RowWindow, TaskQuery
from inductiva_top.ui.columns import columns_from_config
from inductiva_top.ui.commands import DashboardCommands
from inductiva_top.ui.keymap import binding_ids, unknown_keymap_ids
from inductiva_top.ui.resources import stylesheet
from inductiva_top.ui.screens.detail import TaskDetailScreen
from inductiva_top.ui.screens.export import ExportDialog
from inductiva_top.ui.screens.help import HelpScreen, help_sections
from inductiva_top.ui.screens.kill import ConfirmKill
from inductiva_top.ui.screens.main import MainScreen
from inductiva_top.ui.screens.project_picker import ProjectPicker
from inductiva_top.ui.screens.queue import QueueScreen
from inductiva_top.ui.screens.status_filter import StatusFilter
from inductiva_top.ui.services import PaneServices
from inductiva_top.ui.widgets.files import FilesPanel, FileTree
from inductiva_top.ui.widgets.tail import TailPanel
from inductiva_top.ui.widgets.task_table import TaskTable

__all__ = ["InductivaTopApp", "api_label", "run_dashboard"]

PAGE_SIZE = 50
"""Rows per ``GET /tasks`` page the table asks for."""


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
        Binding("Q", "quit", "Quit", id="app.quit"),
    ]

    COMMANDS = App.COMMANDS | {DashboardCommands}

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
        self.watcher = Watcher(watch_all=config.notify)
        """The watched tasks (they outlive a screen); ``notify`` watches all of them."""
        self.formatter = fmt.Formatter(clock=clock, tz=tz)
        self._owned_client: InductivaClient | None = None
        if source is None:
            key = config.api_key.reveal() if config.api_key is not None else None
            self._owned_client = InductivaClient(
                config.api_url,
                key,
                key_source=config.api_key_source,
                poll_interval=config.refresh,
            )
            source = self._owned_client
        self.source = source
        self.services: PaneServices | None = None
        """What the task panes fetch with; needs a real API client."""
        if isinstance(source, InductivaClient):
            self.services = PaneServices(
                source,
                output_dir=config.output_dir,
                tail_lines=config.tail_lines,
                formatter=self.formatter,
            )
        query = TaskQuery(
            statuses=frozenset(config.statuses),
            project=config.project or None,
            active=config.active,
        )
        self.state = DashboardState(source, window=RowWindow(page_size=page_size, query=query))
        self.columns, self._unknown_columns = columns_from_config(config.columns)

    def on_mount(self) -> None:
        config = self.config
        if config.keymap:
            known = binding_ids(
                [
                    type(self),
                    HelpScreen,
                    ExportDialog,
                    MainScreen,
                    TaskTable,
                    TaskDetailScreen,
                    ConfirmKill,
                    StatusFilter,
                    ProjectPicker,
                    QueueScreen,
                    TailPanel,
                    FilesPanel,
                    FileTree,
                ]
            )
            unknown = unknown_keymap_ids(config.keymap, known)
            if unknown:
                self.notify(
                    "keymap: no binding has the id " + ", ".join(unknown),
                    severity="warning",
                    timeout=10,
                )
            self.set_keymap(dict(config.keymap))
        if config.theme:
            if config.theme in self.available_themes:
                self.theme = config.theme
            else:
                self.notify(f"theme {config.theme!r} does not exist", severity="warning")
        if self._unknown_columns:
            self.notify("columns: unknown " + ", ".join(self._unknown_columns), severity="warning")
        self.push_screen(
            MainScreen(
                self.state,
                api_label=api_label(config),
                columns=self.columns,
                formatter=self.formatter,
                policy=PollPolicy(interval=config.refresh),
                watcher=self.watcher,
                output_dir=config.output_dir,
                read_only=config.read_only,
                bell=config.notify,
                services=self.services,
            )
        )

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(help_sections(self.screen, self.config.keymap)))

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
        app.run()
        if app.next_config is None:
            return 0
        config = app.next_config
