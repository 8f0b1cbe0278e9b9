"""App-wide keys and habits: help, theme, quit, the palette, the watch list, profiles.

:class:`HomeApp` is the base of :class:`~inductiva_top.ui.app.InductivaTopApp`.

- ``?`` opens help for the screen underneath (generated from its bindings).
- ``t`` opens Textual's theme picker; the theme chosen is written to
  config.yaml (``theme:``), so it is there next time.
- ``Q`` quits, as does Textual's own ctrl+q (``q`` is the queue view).
- The command palette gains the dashboard's commands.
- Switching profile ends this app with :attr:`HomeApp.next_config` set;
  :func:`~inductiva_top.ui.app.run_dashboard` starts a fresh one on it, so
  nothing of the old server (client, rows, watches, downloads) leaks over.
"""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType

from inductiva_top.config import Config, ConfigError, save_setting, switch_profile
from inductiva_top.monitor.watch import Watcher
from inductiva_top.ui.commands import DashboardCommands
from inductiva_top.ui.screens.help import HelpScreen, help_sections

__all__ = ["HomeApp"]


class HomeApp(App[None]):
    """Help, theme memory, quit, the palette's commands, the watch list."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("t", "change_theme", "Theme", show=False, id="app.theme"),
        Binding("Q", "quit", "Quit", id="app.quit"),
    ]

    COMMANDS = App.COMMANDS | {DashboardCommands}

    config: Config

    next_config: Config | None = None
    """Set when the user switched profile: run again on this configuration."""

    _watcher: Watcher | None = None
    _picking_theme = False
    """True once the user opened the theme picker: only their choice is saved."""

    @property
    def watcher(self) -> Watcher:
        """The watched tasks; ``notify`` in config watches all of them."""
        if self._watcher is None:
            self._watcher = Watcher(watch_all=self.config.notify)
        return self._watcher

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
