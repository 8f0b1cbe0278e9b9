"""Reading a task's progress from its output, and ignoring numbers that are not progress."""

from __future__ import annotations

import pytest

from inductiva_top.monitor.foresight.progress import ProgressTracker, parse_progress
from tests.unit.foresight_tasks import at


@pytest.mark.parametrize(
    ("line", "fraction", "text"),
    [
        # The demo's solvers: a \r bar with a percentage and a count.
        ("\rdiffusing [############------------------]  42.0% 420/1000    12.3 it/s",
         0.42, "42.0%"),
        ("\rintegrating [#-----]   5.0% 5/100\rintegrating [###---]  50.0% 50/100", 0.5, "50.0%"),
        # tqdm.
        ("train:  42%|████▏     | 420/1000 [00:10<00:14, 41.2it/s, loss=0.5]", 0.42, "42%"),
        ("step 420/1000", 0.42, "420/1000"),
        ("done 7 / 7", 1.0, "7/7"),
        ("[42%] writing", 0.42, "42%"),
        ("cpu: 80%, progress 42 %", 0.42, "42%"),
        (b"\x1b[32m 64%\x1b[0m", 0.64, "64%"),
        ("100%", 1.0, "100%"),
    ],
)  # fmt: skip
def test_progress_is_read(line: str | bytes, fraction: float, text: str) -> None:
    found = parse_progress(line)
    assert found is not None
    assert found.fraction == pytest.approx(fraction)
    assert found.text == text


@pytest.mark.parametrize(
    "line",
    [
        "error 50%",
        "relative error: 3.5%",
        "Memory usage 73%",
        "residual 12/100",
        "loss 0.5 42%",  # the clause names a loss: not taken, though 42% may be progress
        "150%",
        "-5% drift",
        "+3%",
        "2024/05/01 12:00:00 starting",
        "writing out/step_10/20.vtk",
        "ratio 3/2",
        "x 0/0",
        "12.3 it/s",
        "[12:00:00] step 400 of 1000",
        "v1.5/2",
        "no numbers here",
        "",
    ],
)
def test_numbers_that_are_not_progress(line: str) -> None:
    assert parse_progress(line) is None


def test_the_tracker_keeps_the_latest_and_ignores_steps_back() -> None:
    tracker = ProgressTracker()
    assert tracker.reading is None
    assert tracker.observe(at(0), "starting") is None
    first = tracker.observe(at(0), "10%")
    assert first is not None and (first.fraction, first.recent_rate) == (0.1, None)
    back = tracker.observe(at(2), "5%")
    assert back == first
    assert tracker.ignored == 1
    # Rounding is not a step back: 42.0% then 419/1000.
    tracker.observe(at(3), "42.0%")
    assert tracker.observe(at(4), "419/1000") is not None
    assert tracker.ignored == 1
    assert tracker.observe(at(5), "a log line") == tracker.reading


def test_the_recent_rate_needs_a_few_seconds_of_readings() -> None:
    tracker = ProgressTracker()
    tracker.observe(at(0), "10%")
    near = tracker.observe(at(3), "13%")
    assert near is not None and near.recent_rate is None
    later = tracker.observe(at(10), "20%")
    assert later is not None and later.recent_rate == pytest.approx(0.01)
    assert later.overall_rate(at(-10)) == pytest.approx(0.01)
    assert later.overall_rate(at(8)) is None  # too short to say
