"""One clock tick a second for everything on screen that shows time passing.

The table's running durations, the header's state, the timeline's open span
and the resources line each moved with a timer of their own: one second
apart, but each at its own phase, so every second the screen was composed
and written up to four times, a few milliseconds apart. :func:`every_second`
subscribes a widget to its app's one :class:`SecondClock` instead: all of
them move in one callback, and what they changed goes out in one frame.
"""

from __future__ import annotations

from collections.abc import Callable
from weakref import WeakKeyDictionary

from textual.app import App
from textual.dom import DOMNode

__all__ = ["SecondClock", "every_second"]

Tick = Callable[[], object]


class SecondClock:
    """An app's one timer a second, calling every subscribed node's tick in turn."""

    def __init__(self, app: App[object]) -> None:
        self._ticks: WeakKeyDictionary[DOMNode, list[Tick]] = WeakKeyDictionary()
        app.set_interval(1.0, self.tick, name="second-clock")

    def subscribe(self, node: DOMNode, tick: Tick) -> None:
        """Call ``tick`` every second while ``node`` is mounted."""
        self._ticks.setdefault(node, []).append(tick)

    def tick(self) -> None:
        """Every subscriber's tick, in the order they subscribed; the removed are forgotten."""
        for node, ticks in list(self._ticks.items()):
            if not node.is_running:
                del self._ticks[node]  # removed: its message pump has closed
            elif node.is_attached:
                for tick in ticks:
                    tick()


_CLOCKS: WeakKeyDictionary[App[object], SecondClock] = WeakKeyDictionary()


def every_second(node: DOMNode, tick: Tick) -> None:
    """Call ``tick`` on the app's one clock (see the module doc) while ``node`` is mounted."""
    app = node.app
    clock = _CLOCKS.get(app)
    if clock is None:
        clock = _CLOCKS[app] = SecondClock(app)
    clock.subscribe(node, tick)
