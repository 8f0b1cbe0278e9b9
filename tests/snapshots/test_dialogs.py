"""SVG snapshots of the kill dialog and the help screen over the seeded dashboard.

Update after an intended change of looks with
``pytest tests/snapshots/test_dialogs.py --snapshot-update`` and review the SVGs.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from inductiva_top.demo.scenarios import SCENARIOS
from inductiva_top.server.launcher import ServerProcess

Compare = Callable[..., bool]
BY_NAME = {scenario.name: scenario for scenario in SCENARIOS}


@pytest.mark.parametrize("name", ["kill-dialog", "help"])
def test_dialog(snap_compare: Compare, server: ServerProcess, name: str) -> None:
    scenario = BY_NAME[name]
    assert snap_compare(
        scenario.make(server), terminal_size=scenario.size, run_before=scenario.run_before
    )
