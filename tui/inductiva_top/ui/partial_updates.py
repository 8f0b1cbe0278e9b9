"""Writing only the changed cells of a line to the terminal.

Textual writes a partial update line by line, one run per widget on the line
("chop"), cropped at the right end of the changed span but not at its left:
a widget that changed three characters in the middle of a line has the line
rewritten from its left edge up to them. The task table is one widget across
the screen, so a ticking duration resent most of its row every second. Over
SSH those bytes are the user's bandwidth; :func:`crop_partial_updates` makes
each run start at the changed span too.

Textual also renders every widget that overlaps the box around all the changed
regions of a frame, each over its whole height: a ticking duration in the
table and one in the timeline pane below it put every pane and line between
them through the styles cache each second. :func:`render_partial_update`
renders each band of changed lines on its own box instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from rich.console import Console
from rich.control import Control
from textual._compositor import ChopsUpdate, Compositor
from textual.geometry import Region
from textual.strip import Strip

__all__ = [
    "BAND_GAP",
    "TEXTUAL_PARTIAL_UPDATE",
    "bands",
    "crop_partial_updates",
    "render_partial",
    "render_partial_update",
]

TEXTUAL_PARTIAL_UPDATE = Compositor.render_partial_update
"""Textual's partial update, which :func:`render_partial_update` replaces."""

BAND_GAP = 1
"""Unchanged lines between two changed ones that still make one band (a row of the table
that kept its text between two that ticked): each band renders its widgets once."""


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


def bands(regions: Iterable[Region]) -> list[list[Region]]:
    """``regions`` grouped into bands of lines: no two bands share a line, nor come
    closer than :data:`BAND_GAP` unchanged lines."""
    grouped: list[list[Region]] = []
    end = 0
    for region in sorted(regions, key=lambda region: region.y):
        if grouped and region.y <= end + BAND_GAP:
            grouped[-1].append(region)
            end = max(end, region.bottom)
        else:
            grouped.append([region])
            end = region.bottom
    return grouped


def render_partial_update(compositor: Compositor) -> ChopsUpdate | None:
    """Textual's partial update, each band of changed lines rendered on its own box.

    Within a band's box every widget over a changed span overlaps the box, so
    the topmost still wins; a line belongs to one band, whose render it takes.
    """
    screen_region = compositor.size.region
    update_regions = compositor._dirty_regions.copy()
    compositor._dirty_regions.clear()
    if not update_regions:
        return None
    spans = list(compositor._regions_to_spans(update_regions))
    changed = {y for y, _, _ in spans}
    chops: list[Mapping[int, Strip | None]] = [dict.fromkeys(cuts[:-1]) for cuts in compositor.cuts]
    visible = compositor.visible_widgets
    try:
        for band in bands(update_regions):
            crop = Region.from_union(band).intersection(screen_region)
            lines = set(crop.line_range) & changed
            # Textual renders each widget whose parent's clip meets the box (every widget
            # on screen); only those with something visible in the box can change it.
            compositor._visible_widgets = {
                widget: (region, clip)
                for widget, (region, clip) in visible.items()
                if crop.overlaps(region.intersection(clip))
            }
            rendered = compositor._render_chops(crop, lines.__contains__)
            for y in lines:
                chops[y] = rendered[y]
    finally:
        compositor._visible_widgets = visible
    chop_ends = [cut_set[1:] for cut_set in compositor.cuts]
    return ChopsUpdate(chops, spans, chop_ends)


def crop_partial_updates() -> None:
    """Make Textual's partial updates render by bands and write only their spans (see the
    module's doc)."""
    ChopsUpdate.render_segments = render_partial  # type: ignore[method-assign, assignment]
    Compositor.render_partial_update = render_partial_update  # type: ignore[method-assign, assignment]
