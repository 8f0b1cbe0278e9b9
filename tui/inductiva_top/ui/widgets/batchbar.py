"""Stacked status bars and their legend as Rich text (the bars themselves are data in
:mod:`inductiva_top.monitor.batch.bars`): each kind's glyph, coloured by its kind."""

from __future__ import annotations

from collections.abc import Callable

from rich.style import Style
from rich.text import Text

from inductiva_top.monitor.batch.bars import KindCounts, legend, stacked_bar
from inductiva_top.monitor.statuses import StatusKind

__all__ = ["bar_text", "legend_text"]

KindStyle = Callable[[StatusKind], Style]


def bar_text(counts: KindCounts, width: int, style: KindStyle) -> Text:
    """``counts`` as a bar exactly ``width`` cells wide (blank when there is no task)."""
    text = Text(no_wrap=True, end="")
    for segment in stacked_bar(counts, width):
        text.append(segment.text, style(segment.kind))
    text.pad_right(width - text.cell_len)
    return text


def legend_text(style: KindStyle) -> Text:
    """``█ ok  ╳ failed  ╱ killed  ▒ running  ░ waiting``, each glyph in its colour."""
    text = Text(no_wrap=True, end="")
    for kind, glyph, word in legend():
        if text:
            text.append("  ")
        text.append(glyph, style(kind))
        text.append(f" {word}")
    return text
