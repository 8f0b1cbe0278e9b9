"""What shows time passing moves on one clock tick: one frame a second, not one per widget."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Static

from inductiva_top.monitor.fmt import Formatter
from inductiva_top.ui.ticks import every_second
from inductiva_top.ui.widgets.timeline import TimelineView
from inductiva_top.ui.widgets.usage import UsageLine


class Ticking(Static):
    def __init__(self, ticks: list[str], id: str) -> None:
        super().__init__(id=id)
        self.ticks = ticks

    def on_mount(self) -> None:
        every_second(self, lambda: self.ticks.append(self.id or ""))


class TwoClocks(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.ticks: list[str] = []

    def compose(self) -> ComposeResult:
        yield Ticking(self.ticks, "one")
        yield Ticking(self.ticks, "two")
        yield TimelineView()
        yield UsageLine(None, None, Formatter())


async def test_widgets_tick_together_on_the_apps_one_timer() -> None:
    app = TwoClocks()
    async with app.run_test() as pilot:
        await pilot.pause()
        names = [timer.name for timer in app._timers]
        # The timeline and the resources line tick on the same clock as the others.
        assert names.count("second-clock") == 1
        assert not [timer for widget in app.query("*") for timer in widget._timers]
        while len(app.ticks) < 2:
            await pilot.pause(0.1)
        assert app.ticks[:2] == ["one", "two"]  # in one callback, in turn
        await app.query_one("#two").remove()
        app.ticks.clear()
        while len(app.ticks) < 2:
            await pilot.pause(0.1)
        assert app.ticks[:2] == ["one", "one"]  # a removed widget is forgotten
