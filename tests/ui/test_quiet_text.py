"""Text set to what a ``Static`` already shows is not set again (no screen-wide layout)."""

from __future__ import annotations

from typing import Any

import pytest
from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import Static

from inductiva_top.ui.widgets.header import update_if_changed


class OneStatic(App[None]):
    def compose(self) -> ComposeResult:
        yield Static(id="line")


async def test_the_same_text_is_not_shown_again(monkeypatch: pytest.MonkeyPatch) -> None:
    app = OneStatic()
    async with app.run_test() as pilot:
        static = app.query_one(Static)
        update_if_changed(static, Text("3 files"))
        await pilot.pause()
        updates: list[Any] = []
        original = static.update
        monkeypatch.setattr(
            static, "update", lambda text, **how: updates.append(text) or original(text, **how)
        )
        update_if_changed(static, Text("3 files"))
        assert updates == []
        update_if_changed(static, Text("4 files"))
        assert updates == [Text("4 files")]
        assert static.content == Text("4 files")
