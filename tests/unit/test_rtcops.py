"""The file-tracker message shapes: requests, and answers cut to fit a data-channel message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inductiva_top.server.live.rtcops import (
    MAX_MESSAGE_BYTES,
    BadRequest,
    _fitting_tree,
    fit_lines,
    newest_lines,
    parse_request,
    success,
)


def size(lines: list[str]) -> int:
    return len(json.dumps(success(lines)))


def test_a_request_as_the_official_client_sends_it() -> None:
    raw = json.dumps(
        {"type": "tail", "follow": True, "args": {"filename": "stdout.txt", "lines": 10}}
    )
    request = parse_request(raw)
    assert (request.type, request.follow) == ("tail", True)
    assert request.args == {"filename": "stdout.txt", "lines": 10}
    assert parse_request(b'{"type": "ls"}').args == {}


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("not json", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        ("[1, 2]", "JSON object"),
        ('{"type": "rm"}', "unknown request type"),
        ('{"type": "ls", "follow": "yes"}', "must be a boolean"),
        ('{"type": "ls", "args": [1]}', "must be a boolean and 'args' an object"),
    ],
)
def test_a_bad_request_says_why(raw: str | bytes, reason: str) -> None:
    with pytest.raises(BadRequest, match=reason):
        parse_request(raw)


def test_small_batches_stay_whole() -> None:
    assert fit_lines(["a", "b"]) == [["a", "b"]]
    assert fit_lines([]) == [[]]


def test_many_lines_are_split_in_order_and_every_message_fits() -> None:
    lines = [f"line {i} " + "x" * 100 for i in range(5000)]
    batches = fit_lines(lines)
    assert len(batches) > 1
    assert [line for batch in batches for line in batch] == lines
    assert all(size(batch) <= MAX_MESSAGE_BYTES for batch in batches)


def test_a_line_longer_than_a_message_is_cut_into_pieces() -> None:
    # Control characters cost six bytes each in JSON: the worst case.
    long_line = "\x01" * (MAX_MESSAGE_BYTES * 2) + "end"
    batches = fit_lines(["before", long_line, "after"])
    pieces = [piece for batch in batches for piece in batch]
    assert pieces[0] == "before" and pieces[-1] == "after"
    assert "".join(pieces[1:-1]) == long_line
    assert all(size(batch) <= MAX_MESSAGE_BYTES for batch in batches)


def test_a_one_shot_tail_keeps_the_newest_lines_that_fit() -> None:
    lines = [f"{i:06d}" + "y" * 200 for i in range(2000)]
    kept = newest_lines(lines)
    assert kept == lines[-len(kept) :]
    assert 0 < len(kept) < len(lines)
    assert size(kept) <= MAX_MESSAGE_BYTES
    assert newest_lines([]) == []


def test_a_listing_too_large_for_one_message_keeps_its_first_entries(tmp_path: Path) -> None:
    (tmp_path / "a-small").mkdir()
    (tmp_path / "a-small" / "one.txt").write_text("1")
    big = tmp_path / "b-many"
    big.mkdir()
    for i in range(6000):
        (big / f"file-{i:05d}.dat").touch()
    tree = _fitting_tree(tmp_path)
    assert len(json.dumps(success(tree))) <= MAX_MESSAGE_BYTES
    assert tree[0] == {"a-small": ["one.txt"]}
    listed = tree[1]
    assert isinstance(listed, dict)
    assert 0 < len(listed["b-many"]) < 6000
    assert listed["b-many"][0] == "file-00000.dat"
