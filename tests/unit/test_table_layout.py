"""How the table shares the terminal's width: natural widths, short ids, whole status words."""

from __future__ import annotations

from rich.text import Text

from inductiva_top.monitor.statuses import KNOWN_STATUSES, SHORT_LABEL_MAX, short_label
from inductiva_top.ui.columns import (
    COLUMNS,
    SHORT_ID_MIN,
    fit_widths,
    natural_width,
    short_id_length,
    status_text,
)
from inductiva_top.ui.widgets.task_table import _cut

ID, STATUS, PROJECT, MACHINE, RUN = (
    COLUMNS[key] for key in ("id", "status", "project", "machine", "run")
)
ROW = [ID, STATUS, PROJECT, MACHINE, RUN]


def test_short_ids_are_unique_prefixes_like_git() -> None:
    assert short_id_length([]) == SHORT_ID_MIN
    assert short_id_length(["abcdefgh1", "zzzzzzzz2"]) == SHORT_ID_MIN
    ids = ["abcdefgh1", "abcdefgh2", "abcdexxx3"]
    length = short_id_length(ids)
    assert length == 9
    assert len({task_id[:length] for task_id in ids}) == len(ids)


def test_a_project_grows_to_its_longest_name_within_its_bounds() -> None:
    assert natural_width(PROJECT, [4, 30]) == 30
    assert natural_width(PROJECT, [3]) == PROJECT.width
    assert natural_width(PROJECT, [500]) == PROJECT.most
    assert natural_width(RUN, [50]) == RUN.width  # fixed width


def test_wide_terminals_show_every_cell_whole() -> None:
    """At 200 columns nothing is cut: PROJECT once stopped at 11 characters there."""
    natural = [25, STATUS.width, 36, 20, RUN.width]
    assert fit_widths(ROW, natural, room=198, short_id=7) == natural


def test_narrow_terminals_shorten_the_id_first_then_share_the_cut() -> None:
    natural = [25, STATUS.width, 36, 20, RUN.width]
    full = sum(width + 1 for width in natural)
    # 18 cells short: the id alone gives them.
    assert fit_widths(ROW, natural, room=full - 18, short_id=7) == [7, 17, 36, 20, RUN.width]
    # More: project and machine give in proportion to what they have above their minimum.
    widths = fit_widths(ROW, natural, room=full - 30, short_id=7)
    assert widths[:2] == [7, STATUS.width] and widths[4] == RUN.width
    assert sum(width + 1 for width in widths) == full - 30
    assert widths[2] > PROJECT.width and widths[3] > MACHINE.width
    # Just fits at their narrowest.
    narrowest = [7, STATUS.width, PROJECT.width, MACHINE.width, RUN.width]
    room = sum(width + 1 for width in narrowest)
    assert fit_widths(ROW, natural, room=room, short_id=7) == narrowest
    # One short of that: the first four fill the room, shrunk alike, and RUN scrolls
    # sideways whole; no column ends half shown at the edge.
    widths = fit_widths(ROW, natural, room=room - 1, short_id=7)
    assert widths[:2] == [7, STATUS.width] and widths[4] == RUN.width
    assert sum(width + 1 for width in widths[:4]) == room - 1
    assert widths[2] > PROJECT.width and widths[3] > MACHINE.width


def test_status_words_are_never_cut() -> None:
    """The table shows short labels; the status column holds the longest whole."""
    for code in KNOWN_STATUSES:
        assert len(short_label(code)) <= SHORT_LABEL_MAX
        cell = _cut(status_text(code, None), STATUS.width, STATUS)
        assert cell.plain.rstrip().endswith(short_label(code))
    ttl = _cut(status_text("executer-terminated-ttl-exceeded", "Time to Live Exceeded"), 17, STATUS)
    assert ttl.plain.rstrip() == "✘ TTL Exceeded"
    # A status this client does not know keeps the server's words, cut between them.
    unknown = _cut(status_text("brand-new", "Waiting for the Moon to Rise"), 17, STATUS)
    assert unknown.plain.rstrip() == "? Waiting for…"


def test_a_squeezed_id_is_a_bare_prefix() -> None:
    assert _cut(Text("abcdefghijklmnop"), 7, ID).plain == "abcdefg"


def test_the_name_is_never_cut_to_make_room() -> None:
    """At 120 columns the sweep's names read 'plate-a0.30-n…': four runs, one name."""
    name = COLUMNS["name"]
    row = [ID, name, PROJECT, MACHINE]
    natural = [25, 16, 20, 20]
    full = sum(width + 1 for width in natural)
    widths = fit_widths(row, natural, room=full - 30, short_id=7)
    assert widths[1] == 16  # whole, while the others shrank
    assert widths[2] < 20 and widths[3] < 20
    narrowest = [7, 16, PROJECT.width, MACHINE.width]
    room = sum(w + 1 for w in narrowest) - 1
    # One short: nothing is cut, the project fits whole and the machine scrolls sideways.
    assert fit_widths(row, natural, room=room, short_id=7) == [7, 16, 20, 20]


def test_at_80_columns_the_leading_columns_are_shown_whole() -> None:
    """The demo at 80x24 showed SUBMITTED as 'SUBMITTE' and '6h ag' at the edge."""
    keys = ["id", "name", "status", "simulator", "project", "submitted", "run", "cost"]
    row = [COLUMNS[key] for key in keys]
    natural = [6, 11, 17, 12, 18, 9, 11, 7]
    widths = fit_widths(row, natural, room=76, short_id=6)
    assert sum(width + 1 for width in widths[:6]) == 76  # through SUBMITTED, whole
    assert widths[5:] == [9, 11, 7]
    assert widths[3] < 12 and widths[4] < 18  # simulator and project gave the room
    # Nothing leads that cannot be shown: the first column alone wider than the room.
    assert fit_widths(row[:1], [30], room=4, short_id=30) == [30]


def test_estimate_columns_have_fixed_widths_that_hold_their_words() -> None:
    """Their words change with the clock, not with the task, whose cells are measured once."""
    for key, longest in (("starts", "in 10-15 min"), ("ends", "10-15 min 100%")):
        column = COLUMNS[key]
        assert natural_width(column, [3]) == natural_width(column, [40]) == column.width
        assert len(longest) <= column.width
