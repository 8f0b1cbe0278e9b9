"""The main screen's table has the focus from the screen's first frame (issue 16).

Textual focuses the first focusable widget (the filter bar's search box) as
a screen is composed; the main screen then moved the focus to its table. At
launch that built the footer twice, once for the search box's keys, before
the first rows. No timings: this checks what is focused first.
"""

from __future__ import annotations

import pytest
from textual.screen import Screen
from textual.widget import Widget

from inductiva_top.config import Config
from inductiva_top.config.secret import Secret
from inductiva_top.ui.app import InductivaTopApp
from inductiva_top.ui.screens.main import MainScreen
from inductiva_top.ui.widgets.task_table import TaskTable
from tests.ui.dashboard_helpers import until
from tests.unit.test_dashboard_state import MemorySource, _task


async def test_the_table_is_the_first_widget_the_main_screen_focuses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    focused: list[Widget] = []
    set_focus = Screen.set_focus

    def noting(
        self: Screen[object], widget: Widget | None, *args: object, **kwargs: object
    ) -> None:
        if isinstance(self, MainScreen) and widget is not None:
            focused.append(widget)
        set_focus(self, widget, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Screen, "set_focus", noting)
    config = Config(api_url="http://127.0.0.1:9", api_key=Secret("k"))
    app = InductivaTopApp(config, source=MemorySource([_task("task-1")]))  # type: ignore[arg-type]
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.screen.query_one(TaskTable).row_count == 1, "the row")
    assert focused and all(isinstance(widget, TaskTable) for widget in focused)
