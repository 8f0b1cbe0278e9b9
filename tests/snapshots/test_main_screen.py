"""SVG snapshots of the main screen: seeded data, a frozen clock, 120x40, 80x24 and 200x55.

Update after an intended change of looks with ``pytest tests/snapshots --snapshot-update``
and review the SVGs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from textual.pilot import Pilot

from inductiva_top.demo.scenarios import dashboard, loaded
from inductiva_top.server.launcher import ServerProcess

Compare = Callable[..., bool]


def test_main_screen_wide(snap_compare: Compare, server: ServerProcess) -> None:
    assert snap_compare(dashboard(server), terminal_size=(120, 40), run_before=loaded)


def test_main_screen_80x24(snap_compare: Compare, server: ServerProcess) -> None:
    assert snap_compare(dashboard(server), terminal_size=(80, 24), run_before=loaded)


def test_main_screen_200x55(snap_compare: Compare, server: ServerProcess) -> None:
    """Room for every default column: STARTS and ENDS show (``-`` for finished tasks)."""
    assert snap_compare(dashboard(server), terminal_size=(200, 55), run_before=loaded)


def test_marked_rows(snap_compare: Compare, server: ServerProcess) -> None:
    """Marks show in the gutter; finished tasks are not killable, so Kill shows disabled."""

    async def marked(pilot: Pilot[None]) -> None:
        await loaded(pilot)
        await pilot.press("space", "space")

    assert snap_compare(dashboard(server), terminal_size=(120, 40), run_before=marked)


def test_detail_screen(snap_compare: Compare, server: ServerProcess) -> None:
    async def opened(pilot: Pilot[None]) -> None:
        await loaded(pilot)
        await pilot.press("enter")
        for _ in range(200):
            if pilot.app.screen.query(".detail-section"):
                break
            await asyncio.sleep(0.05)
        await pilot.pause()

    assert snap_compare(dashboard(server), terminal_size=(120, 40), run_before=opened)
