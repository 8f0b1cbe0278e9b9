"""Showing text in a ``Static`` without redrawing what did not change.

``Static.update`` always lays the screen out again, and a layout redraws
every border and scrollbar on screen: over SSH, bytes for nothing. Text that
a poll sets to what it already says is left alone.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

__all__ = ["show_text"]


def show_text(static: Static, text: Text) -> None:
    """Show ``text`` in ``static``, unless it shows exactly that already."""
    if static.content != text:
        static.update(text)
