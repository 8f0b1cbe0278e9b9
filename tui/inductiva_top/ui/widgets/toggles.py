"""Tick boxes and radio buttons whose state shows in the glyph, not in colour alone.

Textual's :class:`~textual.widgets.Checkbox` and
:class:`~textual.widgets.RadioButton` draw the same ``X`` or ``●`` whether
on or off, told apart by colour; under NO_COLOR (or to a colour-blind eye)
both read alike; and their half-block sides take the colour of the panel
behind them, so on some themes (solarized-light) the box has no edges. These
draw ``[X]``/``[ ]`` and ``(●)``/``( )``: the glyph only when on, and the
brackets in the label's colour.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Checkbox, RadioButton

__all__ = ["RADIO_ON", "TICKED", "UNTICKED", "RadioChoice", "TickBox"]

TICKED, UNTICKED = "X", " "
"""A tick box's inner glyph, on and off."""

RADIO_ON = "●"
"""A chosen radio button's inner glyph (off: :data:`UNTICKED`)."""


def _box(widget: Checkbox | RadioButton, sides: str, inner: str) -> Content:
    """``inner`` in the button's style between ``sides`` drawn in the label's style."""
    side = widget.get_visual_style("toggle--label")
    return Content.assemble(
        (sides[0], side), (inner, widget.get_visual_style("toggle--button")), (sides[1], side)
    )


class TickBox(Checkbox):
    """A checkbox drawn ``[X]`` when on and ``[ ]`` when off."""

    @property
    def _button(self) -> Content:
        # Textual's render() puts this box before the label.
        return _box(self, "[]", TICKED if self.value else UNTICKED)


class RadioChoice(RadioButton):
    """A radio button drawn ``(●)`` when chosen and ``( )`` otherwise."""

    @property
    def _button(self) -> Content:
        return _box(self, "()", RADIO_ON if self.value else UNTICKED)
