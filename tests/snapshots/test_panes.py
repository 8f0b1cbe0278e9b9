"""SVG snapshots of each task pane, fed fixed data (no server, a frozen clock).

Update after an intended change of looks with
``pytest tests/snapshots/test_panes.py --snapshot-update`` and review the SVGs.
"""

from __future__ import annotations

from collections.abc import Callable

from inductiva_top.demo.scenarios import (
    OnePane,
    fill_files,
    fill_tail,
    mark_file,
    search_tail,
    timeline_pane,
)
from inductiva_top.ui.widgets.files import FilesPanel
from inductiva_top.ui.widgets.tail import TailPanel

Compare = Callable[..., bool]


def test_timeline_pane(snap_compare: Compare) -> None:
    assert snap_compare(timeline_pane(), terminal_size=(90, 20))


def test_timeline_pane_compact(snap_compare: Compare) -> None:
    assert snap_compare(timeline_pane(), terminal_size=(40, 20))


def test_tail_pane(snap_compare: Compare) -> None:
    assert snap_compare(OnePane(lambda: TailPanel(id="pane"), fill_tail), terminal_size=(70, 10))


def test_tail_pane_search(snap_compare: Compare) -> None:
    app = OnePane(lambda: TailPanel(id="pane"), fill_tail)
    assert snap_compare(app, terminal_size=(70, 10), run_before=search_tail)


def test_files_pane(snap_compare: Compare) -> None:
    app = OnePane(lambda: FilesPanel(id="pane"), fill_files)
    assert snap_compare(app, terminal_size=(70, 12), run_before=mark_file)
