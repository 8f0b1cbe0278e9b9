"""SVG snapshots of the fleet screen on fixed data (a frozen clock, no server), wide and at 80x24.

Update after an intended change of looks with
``pytest tests/snapshots/test_fleet.py --snapshot-update`` and review the SVGs.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from inductiva_top.demo.fleetscene import fleet_scene, fleet_shown

Compare = Callable[..., bool]


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_fleet_screen(snap_compare: Compare, size: tuple[int, int]) -> None:
    assert snap_compare(fleet_scene(), terminal_size=size, run_before=fleet_shown)
