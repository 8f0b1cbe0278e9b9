"""What the table and the header look like in every built-in theme, with and without colour.

The cursor row must read (its status was once drawn in the cursor's own
colour: fg 32 on bg 32), the header's counts wear their rows' colours,
running rows are not the dimmest text under NO_COLOR, and scrollbars stay
quieter than the text.
"""

from __future__ import annotations

import pytest
from rich.style import Style
from textual.color import Color
from textual.theme import BUILTIN_THEMES

from inductiva_top.monitor.poller import Freshness
from inductiva_top.monitor.statuses import StatusKind
from inductiva_top.ui.columns import COLUMNS
from inductiva_top.ui.widgets.header import StatusHeader
from inductiva_top.ui.widgets.task_table import KIND_CLASSES, MIN_CONTRAST, contrast
from tests.ui.table_helpers import TableApp, on_screen, task

CODES = ("submitted", "computation-started", "success", "failed", "killed", "brand-new")
"""One status of each kind (the last one unknown to the client)."""


@pytest.mark.parametrize("no_color", [False, True], ids=["colour", "NO_COLOR"])
async def test_every_cell_of_the_cursor_row_reads_in_every_theme(
    no_color: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    app = TableApp([COLUMNS["id"], COLUMNS["status"], COLUMNS["project"]])
    async with app.run_test(size=(60, 12)) as pilot:
        app.show([task(n, code) for n, code in enumerate(CODES)])
        table = app.table
        faint: list[str] = []
        for theme in BUILTIN_THEMES:
            app.theme = theme
            for focused in (True, False):
                table.focus() if focused else app.set_focus(None)
                await pilot.pause()
                for row in range(len(CODES)):
                    table.move_to(row)
                    for text, fg, bg in on_screen(app, list(table.render_line(row + 1))):
                        assert fg != bg, (theme, focused, text)
                        if contrast(fg, bg) < MIN_CONTRAST:
                            faint.append(f"{theme} focused={focused} {text!r}")
        assert not faint


async def test_running_rows_are_not_the_dimmest_text_without_colour(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = TableApp([COLUMNS["id"], COLUMNS["status"]])
    async with app.run_test(size=(40, 12)) as pilot:
        app.show([task(n, code) for n, code in enumerate(CODES)])
        app.table.move_to(len(CODES) - 1)  # the cursor away from the rows compared
        for theme in BUILTIN_THEMES:
            app.theme = theme
            await pilot.pause()
            line = on_screen(app, list(app.table.render_line(2)))  # the running task
            (_, id_fg, bg), (status, status_fg, _) = line
            assert status.startswith("▶ Running")
            # As bright as the plainest text of the row (a task id), never greyed.
            assert contrast(status_fg, bg) >= contrast(id_fg, bg) - 0.01, theme


async def test_header_counts_wear_the_colours_of_their_rows() -> None:
    app = TableApp()
    async with app.run_test(size=(120, 12)) as pilot:
        header = app.query_one(StatusHeader)
        header.update_status(Freshness(), 0.0, {"failed": 2, "success": 5, "submitted": 1})
        await pilot.pause()
        counts = header.query_one("#header-counts").content
        assert "✘ 2 failed" in str(counts)
        table = app.table
        for kind, label in ((StatusKind.FAILED, "✘ 2"), (StatusKind.SUCCESS, "✔ 5")):
            start = str(counts).index(label)
            spans = [span for span in counts.spans if span.start <= start < span.end]  # type: ignore[attr-defined]
            colour = table.get_component_rich_style(KIND_CLASSES[kind]).color
            assert spans and Style.parse(str(spans[-1].style)).color == colour


def _chroma(color: Color) -> int:
    return max(color.rgb) - min(color.rgb)


async def test_scrollbars_are_quieter_than_the_text() -> None:
    """A scrollbar is a grey between the text and the background: no accent colour, faint."""
    app = TableApp()
    async with app.run_test(size=(60, 12)) as pilot:
        app.show([task(n) for n in range(40)])
        for theme in BUILTIN_THEMES:
            if theme.startswith("ansi"):
                continue  # the terminal's own palette
            app.theme = theme
            await pilot.pause()
            styles = app.table.styles
            plain = app.table.rich_style
            assert plain.color is not None and plain.bgcolor is not None
            text = Color.from_rich_color(plain.color)
            background = styles.scrollbar_background
            for thumb in (
                styles.scrollbar_color,
                styles.scrollbar_color_hover,
                styles.scrollbar_color_active,
            ):
                shown = background + thumb
                assert _chroma(shown) <= max(_chroma(text), _chroma(background)) + 2, theme
                assert contrast(shown, background) < contrast(text, background) / 2, theme
