"""What the panes draw of the foresight: the timeline's predicted end, the resources line,
the header's history."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import cast

import pytest

from inductiva_top.api.live import HttpLiveTask
from inductiva_top.api.local import LocalOps
from inductiva_top.monitor import fmt
from inductiva_top.monitor.foresight.durations import Phase
from inductiva_top.monitor.foresight.estimates import FinishEstimate, Source, Span
from inductiva_top.monitor.foresight.header_history import HeaderHistory
from inductiva_top.monitor.foresight.resources import OUTPUT_UPDATE_PATH, MetricsSeries
from inductiva_top.monitor.statuses import StatusKind
from inductiva_top.monitor.task.timeline import Outcome, Timeline
from inductiva_top.monitor.task.timeline import Span as Row
from inductiva_top.server.knobs import METRICS_INTERVAL
from inductiva_top.ui.widgets.header import HISTORY_CELLS, history_text
from inductiva_top.ui.widgets.timeline import PREDICTED, predicted_end, render_timeline
from inductiva_top.ui.widgets.usage import UsageLine, usage_text

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)


def _running(total: float) -> Timeline:
    rows = (
        Row("In Queue", 0, 10, kind=StatusKind.WAITING),
        Row("Running", 10, total, kind=StatusKind.RUNNING, open=True),
    )
    return Timeline(rows, NOW, total, live=True, outcome=Outcome("Running", StatusKind.RUNNING))


def test_the_running_state_runs_on_dashed_to_its_predicted_end() -> None:
    timeline = _running(100)
    estimate = FinishEstimate(NOW, Span(50, 100), Source.HISTORY, Phase.COMPUTE, None, None)
    predicted = predicted_end(timeline, estimate, NOW)
    assert predicted == 200  # the far end of the range
    text = render_timeline(timeline, 80, ends="in 1-2 min (from ...)", predicted=predicted)
    lines = text.plain.splitlines()
    assert lines[1].strip() == "ends in 1-2 min (from ...)"
    running = next(line for line in lines if "Running" in line and "█" in line)
    bar, dashes = running.count("█"), running.count(PREDICTED)
    # Half the axis so far, half still to come.
    assert dashes > 0 and abs(bar - dashes) <= 2
    assert PREDICTED not in render_timeline(timeline, 80).plain


def test_no_dashes_without_an_estimate_or_once_finished() -> None:
    assert predicted_end(_running(100), None, NOW) is None
    ended = Timeline(_running(100).rows, NOW, 100, live=False)
    estimate = FinishEstimate(NOW, Span(5, 10), Source.PROGRESS, Phase.COMPUTE, None, None)
    assert predicted_end(ended, estimate, NOW) is None


def test_the_resources_line_has_both_sparklines_and_the_outputs_age() -> None:
    series = MetricsSeries()
    series.feed("time,command,cpu-usage,memory,disk-input,disk-output\r\n")
    for second, cpu in enumerate((10, 50, 100)):
        stamp = (NOW + timedelta(seconds=second)).isoformat()
        series.feed(f"{stamp},solver,{cpu},20,0,0\r\n")
    text = usage_text(series, output_age=185, width=80).plain
    assert text.startswith("CPU ")
    assert "▁▄█ 100%" in text and "▂▂▂ 20%" in text
    assert text.endswith("last output 3m ago")
    assert "last output" not in usage_text(series, output_age=None, width=80).plain


def test_the_outputs_age_changes_in_steps_not_every_second() -> None:
    # The table's ages and the line's are told by one rule (fmt.age).
    assert [fmt.age(s) for s in (3, 39, 61, 119, 3599, 3900)] == [
        "just now",
        "30s ago",
        "1m ago",
        "1m ago",
        "59m ago",
        "1h ago",
    ]
    series = MetricsSeries()
    assert usage_text(series, output_age=7, width=80).plain.endswith("last output just now")


def test_the_headers_history_names_its_three_lines() -> None:
    history = HeaderHistory(NOW, resolution=10)
    for step, (running, waiting, finished) in enumerate(((1, 4, 0), (2, 3, 1), (3, 1, 4))):
        history.record_counts(NOW + timedelta(seconds=10 * step), running, waiting, finished)
    text = history_text(history.sparks(HISTORY_CELLS)).plain
    assert text.startswith("▶") and " ◷" in text and " ✔" in text and text.endswith("/m")
    assert len(text) == 3 * (1 + HISTORY_CELLS) + 2 + 2


def test_a_narrow_pane_gets_the_resources_line_by_parts() -> None:
    series = MetricsSeries()
    series.feed(f"{NOW.isoformat()},solver,50,20,0,0\r\n")
    lines = usage_text(series, output_age=185, width=26).plain.splitlines()
    assert [line.split()[0] for line in lines] == ["CPU", "MEM", "last"]
    assert all(len(line) <= 26 for line in lines)


async def test_the_output_time_is_read_as_often_as_its_writer_rewrites_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """output_update.csv is rewritten every other metrics row (10 s locally): reading it
    each 3 s listing poll found the same line two times in three (issue 16 busy CPU)."""
    asked: list[str] = []
    waits: list[float] = []

    class Ops:
        async def tail(self, task_id: str, filename: str, lines: int) -> list[str]:
            asked.append(filename)
            return []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 3:
            raise asyncio.CancelledError

    monkeypatch.setattr("inductiva_top.ui.widgets.usage.asyncio.sleep", sleep)
    live = HttpLiveTask(cast(LocalOps, Ops()), "t1")
    with pytest.raises(asyncio.CancelledError):
        await UsageLine(None, None, fmt.Formatter())._outputs(live)
    assert asked == [OUTPUT_UPDATE_PATH] * 3
    assert waits == [2 * METRICS_INTERVAL] * 3
    assert HttpLiveTask.output_update_seconds > HttpLiveTask.poll_seconds
