"""The task-runner's system_metrics.csv and output_update.csv, read as they grow; stalls."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import pytest

from inductiva_top.monitor.foresight.resources import (
    METRICS_HEADER,
    MetricsSeries,
    OutputUpdate,
    OutputUpdates,
    is_stalled,
    parse_time,
)
from tests.unit.foresight_tasks import NOW, at


def runner_rows(*rows: list[object]) -> str:
    """Rows as the runner writes them: Python's csv writer (\\r\\n, quoting, None as "")."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow(row)
    return out.getvalue()


def metrics_file(count: int = 3) -> str:
    rows: list[list[object]] = [list(METRICS_HEADER)]
    for i in range(count):
        command = None if i == 0 else 'mpirun -np 4 solver --in "a,b"'
        rows.append([at(30 * i).isoformat(), command, 12.5 * i, 40.0 + i, 1000 * i, 2000 * i])
    return runner_rows(*rows)


def test_the_runners_own_format_reads_back() -> None:
    series = MetricsSeries()
    assert series.feed(metrics_file()) == 3
    first, second = series.samples[0], series.samples[1]
    assert (first.time, first.command, first.cpu_percent) == (NOW, "", 0.0)
    assert second.command == 'mpirun -np 4 solver --in "a,b"'
    assert (second.memory_percent, second.disk_read_bytes, second.disk_written_bytes) == (
        41.0,
        1000.0,
        2000.0,
    )
    assert series.cpu() == [0.0, 12.5, 25.0]
    assert series.memory() == [40.0, 41.0, 42.0]
    assert series.malformed == 0


def test_chunks_split_anywhere_give_the_same_samples() -> None:
    text = metrics_file(5)
    whole = MetricsSeries()
    whole.feed(text)
    for size in (1, 7, 64):
        pieces = MetricsSeries()
        for start in range(0, len(text), size):
            pieces.feed(text[start : start + size])
        assert list(pieces.samples) == list(whole.samples)


def test_a_last_line_without_its_end_waits_for_flush() -> None:
    series = MetricsSeries()
    text = metrics_file(2).rstrip("\r\n")
    assert series.feed(text) == 1
    assert series.flush() == 1
    assert len(series.samples) == 2


def test_follow_batches_of_lines_mid_file_use_the_documented_order() -> None:
    series = MetricsSeries()
    lines = metrics_file(3).splitlines()[2:]  # no header: a follow's last lines
    assert series.feed_lines(lines) == 2
    assert series.latest is not None and series.latest.cpu_percent == 25.0


def test_a_header_in_another_order_is_followed() -> None:
    series = MetricsSeries()
    text = runner_rows(
        ["memory", "time", "cpu-usage", "extra"],
        [55.5, NOW.isoformat(), 9.0, "x"],
    )
    series.feed(text)
    sample = series.latest
    assert sample is not None
    assert (sample.memory_percent, sample.cpu_percent, sample.disk_read_bytes) == (55.5, 9.0, None)


def test_malformed_lines_are_counted_and_skipped() -> None:
    series = MetricsSeries()
    lines = [
        "time,command,cpu-usage,memory,disk-input,disk-output",
        "2026-03-02T12:00:00.1",  # cut in the middle of the time
        "not a row at all",
        "",
        '"unterminated,quote',
        "2026-03-02T12:00:30+00:00,cmd,nan,oops,1,2",
    ]
    assert series.feed_lines(lines) == 1
    assert series.malformed == 3
    sample = series.latest
    assert sample is not None and (sample.cpu_percent, sample.memory_percent) == (None, None)


def test_commands_are_sanitized() -> None:
    series = MetricsSeries()
    series.feed_lines([f"{NOW.isoformat()},\x1b]52;c;Zm9v\x07run\x1b[31m,1,2,3,4"])
    assert series.latest is not None and series.latest.command == "run"


def test_samples_are_bounded() -> None:
    series = MetricsSeries(limit=2)
    series.feed(metrics_file(5))
    assert [sample.time for sample in series.samples] == [at(90), at(120)]


def test_disk_rates_between_samples() -> None:
    series = MetricsSeries()
    series.feed(metrics_file(3))
    assert series.disk_rates() == [
        (pytest.approx(1000 / 30), pytest.approx(2000 / 30)),
        (pytest.approx(1000 / 30), pytest.approx(2000 / 30)),
    ]
    series.feed_lines([f"{at(120).isoformat()},c,1,1,5,5"])  # the machine restarted
    assert series.disk_rates()[-1] == (None, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-02T12:00:00+00:00", NOW),
        ("2026-03-02T12:00:00Z", NOW),
        ("2026-03-02T12:00:00", NOW),
        ("2026-03-02T13:00:00+01:00", NOW),
        ("2026-03-02T12:00:00.5Z", NOW + timedelta(milliseconds=500)),
        ("2026-03-02T12:00:00.123456789+00:00", NOW + timedelta(microseconds=123456)),
        ("yesterday", None),
        ("", None),
    ],
)
def test_times_in_every_iso_form(text: str, expected: datetime | None) -> None:
    assert parse_time(text) == expected


def test_output_updates_keep_the_newest_time() -> None:
    updates = OutputUpdates()
    path = "/mnt/disks/task-runner/abc/output/artifacts/vtk/step_10.vtu"
    assert updates.feed(runner_rows([at(-120).isoformat(), path])) is True
    assert updates.last == OutputUpdate(at(-120), path)
    assert updates.last.name == "vtk/step_10.vtu"
    # The runner rewrites the file: an older time read again is not news.
    assert updates.feed(runner_rows([at(-300).isoformat(), "/x/old.txt"])) is False
    assert updates.note(at(-60), "stdout.txt") is True
    assert updates.age(NOW) == 60
    assert OutputUpdate(NOW, "plain.txt").name == "plain.txt"


def test_output_updates_skip_what_does_not_parse() -> None:
    updates = OutputUpdates()
    assert updates.feed_lines(["garbage,here", "", f"{NOW.isoformat()}"]) is True
    assert updates.malformed == 1
    assert updates.last == OutputUpdate(NOW, "")
    assert OutputUpdates().age(NOW) is None


def test_stalled_after_the_configured_time_without_output() -> None:
    thirty_minutes = 30 * 60.0
    assert not is_stalled(at(-60), NOW, thirty_minutes)
    assert is_stalled(at(-thirty_minutes), NOW, thirty_minutes)
    # Silent since it started.
    assert is_stalled(None, NOW, thirty_minutes, since=at(-3600))
    assert not is_stalled(None, NOW, thirty_minutes)
    assert not is_stalled(at(-10_000), NOW, 0)


def test_times_are_utc() -> None:
    when = parse_time("2026-03-02T12:00:00")
    assert when is not None and when.tzinfo == timezone.utc
