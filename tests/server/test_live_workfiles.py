"""Unit tests of the work-dir helpers behind the live routes."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inductiva_top.server.live import workfiles
from inductiva_top.server.live.workfiles import list_tree, read_from, split_complete, tail_lines

LINES = st.lists(st.text(alphabet="ab \u00e9\u4e2d", max_size=30), max_size=40)


@settings(max_examples=100, deadline=None)
@given(lines=LINES, newline_at_end=st.booleans(), count=st.integers(0, 50))
def test_tail_matches_a_naive_tail(
    tmp_path_factory: pytest.TempPathFactory, lines: list[str], newline_at_end: bool, count: int
) -> None:
    text = "\n".join(lines) + ("\n" if newline_at_end and lines else "")
    path = tmp_path_factory.mktemp("tail") / "f.txt"
    path.write_bytes(text.encode())
    naive = text.split("\n")
    if text.endswith("\n"):
        naive = naive[:-1]
    if not text:
        naive = []
    found, end = tail_lines(path, count)
    assert found == (naive[-count:] if count else [])
    assert end == len(text.encode())

    complete, resume = tail_lines(path, count, complete_only=True)
    whole = text.encode()[:resume]
    assert whole == b"" or whole.endswith(b"\n")
    assert b"\n" not in text.encode()[resume:]
    expected = whole.decode().split("\n")[:-1]
    assert complete == (expected[-count:] if count else [])


def test_tail_reads_backwards_across_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workfiles, "TAIL_BLOCK_BYTES", 7)
    path = tmp_path / "f.txt"
    path.write_text("".join(f"line number {i}\n" for i in range(30)))
    assert tail_lines(path, 4)[0] == [f"line number {i}" for i in range(26, 30)]


def test_read_from_starts_over_after_truncation(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(b"0123456789")
    assert read_from(path, 4, 3) == (b"456", 10)
    path.write_bytes(b"ab")
    assert read_from(path, 7, 100) == (b"ab", 2)


def test_split_complete_keeps_the_unfinished_rest() -> None:
    assert split_complete(b"a\nb\r\nc") == (["a", "b"], b"c")
    assert split_complete(b"no newline") == ([], b"no newline")
    assert split_complete(b"\xff\n") == (["\ufffd"], b"")


def test_list_tree_does_not_follow_links_and_respects_its_budget(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "f").write_text("x")
    (tmp_path / "loop").symlink_to(tmp_path, target_is_directory=True)
    assert list_tree(tmp_path) == [{"d": ["f"]}, "loop"]
    assert list_tree(tmp_path, max_entries=1) == [{"d": []}]


def test_tail_of_a_file_without_newlines_reads_a_bounded_amount(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workfiles, "MAX_TAIL_BYTES", 1000)
    monkeypatch.setattr(workfiles, "TAIL_BLOCK_BYTES", 100)
    path = tmp_path / "progress.bin"
    path.write_bytes(b"x" * 100_000)
    lines, end = tail_lines(path, 5)
    assert end == 100_000
    assert len(lines) == 1 and 1000 <= len(lines[0]) < 1100
