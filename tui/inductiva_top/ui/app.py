"""The Textual app: builds the client, the state and the main screen from config.

Kept small on purpose: screens and widgets live in their own modules. The
clock and the time zone are injectable (``clock=``, ``tz=``) so snapshot
tests can freeze time, and a task source can be injected to share a client
(the app then does not close it).
"""

from __future__ import annotations

from datetime import tzinfo
from urllib.parse import urlsplit

from inductiva_top.api.client import InductivaClient
from inductiva_top.config import Config
from inductiva_top.monitor import fmt
from inductiva_top.monitor.poller import PollPolicy
from inductiva_top.monitor.state import DashboardState, TaskSource
from inductiva_top.monitor.window import RowWindow, TaskQuery
from inductiva_top.ui.app_home import HomeApp
from inductiva_top.ui.columns import columns_from_config
from inductiva_top.ui.keymap import binding_ids, unknown_keymap_ids
from inductiva_top.ui.resources import stylesheet
from inductiva_top.ui.screens.detail import TaskDetailScreen
from inductiva_top.ui.screens.export import ExportDialog
from inductiva_top.ui.screens.help import HelpScreen
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


class InductivaTopApp(HomeApp):
    """``inductiva-top``: the dashboard."""

    TITLE = "inductiva-top"

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
                read_only=config.read_only,
                services=self.services,
            )
        )

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
