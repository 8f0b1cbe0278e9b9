"""Hostile names, metadata, file names and output, fuzzed through the sanitizer and the widgets.

Hypothesis generates strings rich in escape sequences, C0/C1 controls, bidi
overrides, line breaks, surrogates and wide characters. They go through the
sanitizer on their own, and through the real widgets: a task table row and a
tail line are rendered to strips, and no segment may carry a control
character or a bidi control that would reach the terminal.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.segment import Segment
from textual.app import App, ComposeResult

from inductiva_top.api.models import Task, TaskPage
from inductiva_top.monitor.output.tailbuffer import TailBuffer
from inductiva_top.monitor.rows.window import RowWindow
from inductiva_top.monitor.sanitize import sanitize_line, sanitize_name
from inductiva_top.ui.columns import COLUMNS, RowContext, render_cell
from inductiva_top.ui.widgets.tailview import TailView
from inductiva_top.ui.widgets.task_table import TableData, TaskTable
from tests.tally import Tally

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
# What must never reach the terminal: C0 (tab and newline included: the
# widgets lay text out themselves), DEL, C1, bidi controls, lone surrogates.
FORBIDDEN = re.compile(f"[\x00-\x1f\x7f-\x9f{BIDI}\ud800-\udfff]")

PIECES = [
    "\x1b[31m", "\x1b[2J", "\x1b]0;pwned\x07", "\x1b]8;;http://x\x1b\\", "\x1bP+q\x1b\\",
    "\x9b1;31m", "\x9d0;t\x9c", "\x1b[?1049h", "\x1bc", "\x1b", "\x9b", "\r", "\n", "\b",
    "\t", "\x00", "\x7f", "\x85", "\u2028", "\u202e", "\u2066", "\u200f", "\ud800",
    "\u200d", "\ufeff", "界", "🙂", "e\u0301", "\x1b[K", "\x1b[1A",
]  # fmt: skip
HOSTILE = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=12)), max_size=24).map(
    "".join
)
NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _bad(segments: list[Segment]) -> list[str]:
    return [s.text for s in segments if FORBIDDEN.search(s.text)]


class Widgets(App[None]):
    """A task table with every column above a tail view."""

    def compose(self) -> ComposeResult:
        yield TaskTable(list(COLUMNS.values()), render_cell, id="table")
        yield TailView(TailBuffer(max_lines=50), id="tail")


def test_the_sanitizer_leaves_no_control_or_bidi(tally: Tally) -> None:
    tried = 0

    @FUZZ
    @given(text=HOSTILE, as_bytes=st.booleans())
    def check(text: str, as_bytes: bool) -> None:
        nonlocal tried
        tried += 1
        raw: str | bytes = text.encode("utf-8", "surrogatepass") if as_bytes else text
        for clean in (sanitize_line(raw), sanitize_name(raw)):
            assert not FORBIDDEN.search(clean), repr(clean)

    try:
        check()
    finally:
        tally.inputs(tried, failures=0 if tried else 1)


async def test_table_rows_and_tail_lines_carry_no_control_or_bidi(tally: Tally) -> None:
    app = Widgets()
    tried = failures = 0
    async with app.run_test(size=(200, 20)) as pilot:
        table = app.query_one(TaskTable)
        tail = app.query_one(TailView)
        # The strips checked below really are the row and the line.
        plain = RowWindow()
        plain.store(
            plain.query,
            1,
            TaskPage(tasks=[Task(task_id="plain-id", status="success")], total_size=1),
        )
        table.show(TableData(plain, lambda t: RowContext(NOW, t.status, t.status_alias)))
        tail.apply(tail.buffer.feed("plain line\n"))
        assert "plain-id" in "".join(s.text for s in table.render_line(1))
        assert "plain line" in "".join(s.text for s in tail.render_line(0))

        @FUZZ
        @given(
            task_id=HOSTILE,
            status=st.one_of(HOSTILE, st.sampled_from(["success", "computation-started"])),
            alias=st.one_of(st.none(), HOSTILE),
            simulator=HOSTILE,
            project=HOSTILE,
            machine=HOSTILE,
            metadata=st.dictionaries(HOSTILE, HOSTILE, max_size=3),
            output=HOSTILE,
        )
        def check(
            task_id: str,
            status: str,
            alias: str | None,
            simulator: str,
            project: str,
            machine: str,
            metadata: dict[str, str],
            output: str,
        ) -> None:
            nonlocal tried, failures
            tried += 1
            task = Task(
                task_id=task_id,
                status=status,
                status_alias=alias,
                simulator=simulator,
                project=project,
                machine_group_name=machine,
                task_metadata=metadata,
            )
            window = RowWindow()
            window.store(window.query, 1, TaskPage(tasks=[task], total_size=1))
            table.show(TableData(window, lambda t: RowContext(NOW, t.status, t.status_alias)))
            tail.reset()
            tail.apply(tail.buffer.feed(output + "\n" + output))
            strips = [table.render_line(y) for y in (0, 1)]
            strips += [tail.render_line(y) for y in range(min(len(tail.lines), 8))]
            bad = [text for strip in strips for text in _bad(list(strip))]
            if bad:
                failures += 1
            assert not bad, bad

        try:
            check()
        finally:
            tally.inputs(tried, failures)
        await pilot.pause()
