"""The tail buffer: partial lines, progress bars, two streams, bounds, batches, search."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inductiva_top.monitor.output.tailbuffer import (
    SearchError,
    SearchQuery,
    TailBuffer,
    TailLine,
    TailMatch,
    TailUpdate,
)
from inductiva_top.monitor.sanitize import sanitize_line


def texts(buffer: TailBuffer) -> list[str]:
    return [line.text for line in buffer.lines()]


def test_complete_lines_and_an_open_line() -> None:
    buffer = TailBuffer()
    update = buffer.feed(b"hello\nwor")
    assert [line.text for line in update.added] == ["hello"]
    assert update.added[0].seq == 0 and update.added[0].complete
    assert update.open_lines == (TailLine(-1, "wor", None, False, complete=False),)
    assert update.open_changed and update.changed

    update = buffer.feed(b"ld\n")
    assert [(line.seq, line.text) for line in update.added] == [(1, "world")]
    assert update.open_lines == () and update.open_changed
    assert texts(buffer) == ["hello", "world"]


def test_progress_bar_updates_the_open_line_in_place() -> None:
    buffer = TailBuffer()
    for percent in (10, 20, 30):
        update = buffer.feed(f"\rprogress {percent:3d}%")
        assert update.added == ()
        assert update.open_lines[0].text == f"progress {percent:3d}%"
    update = buffer.feed("\r\n")
    assert [line.text for line in update.added] == ["progress  30%"]
    assert len(buffer) == 1


def test_progress_bar_split_mid_escape_and_mid_return() -> None:
    buffer = TailBuffer()
    buffer.feed("downloading 100% of a long name\r\x1b[")
    buffer.feed("2Kdone")
    assert texts(buffer) == ["done"]
    buffer.feed("\r")
    buffer.feed("\n")
    assert texts(buffer) == ["done"]
    assert buffer[0].complete


def test_whole_lines_replace_the_line_being_written() -> None:
    """A follow stream sends the line being written in pieces, then the line whole."""
    buffer = TailBuffer()
    buffer.feed_lines(["started"], "stdout")
    update = buffer.feed_lines([], "stdout", "progress 10%")
    assert update.open_changed and not update.added
    assert texts(buffer) == ["started", "progress 10%"]
    buffer.feed_lines([], "stdout", "\rprogress 50%")
    assert texts(buffer) == ["started", "progress 50%"]
    assert not buffer.lines()[-1].complete
    # The line comes whole (as the pieces built it), and a new one starts.
    update = buffer.feed_lines(["progress 10%\rprogress 50%\rprogress 100%"], "stdout", "next")
    assert [line.text for line in update.added] == ["progress 100%"]
    assert texts(buffer) == ["started", "progress 100%", "next"]
    assert [line.complete for line in buffer.lines()] == [True, True, False]
    # A stream's pieces never touch the other stream's line being written.
    buffer.feed_lines([], "stderr", "warn")
    buffer.feed_lines(["next!"], "stdout")
    assert texts(buffer) == ["started", "progress 100%", "next!", "warn"]


def test_utf8_split_across_chunks_decodes_whole() -> None:
    buffer = TailBuffer()
    buffer.feed(b"caf\xc3")
    buffer.feed(b"\xa9\n")
    assert texts(buffer) == ["café"]


def test_flush_completes_the_open_line_and_a_partial_character() -> None:
    buffer = TailBuffer()
    buffer.feed(b"last \xe2\x82")
    update = buffer.flush()
    assert [line.text for line in update.added] == ["last \ufffd"]
    assert buffer.open_lines == ()
    assert buffer.flush().changed is False


def test_every_line_is_sanitized() -> None:
    buffer = TailBuffer()
    buffer.feed("\x1b]52;c;aGk=\x07\x1b[2J[bold]x[/]\u202e\n")
    assert texts(buffer) == ["[bold]x[/]"]


def test_two_streams_merge_in_arrival_order_with_their_own_open_lines() -> None:
    buffer = TailBuffer()
    buffer.feed("out partial", "stdout")
    buffer.feed("err 1\nerr partial", "stderr")
    buffer.feed(" done\n", "stdout")
    assert [(line.seq, line.stream, line.text) for line in buffer] == [
        (0, "stderr", "err 1"),
        (1, "stdout", "out partial done"),
    ]
    assert [(line.stream, line.text) for line in buffer.open_lines] == [("stderr", "err partial")]


def test_open_lines_list_stdout_before_stderr() -> None:
    buffer = TailBuffer()
    buffer.feed("e", "stderr")
    buffer.feed("o", "stdout")
    assert [line.stream for line in buffer.open_lines] == ["stdout", "stderr"]


def test_buffer_drops_the_oldest_and_counts_them() -> None:
    buffer = TailBuffer(max_lines=3)
    buffer.feed("a\nb\n")
    update = buffer.feed("c\nd\ne\n")
    assert texts(buffer) == ["c", "d", "e"]
    assert [line.text for line in update.added] == ["c", "d", "e"]
    assert update.dropped == 2
    assert buffer.dropped_total == 2
    assert buffer.first_seq == 2 and buffer.next_seq == 5


def test_one_feed_larger_than_the_buffer() -> None:
    buffer = TailBuffer(max_lines=3)
    buffer.feed("old\n")
    update = buffer.feed("".join(f"{i}\n" for i in range(10)))
    assert [line.text for line in update.added] == ["7", "8", "9"]
    assert update.dropped == 1
    assert buffer.dropped_total == 8


@settings(max_examples=200)
@given(
    st.lists(
        st.tuples(
            st.text(alphabet="ab\n\r\x1b[K", max_size=12),
            st.sampled_from(["stdout", "stderr"]),
        ),
        max_size=30,
    )
)
def test_a_mirror_applying_updates_matches_the_buffer(
    chunks: list[tuple[str, str]],
) -> None:
    buffer = TailBuffer(max_lines=5, max_line_len=8)
    mirror: list[TailLine] = []
    open_lines: tuple[TailLine, ...] = ()
    last_version = 0
    for chunk, stream in chunks:
        update = buffer.feed(chunk, stream)  # type: ignore[arg-type]
        assert update.version >= last_version
        if update.changed:
            assert update.version > last_version
        last_version = update.version
        del mirror[: update.dropped]
        mirror.extend(update.added)
        open_lines = update.open_lines
    assert mirror == list(buffer)
    assert open_lines == buffer.open_lines
    assert [line.seq for line in mirror] == list(range(buffer.first_seq, buffer.next_seq))


@settings(max_examples=200)
@given(st.text(max_size=200), st.integers(min_value=1, max_value=7))
def test_chunking_does_not_change_the_lines(text: str, step: int) -> None:
    whole = TailBuffer(max_line_len=50)
    whole.feed(text)
    whole.flush()
    pieces = TailBuffer(max_line_len=50)
    for start in range(0, len(text), step):
        pieces.feed(text[start : start + step])
    pieces.flush()
    assert texts(pieces) == texts(whole)


def test_lines_split_on_newline_match_sanitize_line() -> None:
    text = "a\x1b[1mb\tc\r\nfoo\rbar baz\n"
    buffer = TailBuffer()
    buffer.feed(text)
    assert texts(buffer) == [sanitize_line("a\x1b[1mb\tc\r"), sanitize_line("foo\rbar baz")]


def test_long_lines_are_cut_and_marked() -> None:
    buffer = TailBuffer(max_line_len=50)
    buffer.feed("x" * 200 + "\n")
    line = buffer[0]
    assert line.cut and len(line.text) <= 50
    assert line.text.endswith("chars]")


def test_an_endless_line_stays_bounded_in_memory() -> None:
    buffer = TailBuffer(max_line_len=100)
    for _ in range(300):
        update = buffer.feed("y" * 10_000)
    (open_line,) = update.open_lines
    assert open_line.cut and len(open_line.text) <= 100
    assert "[cut " in open_line.text
    state = buffer._streams[None]
    assert len(state.raw) + len(state.base) <= 2 * buffer._raw_limit
    buffer.feed("\n")
    assert buffer[0].cut and len(buffer[0].text) <= 100


def test_an_endless_progress_bar_stays_bounded() -> None:
    buffer = TailBuffer(max_line_len=100)
    for i in range(20_000):
        buffer.feed(f"\r{i:6d}")
    assert buffer.open_lines[0].text == " 19999"
    state = buffer._streams[None]
    assert len(state.raw) < 10 and len(state.base) <= 100


def test_megabyte_chunk_without_newline() -> None:
    buffer = TailBuffer()
    update = buffer.feed(b"\x1b]52;c;" + b"A" * 1_000_000)
    # The payload never shows; what was discarded to bound memory is counted.
    (open_line,) = update.open_lines
    assert "A" not in open_line.text and "\x1b" not in open_line.text
    update = buffer.feed(b"z" * 1_000_000 + b"\n")
    assert update.added[0].cut


def test_unchanged_feed_keeps_the_version() -> None:
    buffer = TailBuffer()
    first = buffer.feed("abc")
    again = buffer.feed("")
    assert again.version == first.version and not again.changed
    assert again == TailUpdate(first.version, open_lines=first.open_lines)


def test_clear_forgets_lines_but_keeps_counting() -> None:
    buffer = TailBuffer()
    buffer.feed("a\nb\nopen")
    update = buffer.clear()
    assert update.dropped == 2 and update.open_changed
    assert buffer.lines() == []
    buffer.feed("c\n")
    assert buffer[0].seq == 2


def test_bad_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="max_lines"):
        TailBuffer(max_lines=0)
    with pytest.raises(ValueError, match="max_line_len"):
        TailBuffer(max_line_len=0)


# --- search ----------------------------------------------------------------------


def test_plain_search_is_literal_and_smart_case() -> None:
    buffer = TailBuffer()
    buffer.feed("Error: a.b\nerror again\nfine\npartial error")
    assert buffer.search("error") == [
        TailMatch(0, 0, 0, 5),
        TailMatch(1, 1, 0, 5),
        TailMatch(3, -1, 8, 13),
    ]
    assert buffer.search("Error") == [TailMatch(0, 0, 0, 5)]
    assert buffer.search("a.b") == [TailMatch(0, 0, 7, 10)]
    assert buffer.search("a.b", regex=True, ignore_case=False) == [TailMatch(0, 0, 7, 10)]
    assert buffer.search("") == []


def test_regex_search_and_empty_matches_skipped() -> None:
    buffer = TailBuffer()
    buffer.feed("step 10 t=0.5\nstep 11 t=0.6\n")
    assert [(m.seq, m.start, m.end) for m in buffer.search(r"t=\d\.\d", regex=True)] == [
        (0, 8, 13),
        (1, 8, 13),
    ]
    assert buffer.search(r"x*", regex=True) == []


def test_invalid_regex_is_a_clear_search_error() -> None:
    with pytest.raises(SearchError, match=r"invalid regex '\(': missing \)"):
        SearchQuery.compile("(", regex=True)


@pytest.mark.parametrize("pattern", [r"(a+)+$", r"(\w*)*x", r"(\w+\s?)*$", r"(?:ab+){2,}"])
def test_nested_repetitions_are_refused(pattern: str) -> None:
    with pytest.raises(SearchError, match="nests repetitions"):
        SearchQuery.compile(pattern, regex=True)


def test_query_spans_for_highlighting() -> None:
    query = SearchQuery.compile("ab")
    assert query.spans("xxABxab") == [(2, 4), (5, 7)]
    assert SearchQuery.compile("").spans("anything") == []
