"""Only the changed cells of a line are written: the table's spans and Textual's runs."""

from __future__ import annotations

from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual._compositor import ChopsUpdate
from textual.strip import Strip

from inductiva_top.ui.partial_updates import render_partial
from inductiva_top.ui.widgets.task_table import _changed_spans

PLAIN = Style(color="white")


def _console() -> Console:
    return Console(force_terminal=True, color_system="truecolor", width=40)


def test_a_span_in_the_middle_of_a_widget_writes_only_that_span() -> None:
    row = Strip([Segment("  abc123 Running   ", PLAIN), Segment("5s ago  9s ", PLAIN)])
    # One widget across the line (a chop from 0 to 30); cells 19-24 changed.
    update = ChopsUpdate([{0: row}], [(0, 19, 25)], [[30]])
    written = render_partial(update, _console())
    # The cursor goes to the span, not to the widget's left edge.
    assert written == "\x1b[1;20H\x1b[37m5s ago\x1b[0m"


def test_a_ticking_duration_is_a_few_cells_of_its_segment() -> None:
    before = (("  abc123 ", PLAIN), ("busy  5s ago   5s   - default", PLAIN))
    after = (("  abc123 ", PLAIN), ("busy  6s ago   6s   - default", PLAIN))
    assert _changed_spans(before, after) == [(15, 16), (24, 25)]
    assert _changed_spans(None, after) is None
    restyled = (("  abc123 ", Style(bold=True)), after[1])
    assert _changed_spans(after, restyled) == [(0, 9)]
