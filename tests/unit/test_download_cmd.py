"""The headless download command's progress line and arguments."""

from __future__ import annotations

import io

import pytest

from inductiva_top.cli import build_parser, main
from inductiva_top.cli.download import ProgressPrinter, format_progress
from inductiva_top.transfer.progress import Progress, ProgressMeter


def test_a_progress_line_has_bytes_percent_rate_and_eta() -> None:
    line = format_progress(Progress(3 << 20, 12 << 20, 1 << 20, 9.0, "download", "output.zip"))
    assert line == "download  output.zip  3.0 MiB / 12.0 MiB  25%  1.0 MiB/s  ETA 9s"
    unknown = format_progress(Progress(512, None, None, None, "fetch"))
    assert unknown == "fetch  512 B  -  ETA -"
    done = format_progress(Progress(10, 10, 5.0, 0.0, "extract", "outputs", finished=True))
    assert done == "extract  outputs  10 B / 10 B  100%  done"


def test_off_a_terminal_progress_prints_one_line_per_phase_and_the_end() -> None:
    stream = io.StringIO()
    printer = ProgressPrinter(stream)
    for done in (0, 10, 20):
        printer.report(Progress(done, 20, None, None, "download", "output.zip"))
    printer.report(Progress(20, 20, None, None, "download", "output.zip", finished=True))
    assert stream.getvalue().splitlines() == [
        "download  output.zip  0 B / 20 B  0%  -  ETA -",
        "download  output.zip  20 B / 20 B  100%  done",
    ]


def test_the_meter_throttles_and_measures_the_recent_rate() -> None:
    now = [0.0]
    reports: list[Progress] = []
    meter = ProgressMeter(reports.append, total=1000, interval=1.0, clock=lambda: now[0])
    meter.restart(0, 1000)
    for _ in range(10):
        now[0] += 0.25
        meter.advance(50)
    meter.finish()
    assert [r.done for r in reports] == [0, 200, 400, 500]
    assert reports[-1].finished
    assert reports[2].rate == 200.0 and reports[2].eta == 3.0


def test_the_download_arguments_parse() -> None:
    args = build_parser().parse_args(
        ["download", "abc123", "--filenames", "stdout.txt", "vtk/", "--no-uncompress", "--inputs"]
    )
    assert args.task_id == "abc123"
    assert args.filenames == ["stdout.txt", "vtk/"]
    assert (args.uncompress, args.inputs, args.overwrite, args.keep_zip) == (
        False,
        True,
        False,
        False,
    )
    assert not hasattr(args, "output_dir") or args.output_dir is None
    later = build_parser().parse_args(["download", "abc123", "--output-dir", "/tmp/x"])
    assert later.output_dir == "/tmp/x"
    earlier = build_parser().parse_args(["--output-dir", "/tmp/y", "download", "abc123"])
    assert earlier.output_dir == "/tmp/y"


def test_a_task_id_that_is_not_one_folder_name_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for bad in ("../etc", "a/b", "..", ""):
        assert main(["download", bad]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "is not a valid task id" in err
