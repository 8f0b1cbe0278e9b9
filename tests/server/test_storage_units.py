"""Unit tests of range parsing, path checks and zip member ranges."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from inductiva_top.server.files.paths import (
    UnsafePath,
    check_task_id,
    normalize_relative,
    resolve_inside,
)
from inductiva_top.server.files.serving import ByteRange, Unsatisfiable, parse_range
from inductiva_top.server.files.zipinfo import folder_prefix, list_members, member_range


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-0", ByteRange(0, 0)),
        ("bytes=2-5", ByteRange(2, 5)),
        ("bytes=8-", ByteRange(8, 9)),
        ("bytes=-3", ByteRange(7, 9)),
        ("bytes=-30", ByteRange(0, 9)),
        ("bytes=4-400", ByteRange(4, 9)),
        (" bytes = 1 - 2 ", ByteRange(1, 2)),
        ("bytes=5-2", None),
        ("bytes=-", None),
        ("bytes=0-1,3-4", None),
        ("items=0-1", None),
        ("nonsense", None),
    ],
)
def test_parse_range(header: str, expected: ByteRange | None) -> None:
    assert parse_range(header, 10) == expected


@pytest.mark.parametrize(("header", "size"), [("bytes=10-", 10), ("bytes=-0", 10), ("bytes=0-", 0)])
def test_unsatisfiable_ranges(header: str, size: int) -> None:
    with pytest.raises(Unsatisfiable):
        parse_range(header, size)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", ""),
        ("/", ""),
        ("/t1/input.zip", "t1/input.zip"),
        ("t1/", "t1"),
        ("a b/c.d", "a b/c.d"),
        ("t1/bad\\xff.txt", "t1/bad\\xff.txt"),
        ("t1/\\xc3\\xa9", "t1/\u00e9"),  # escaped UTF-8 is the text it spells
        ("back\\\\slash", "back\\\\slash"),
    ],
)
def test_normalize_accepts(raw: str, expected: str) -> None:
    assert normalize_relative(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        *["..", "a/../b", "./a", "a//b", "a\\b", "a\x00", "a\nb", "x" * 2000, "a/./b", "n" * 256],
        *["a\\x2fb", "a\\x00", "a\\", "\\x2e\\x2e", "\ud800", "a\\xzz"],  # escapes
    ],
)
def test_normalize_refuses(raw: str) -> None:
    with pytest.raises(UnsafePath):
        normalize_relative(raw)


def test_task_ids() -> None:
    assert check_task_id("abc_DEF-123") == "abc_DEF-123"
    for bad in ("", "-a", "a/b", "..", "a" * 200, "a.b"):
        with pytest.raises(UnsafePath):
            check_task_id(bad)


def test_resolve_inside_refuses_a_link_anywhere_on_the_way(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "real").mkdir(parents=True)
    (root / "hop").symlink_to(root / "real")
    assert resolve_inside(root, "real/missing/deeper") == root.resolve() / "real/missing/deeper"
    with pytest.raises(UnsafePath) as refused:
        resolve_inside(root, "hop/file")
    assert refused.value.status_code == 403


def test_folder_prefix() -> None:
    assert folder_prefix("") == "" and folder_prefix("/") == ""
    assert folder_prefix("artifacts") == "artifacts/" == folder_prefix("/artifacts/")


def test_ranges_with_zip64_extras_and_long_names(tmp_path: Path) -> None:
    path = tmp_path / "a.zip"
    content = b"z" * 1000
    name = "artifacts/" + "n" * 300 + ".txt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("artifacts/first.txt", b"first", compress_type=zipfile.ZIP_STORED)
        with archive.open(zipfile.ZipInfo(name), "w", force_zip64=True) as member:
            member.write(content)
    found = member_range(path, "artifacts/", name.removeprefix("artifacts/"))
    data = path.read_bytes()[found.range_start : found.range_end + 1]
    assert data == content  # ZipInfo defaults to stored
    listing = list_members(path, "artifacts", recursive=False)
    assert [m.name for m in listing.contents] == ["first.txt", name.removeprefix("artifacts/")]


def test_empty_member_has_an_empty_range(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("e", b"")
    (tmp_path / "e.zip").write_bytes(buffer.getvalue())
    found = member_range(tmp_path / "e.zip", "", "e")
    assert found.range_end == found.range_start - 1
