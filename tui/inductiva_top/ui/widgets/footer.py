"""The footer of every full screen: Textual's, rebuilt only when the keys it shows change.

Textual's footer rebuilds all its keys whenever the screen's bindings are
refreshed (a focus change, a mount, a resize, a key switched on or off),
once per refresh even when several come before it is drawn, and restyles
each key twice as it mounts. At the dashboard's launch that was about ten
rebuilds, most of the same keys, before the first rows were painted (issue
16): a tenth of the launch. Here the footer is rebuilt once for any number
of refreshes before it is drawn, not at all when the keys are those already
drawn, and a key is born in the footer's style.
"""

from __future__ import annotations

from collections.abc import Hashable

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

__all__ = ["KeysFooter", "shown_keys"]


def shown_keys(screen: Screen[object]) -> tuple[Hashable, ...]:
    """What a footer on ``screen`` would draw: each binding, whether it is enabled, its tooltip."""
    return tuple(
        (active.binding, active.enabled, active.tooltip)
        for active in screen.active_bindings.values()
    )


class KeysFooter(Footer):
    """A :class:`~textual.widgets.Footer` that is rebuilt only when its keys would change."""

    _drawn: tuple[Hashable, ...] | None = None
    """:func:`shown_keys` when the footer was last composed with its keys (None: not yet)."""

    _rebuild_due = False
    """A rebuild is on its way: it reads the keys as they are then."""

    def compose(self) -> ComposeResult:
        self._rebuild_due = False
        self._drawn = shown_keys(self.screen) if self._bindings_ready else None
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                # Mounting a key set its default (compact) and then the footer's value
                # it is bound to, each a style pass of its own: here it is born with the
                # value it ends with. The palette's key is not bound: it stays compact.
                compact = self.compact or widget.has_class("-command-palette")
                widget.set_reactive(FooterKey.compact, compact)
                widget.set_class(compact, "-compact", update=False)
            yield widget

    def bindings_changed(self, screen: Screen[object]) -> None:
        """Rebuild after the next refresh, as Textual's footer does, unless one is due already
        or the keys are those drawn."""
        self._bindings_ready = True
        if not screen.app.app_focus or not self.is_attached or screen is not self.screen:
            return
        if self._rebuild_due or shown_keys(screen) == self._drawn:
            return
        self._rebuild_due = True
        self.call_after_refresh(self.recompose)
