"""Writing only the changed cells of a line to the terminal.

Textual writes a partial update line by line, one run per widget on the line
("chop"), cropped at the right end of the changed span but not at its left:
a widget that changed three characters in the middle of a line has the line
rewritten from its left edge up to them. The task table is one widget across
the screen, so a ticking duration resent most of its row every second. Over
SSH those bytes are the user's bandwidth; :func:`crop_partial_updates` makes
each run start at the changed span too.
"""

from __future__ import annotations

from rich.console import Console
from rich.control import Control
from textual._compositor import ChopsUpdate

__all__ = ["crop_partial_updates", "render_partial"]


def render_partial(update: ChopsUpdate, console: Console) -> str:
    """``update`` as terminal data: each changed span of a line, and nothing left of it."""
    sequences: list[str] = []
    append = sequences.append
    move_to = Control.move_to
    last_y = update.spans[-1][0]
    for y, x1, x2 in update.spans:
        for end, (x, strip) in zip(update.chop_ends[y], update.chops[y].items(), strict=False):
            if strip is None or x > x2 or end <= x1:
                continue
            left, right = max(x, x1), min(end, x2)
            if left > x or right < end:
                strip = strip.crop(left - x, right - x)
            append(move_to(left, y).segment.text)
            append(strip.render(console))
        if y != last_y:
            append("\n")
    return "".join(sequences)


def crop_partial_updates() -> None:
    """Make Textual's partial updates write only their spans (see the module's doc)."""
    ChopsUpdate.render_segments = render_partial  # type: ignore[method-assign, assignment]
