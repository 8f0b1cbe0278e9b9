"""SVG snapshots of the project board, the sweep table and the failures view, 120x40 and 80x24.

Update after an intended change of looks with
``pytest tests/snapshots/test_batch_views.py --snapshot-update`` and review the SVGs.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from inductiva_top.demo.scenarios import SCENARIOS
from inductiva_top.server.launcher import ServerProcess

Compare = Callable[..., bool]
BY_NAME = {scenario.name: scenario for scenario in SCENARIOS}


@pytest.mark.parametrize(
    "name",
    [
        "board-120x40",
        "board-80x24",
        "sweep-120x40",
        "sweep-80x24",
        "failures-120x40",
        "failures-80x24",
    ],
)
def test_batch_view(snap_compare: Compare, server: ServerProcess, name: str) -> None:
    scenario = BY_NAME[name]
    assert snap_compare(
        scenario.make(server), terminal_size=scenario.size, run_before=scenario.run_before
    )
