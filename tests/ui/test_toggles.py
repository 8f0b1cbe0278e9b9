"""The export dialog's tick box and format buttons read without colour.

Textual's own draw the same ``X`` (or ``●``) ticked or not, told apart by
colour alone; under NO_COLOR's greys the unticked glyph had the colour of
its background.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from textual.app import App
from textual.color import Color
from textual.theme import BUILTIN_THEMES
from textual.widget import Widget
from textual.widgets import Checkbox, RadioButton

from inductiva_top.api.models import TaskPage
from inductiva_top.ui.resources import stylesheet
from inductiva_top.ui.screens.export import ExportDialog
from tests.ui.table_helpers import on_screen


async def _no_rows(page: int) -> TaskPage:
    return TaskPage(total_size=0, tasks=[])


class DialogApp(App[None]):
    """The export dialog over a bare app with the dashboard's stylesheet."""

    CSS_PATH = stylesheet("app.tcss")

    def on_mount(self) -> None:
        when = datetime(2026, 1, 1, tzinfo=timezone.utc).strftime("%Y%m%d")
        self.push_screen(
            ExportDialog(_no_rows, 100, default_path=Path(f"/tmp/{when}.csv"), describe="view")
        )


def _glyphs(app: App[None], widget: Widget) -> list[tuple[str, Color, Color]]:
    """Each visible character of ``widget``'s line with its colours as the terminal gets them."""
    return [
        (char, fg, bg)
        for text, fg, bg in on_screen(app, list(widget.render_line(0)))
        for char in text
        if char.strip()
    ]


@pytest.mark.parametrize("no_color", [False, True], ids=["colour", "NO_COLOR"])
async def test_ticked_and_unticked_differ_by_glyph_and_every_glyph_reads(
    no_color: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    app = DialogApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        box = app.screen.query_one("#export-overwrite", Checkbox)
        csv, json = app.screen.query(RadioButton).results(RadioButton)
        for theme in BUILTIN_THEMES:
            app.theme = theme
            box.value = False
            await pilot.pause()
            unticked = "".join(char for char, _, _ in _glyphs(app, box))
            chosen = "".join(char for char, _, _ in _glyphs(app, csv))
            other = "".join(char for char, _, _ in _glyphs(app, json))
            box.value = True
            await pilot.pause()
            ticked = "".join(char for char, _, _ in _glyphs(app, box))
            # The glyphs alone tell them apart (as a screen reader or NO_COLOR sees them).
            assert ticked != unticked, theme
            assert chosen.replace("CSV", "") != other.replace("JSON", ""), theme
            for widget in (box, csv, json):
                for char, fg, bg in _glyphs(app, widget):
                    assert fg != bg, (theme, widget.id, char)
