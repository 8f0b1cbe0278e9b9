"""Only the changed cells of a line are written: the table's spans and Textual's runs."""

from __future__ import annotations

import pytest
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual._compositor import ChopsUpdate
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static

from inductiva_top.ui import partial_updates
from inductiva_top.ui.partial_updates import bands, render_partial, render_partial_update
from inductiva_top.ui.widgets.task_table import _changed_spans

PLAIN = Style(color="white")

TEXTUAL_PARTIAL_UPDATE = partial_updates.TEXTUAL_PARTIAL_UPDATE
"""Textual's own, for comparison."""


def _console() -> Console:
    return Console(force_terminal=True, color_system="truecolor", width=40)


def test_a_span_in_the_middle_of_a_widget_writes_only_that_span() -> None:
    row = Strip([Segment("  abc123 Running   ", PLAIN), Segment("5s ago  9s ", PLAIN)])
    # One widget across the line (a chop from 0 to 30); cells 19-24 changed.
    update = ChopsUpdate([{0: row}], [(0, 19, 25)], [[30]])
    written = render_partial(update, _console())
    # The cursor goes to the span, not to the widget's left edge.
    assert written == "\x1b[1;20H\x1b[37m5s ago\x1b[0m"


def test_a_ticking_duration_is_a_few_cells_of_its_segment() -> None:
    before = (("  abc123 ", PLAIN), ("busy  5s ago   5s   - default", PLAIN))
    after = (("  abc123 ", PLAIN), ("busy  6s ago   6s   - default", PLAIN))
    assert _changed_spans(before, after) == [(15, 16), (24, 25)]
    assert _changed_spans(None, after) is None
    restyled = (("  abc123 ", Style(bold=True)), after[1])
    assert _changed_spans(after, restyled) == [(0, 9)]


class _Stack(App[None]):
    """Five one-line labels, one under another."""

    def compose(self) -> ComposeResult:
        for n in range(5):
            yield Static(f"line {n} " * 5, id=f"l{n}")


async def test_a_frame_renders_only_the_widgets_in_its_bands_of_changed_lines(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Textual rendered every widget on screen for any change: with the table's durations
    and the timeline's ticking, every pane and line between them, every second."""
    app = _Stack()
    async with app.run_test(size=(40, 5)) as pilot:
        await pilot.pause()
        compositor = app.screen._compositor
        rendered: list[str] = []
        render_lines = Widget.render_lines

        def counting(widget: Widget, crop: Region) -> list[Strip]:
            if isinstance(widget, Static):
                rendered.append(widget.id or "")
            return render_lines(widget, crop)

        monkeypatch.setattr(Widget, "render_lines", counting)
        dirty = {Region(5, 0, 3, 1), Region(5, 4, 3, 1)}  # in l0 and in l4
        compositor._dirty_regions = set(dirty)
        ours = render_partial_update(compositor)
        assert sorted(rendered) == ["l0", "l4"]
        compositor._dirty_regions = set(dirty)
        textuals = TEXTUAL_PARTIAL_UPDATE(compositor)
        assert ours is not None and textuals is not None
        assert render_partial(ours, _console()) == render_partial(textuals, _console())
        assert "\x1b[1;6H" in render_partial(ours, _console())


def test_changed_lines_apart_are_bands_of_their_own() -> None:
    regions = [Region(0, 3, 2, 1), Region(0, 4, 2, 1), Region(0, 6, 2, 1), Region(0, 9, 2, 1)]
    assert [len(band) for band in bands(regions)] == [3, 1]  # one unchanged line (5) joins
