"""Counts the fault and abuse tests report, summed and printed at the end of the run.

A test asks for the ``tally`` fixture and calls ``tally.fault(survived)`` per
injected fault, ``tally.inputs(tried, failures)`` per fuzz run, and
``tally.timing(what, fault, seconds)`` for a measured time (how long the
dashboard took to show a fault, or to recover once it cleared). The counts
travel as the test report's ``user_properties`` so that they also reach the
controller under pytest-xdist; :func:`pytest_terminal_summary` prints the sums.
Hooks and fixture are imported into ``tests/conftest.py``.
"""

from __future__ import annotations

from collections import Counter

import pytest
from _pytest.terminal import TerminalReporter

_KEYS = ("faults_injected", "faults_survived", "inputs_tried", "input_failures")
_TIMING = "timing"
_TOTALS: Counter[str] = Counter()
_TIMINGS: dict[str, dict[str, float]] = {}


class Tally:
    """What one test records (added to its report when it finishes)."""

    def __init__(self, node: pytest.Item) -> None:
        self._node = node

    def _add(self, key: str, amount: int) -> None:
        self._node.user_properties.append((key, amount))

    def fault(self, *, survived: bool) -> None:
        """One injected fault, and whether the dashboard came through it."""
        self._add("faults_injected", 1)
        self._add("faults_survived", int(survived))

    def inputs(self, tried: int, failures: int = 0) -> None:
        """``tried`` generated inputs, ``failures`` of which broke a check."""
        self._add("inputs_tried", tried)
        self._add("input_failures", failures)

    def timing(self, what: str, fault: str, seconds: float) -> None:
        """A measured time, printed per ``what`` (e.g. "recovery") and fault; never asserted."""
        self._node.user_properties.append((_TIMING, (what, fault, round(seconds, 2))))


@pytest.fixture
def tally(request: pytest.FixtureRequest) -> Tally:
    """Record fault and fuzz counts for the end-of-run summary."""
    assert isinstance(request.node, pytest.Item)
    return Tally(request.node)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "call":
        return
    if "test_schemathesis" in report.nodeid:  # one report per API operation (subtests)
        _TOTALS["schemathesis_run"] += 1
        _TOTALS["schemathesis_failed"] += int(report.failed)
    for key, value in report.user_properties:
        if key in _KEYS and isinstance(value, int):
            _TOTALS[key] += value
        elif key == _TIMING and isinstance(value, (tuple, list)) and len(value) == 3:
            what, fault, seconds = value
            _TIMINGS.setdefault(str(what), {})[str(fault)] = float(seconds)


def pytest_terminal_summary(terminalreporter: TerminalReporter) -> None:
    if not any(_TOTALS.values()) and not _TIMINGS:
        return
    terminalreporter.write_sep("-", "fault and abuse counts")
    terminalreporter.write_line(
        f"faults injected {_TOTALS['faults_injected']}, survived {_TOTALS['faults_survived']}; "
        f"inputs tried {_TOTALS['inputs_tried']}, failures {_TOTALS['input_failures']}; "
        f"schemathesis reports {_TOTALS['schemathesis_run']} "
        f"(the test and its per-operation subtests), failed {_TOTALS['schemathesis_failed']}"
    )
    for what, times in sorted(_TIMINGS.items()):
        shown = ", ".join(f"{fault} {seconds:.2f}" for fault, seconds in times.items())
        terminalreporter.write_line(f"{what} (s): {shown}")
