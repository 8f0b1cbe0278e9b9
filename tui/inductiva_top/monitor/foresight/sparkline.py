"""Block sparklines, btop-style: one cell per value, ``▁`` to ``█``.

A value at or below the floor of the scale is a blank cell (nothing), any
value above it at least ``▁``, the top of the scale ``█``; a missing value
(``None``) is blank. Newest on the right; fewer values than cells leave the
left blank, more keep the newest.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["BLOCKS", "sparkline"]

BLOCKS = "▁▂▃▄▅▆▇█"
"""The eight levels, lowest first."""

_BLANK = " "


def sparkline(
    values: Sequence[float | None],
    width: int,
    *,
    low: float = 0.0,
    high: float | None = None,
) -> str:
    """``width`` cells showing the newest ``values`` between ``low`` and ``high``.

    ``high`` None scales to the largest value shown (a series of zeros is
    blank). Values outside the scale are clamped.
    """
    if width < 0:
        raise ValueError(f"width must be at least 0, got {width}")
    shown = list(values)[-width:] if width else []
    finite = [v for v in shown if v is not None and math.isfinite(v)]
    top = high if high is not None else max(finite, default=low)
    cells = []
    for value in shown:
        if value is None or not math.isfinite(value) or value <= low or top <= low:
            cells.append(_BLANK)
            continue
        share = (min(value, top) - low) / (top - low)
        level = max(1, math.ceil(share * len(BLOCKS)))
        cells.append(BLOCKS[level - 1])
    return _BLANK * (width - len(cells)) + "".join(cells)
