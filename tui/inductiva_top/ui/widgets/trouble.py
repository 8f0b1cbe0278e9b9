"""One line (wrapped when long) saying why a pane cannot show fresh data right now.

A pane that fetches on its own (files, detail, queue) says what went wrong,
in full, while it lasts, and nothing once it has passed: :meth:`Trouble.say`
with ``""`` hides the line.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from inductiva_top.ui.widgets.header import update_if_changed

__all__ = ["Trouble"]


class Trouble(Static):
    """Why fresh data cannot be had right now; hidden while nothing is wrong."""

    DEFAULT_CSS = """
    Trouble { height: auto; color: $warning; display: none; }
    Trouble.-shown { display: block; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.text = ""
        """What is said now (``""``: nothing is wrong)."""

    def say(self, text: str) -> None:
        """Show ``text`` (plain, never markup), or hide the line for ``""``."""
        self.text = text
        update_if_changed(self, Text(text))
        self.set_class(bool(text), "-shown")
