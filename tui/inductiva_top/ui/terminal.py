"""Writing escape sequences of our own to the terminal, between Textual's frames."""

from __future__ import annotations

from typing import Any

from textual.app import App

__all__ = ["write_to_terminal"]


def write_to_terminal(app: App[Any], text: str) -> None:
    """Write ``text`` (a notification's escape sequence) to ``app``'s terminal.

    Through Textual's driver, as :meth:`App.bell` writes BEL, so that it is
    never interleaved with a frame being drawn. A headless app's driver drops it.
    """
    driver = app._driver
    if text and driver is not None:
        driver.write(text)
        driver.flush()
