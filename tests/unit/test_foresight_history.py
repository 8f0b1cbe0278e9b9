"""Block sparklines and the header's history of running, waiting and finishing tasks."""

from __future__ import annotations

import pytest

from inductiva_top.monitor.foresight.header_history import HeaderHistory, split_counts
from inductiva_top.monitor.foresight.sparkline import BLOCKS, sparkline
from tests.unit.foresight_tasks import NOW, at


def test_sparkline_levels_newest_on_the_right() -> None:
    assert sparkline([0, 1, 2, 3, 4, 5, 6, 7, 8], 9) == " ▁▂▃▄▅▆▇█"
    assert sparkline([1, 8], 4) == "  ▁█"
    assert sparkline([1, 2, 3, 4, 5], 2) == "▇█"
    assert sparkline([], 3) == "   "
    assert sparkline([1.0], 0) == ""


def test_sparkline_scales_blanks_and_clamps() -> None:
    assert sparkline([50.0, 100.0, 150.0, None], 4, high=100) == "▄██ "
    assert sparkline([0.0, 0.0], 2) == "  "
    assert sparkline([0.1, 100.0], 2, high=100.0) == "▁█"
    assert sparkline([float("nan"), 3.0], 2) == " █"
    assert set(sparkline([3, 1, 2], 3)) <= set(BLOCKS)
    with pytest.raises(ValueError, match="width"):
        sparkline([1.0], -1)


def test_counts_split_by_kind() -> None:
    counts = {"submitted": 3, "in-queue": 1, "computation-started": 2, "success": 5, "failed": 1}
    assert split_counts({**counts, "mystery": 9}) == (2, 4, 6)


def test_one_bucket_per_cell_while_the_history_is_short() -> None:
    history = HeaderHistory(NOW, resolution=10)
    for second, running, waiting, finished in [(0, 1, 8, 0), (10, 2, 6, 0), (20, 4, 2, 6)]:
        history.record_counts(at(second), running, waiting, finished)
    sparks = history.sparks(5)
    assert sparks.running == "  ▂▄█"
    assert sparks.waiting == "  █▆▂"
    # No finish is counted on the first sample; 6 in the third bucket (36 a minute).
    assert sparks.finishes == "    █"
    assert history.total_finishes == 6
    assert history.finishes_per_minute(at(60)) == pytest.approx(6.0)


def test_a_long_history_is_squeezed_into_the_cells() -> None:
    history = HeaderHistory(NOW, resolution=10)
    for minute in range(6):
        history.record_counts(at(60 * minute), running=minute, waiting=0, finished=10 * minute)
    sparks = history.sparks(3)
    # 31 buckets of 10 s over 3 cells of 10, 10 and 11 buckets. Running: the mean of
    # each cell's samples (0.5, 2.5, 4.5); finishes a minute: 10 in 100 s, 20 in 100 s,
    # 20 in 110 s (6, 12, 10.9).
    assert sparks.running == "▁▅█"
    assert sparks.finishes == "▄██"
    assert history.sparks(3) == sparks  # the same history draws the same


def test_memory_is_bounded_by_merging_neighbours() -> None:
    history = HeaderHistory(NOW, resolution=1, capacity=4)
    for second in range(20):
        history.record_counts(at(second), 1, 0, second)
    assert history.resolution == 8
    assert len(history._buckets) <= 4
    assert history.total_finishes == 19
    assert history.sparks(2).running == "██"


def test_a_fall_in_the_finished_count_is_no_finish() -> None:
    history = HeaderHistory(NOW)
    history.record(at(0), {"success": 10})
    history.record(at(1), {"success": 4})
    history.record(at(2), {"success": 5})
    assert history.total_finishes == 1


def test_a_clock_stepping_back_adds_to_the_newest_bucket() -> None:
    history = HeaderHistory(NOW, resolution=10)
    history.record_counts(at(30), 1, 0, 0)
    history.record_counts(at(5), 8, 0, 0)
    assert history.sparks(4).running == "   █"
