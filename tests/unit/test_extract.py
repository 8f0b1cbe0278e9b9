"""Safe extraction: crafted archives are refused and nothing is written outside the destination."""

from __future__ import annotations

import io
import os
import stat
import struct
import threading
import zipfile
from collections.abc import Iterable
from pathlib import Path

import pytest

from inductiva_top.transfer.errors import (
    ArchiveLimitExceeded,
    BadArchive,
    DestinationExists,
    InsufficientSpace,
    TransferError,
    UnsafeMember,
    UnsupportedCompression,
)
from inductiva_top.transfer.extract import Extracted, ExtractLimits, extract_zip, plan_extraction
from inductiva_top.transfer.safepath import member_relative_path
from inductiva_top.transfer.zipindex import load_index_sync


def build_zip(
    members: Iterable[tuple[str | zipfile.ZipInfo, bytes]],
    method: int = zipfile.ZIP_DEFLATED,
) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=method) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def tree(root: Path) -> set[str]:
    """Every path under ``root``, relative, directories marked with a trailing slash."""
    found = set()
    for dirpath, dirnames, filenames in os.walk(root):
        base = Path(dirpath).relative_to(root)
        found.update(f"{(base / d).as_posix()}/" for d in dirnames)
        found.update((base / f).as_posix() for f in filenames)
    return found


@pytest.fixture
def sandbox(tmp_path: Path) -> tuple[Path, Path]:
    """A tmp tree with an ``outside`` dir next to the destination ``dest``."""
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "keep.txt").write_text("untouched")
    return tmp_path, tmp_path / "dest"


def extract_bytes(data: bytes, where: Path, dest: Path, **kwargs: object) -> list[Path]:
    return extract_result(data, where, dest, **kwargs).files


def extract_result(data: bytes, where: Path, dest: Path, **kwargs: object) -> Extracted:
    zip_path = where / "archive.zip"
    zip_path.write_bytes(data)
    try:
        return extract_zip(zip_path, dest, **kwargs)  # type: ignore[arg-type]
    finally:
        zip_path.unlink()


def assert_refused(
    data: bytes,
    sandbox: tuple[Path, Path],
    error: type[TransferError],
    naming: str | None = None,
    **kwargs: object,
) -> TransferError:
    root, dest = sandbox
    before = tree(root)
    with pytest.raises(error) as caught:
        extract_bytes(data, root, dest, **kwargs)
    if naming is not None:
        assert naming in str(caught.value)
    after = tree(root)
    # Nothing new anywhere: not outside, and no file (nor staging dir) inside dest.
    assert after - {"dest/"} == before
    assert not any(path.startswith("dest/") for path in after)
    assert (root / "outside" / "keep.txt").read_text() == "untouched"
    return caught.value


def symlink(name: str) -> zipfile.ZipInfo:
    """A member that is a symbolic link (Unix mode bits), its target being its data."""
    link = zipfile.ZipInfo(name)
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    return link


def patch_name(data: bytes, old: bytes, new: bytes) -> bytes:
    """Rewrite a member name in both its local and central headers (same length)."""
    assert len(old) == len(new) and data.count(old) == 2
    return data.replace(old, new)


# --- names ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("../escape.txt", "'..'"),
        ("artifacts/../../escape.txt", "'..'"),
        ("/etc/passwd-copy", "absolute"),
        ("C:/windows/evil.txt", "drive letter"),
        ("c:evil.txt", "drive letter"),
    ],
)
def test_unsafe_names_are_refused_naming_the_member(
    sandbox: tuple[Path, Path], name: str, why: str
) -> None:
    data = build_zip([("artifacts/ok.txt", b"fine"), (zipfile.ZipInfo(name), b"evil")])
    error = assert_refused(data, sandbox, UnsafeMember, why, prefix="artifacts/")
    assert isinstance(error, UnsafeMember)
    assert error.member == name


def test_odd_names_are_skipped_and_listed_and_the_rest_extracted(
    sandbox: tuple[Path, Path],
) -> None:
    """Legal in a zip, odd on a disk: skipped (never written anywhere), named in the result."""
    root, dest = sandbox
    odd = [
        "artifacts/back\\slash.txt",
        "artifacts/bell\x07.txt",
        "artifacts/new\nline.txt",
        "artifacts\\..\\escape.txt",  # a climb on Windows: skipped, so never written
        "artifacts/odd\x1b[31m/inside.txt",
    ]
    members: list[tuple[str | zipfile.ZipInfo, bytes]] = [
        ("artifacts/ok.txt", b"fine"),
        ("artifacts/sub/deep.txt", b"deep"),
        *((zipfile.ZipInfo(name), b"odd") for name in odd),
        ("elsewhere/tab\there.txt", b"not asked for"),
    ]
    result = extract_result(build_zip(members), root, dest, prefix="artifacts/")
    assert tree(dest) == {"ok.txt", "sub/", "sub/deep.txt"}
    assert (dest / "ok.txt").read_bytes() == b"fine"
    assert result.skipped == tuple(name for name in odd if name.startswith("artifacts/"))
    assert (root / "outside" / "keep.txt").read_text() == "untouched"
    assert sorted(p.name for p in root.iterdir()) == ["dest", "outside"]


def test_an_odd_name_does_not_hide_a_symlink_or_a_climb(sandbox: tuple[Path, Path]) -> None:
    data = build_zip([("artifacts/a.txt", b"a"), (symlink("artifacts/odd\\link"), b"/etc/passwd")])
    assert_refused(data, sandbox, UnsafeMember, "symbolic link", prefix="artifacts/")
    climb = build_zip([("artifacts/a.txt", b"a"), (zipfile.ZipInfo("x\\y/../../e.txt"), b"e")])
    assert_refused(climb, sandbox, UnsafeMember, "'..'", prefix="artifacts/")


def test_nul_in_a_name_is_refused(sandbox: tuple[Path, Path]) -> None:
    data = build_zip([("good.txt", b"fine"), ("evilXname.txt", b"evil")])
    data = patch_name(data, b"evilXname", b"evil\x00name")
    error = assert_refused(data, sandbox, UnsafeMember, "NUL")
    assert "\\x00" in str(error)  # shown escaped, never raw


def test_a_symlink_member_is_refused(sandbox: tuple[Path, Path]) -> None:
    data = build_zip([("artifacts/a.txt", b"a"), (symlink("artifacts/link"), b"/etc/passwd")])
    assert_refused(data, sandbox, UnsafeMember, "symbolic link", prefix="artifacts/")


def test_a_name_through_a_symlink_inside_dest_that_points_outside_is_refused(
    sandbox: tuple[Path, Path],
) -> None:
    root, dest = sandbox
    dest.mkdir()
    (dest / "sub").symlink_to(root / "outside", target_is_directory=True)
    data = build_zip([("sub/planted.txt", b"evil")])
    with pytest.raises(UnsafeMember, match="resolves outside"):
        extract_bytes(data, root, dest)
    assert sorted(p.name for p in (root / "outside").iterdir()) == ["keep.txt"]
    assert tree(dest) == {"sub/"} or tree(dest) == set()  # only the pre-existing link


def test_duplicate_members_are_refused(sandbox: tuple[Path, Path]) -> None:
    data = build_zip([("a.txt", b"one"), ("./a.txt", b"two")])
    assert_refused(data, sandbox, UnsafeMember, "appears twice")


def test_a_member_that_is_both_file_and_folder_is_refused(sandbox: tuple[Path, Path]) -> None:
    data = build_zip([("a", b"file"), ("a/b.txt", b"inside")])
    assert_refused(data, sandbox, BadArchive, "both a file and the folder")


def test_a_folder_entry_with_the_name_of_a_file_is_refused(sandbox: tuple[Path, Path]) -> None:
    data = build_zip([("a", b"file"), ("a/", b"")])
    assert_refused(data, sandbox, BadArchive, "both a file and the folder")


def test_an_encrypted_member_is_refused_before_writing(sandbox: tuple[Path, Path]) -> None:
    data = bytearray(build_zip([("plain.txt", b"a"), ("secret.txt", b"b")], zipfile.ZIP_STORED))
    central = data.rfind(b"PK\x01\x02")
    struct.pack_into("<H", data, central + 8, 1)
    assert_refused(bytes(data), sandbox, UnsupportedCompression, "secret.txt is encrypted")


def test_names_with_windows_forbidden_characters_are_sanitized_like_the_official_client(
    tmp_path: Path,
) -> None:
    assert member_relative_path("artifacts/a<b>:c|d?.txt", "artifacts/").as_posix() == (  # type: ignore[union-attr]
        "a_b__c_d_.txt"
    )
    assert member_relative_path("artifacts/", "artifacts/") is None
    assert member_relative_path("other/x", "artifacts/") is None


# --- zip bombs and caps -----------------------------------------------------


def test_zip_bomb_by_ratio_is_refused(sandbox: tuple[Path, Path]) -> None:
    data = build_zip([("zeros.bin", bytes(4 << 20))])
    limits = ExtractLimits(max_ratio=100, ratio_min_bytes=1 << 20)
    assert_refused(data, sandbox, ArchiveLimitExceeded, "zeros.bin", limits=limits)


def test_zip_bomb_by_total_size_is_refused(sandbox: tuple[Path, Path]) -> None:
    data = build_zip([(f"part{i}.bin", bytes(300_000)) for i in range(4)])
    limits = ExtractLimits(max_total_bytes=1_000_000)
    assert_refused(data, sandbox, ArchiveLimitExceeded, "1000000 bytes", limits=limits)


def test_too_many_entries_are_refused(sandbox: tuple[Path, Path]) -> None:
    data = build_zip([(f"f{i}.txt", b"x") for i in range(6)])
    assert_refused(
        data, sandbox, ArchiveLimitExceeded, "6 entries", limits=ExtractLimits(max_entries=5)
    )


def _set_declared_size(data: bytes, name: bytes, size: int) -> bytes:
    """Make the central directory (and local header) lie about a member's size."""
    out = bytearray(data)
    central = out.find(b"PK\x01\x02")
    while central >= 0:
        name_len = struct.unpack_from("<H", out, central + 28)[0]
        if out[central + 46 : central + 46 + name_len] == name:
            struct.pack_into("<I", out, central + 24, size)
        central = out.find(b"PK\x01\x02", central + 4)
    local = out.find(b"PK\x03\x04")
    struct.pack_into("<I", out, local + 22, size)
    return bytes(out)


def test_a_member_inflating_beyond_its_declared_size_is_stopped_while_decompressing(
    sandbox: tuple[Path, Path],
) -> None:
    data = _set_declared_size(build_zip([("liar.bin", bytes(3 << 20))]), b"liar.bin", 1000)
    # The declared sizes pass every cap; only decoding shows the truth.
    assert_refused(data, sandbox, BadArchive, "more than the 1000 bytes")


def test_not_enough_free_space_is_refused_before_writing(sandbox: tuple[Path, Path]) -> None:
    data = build_zip([("big.bin", bytes(1000))])
    huge_margin = ExtractLimits(space_margin=1 << 62)
    assert_refused(data, sandbox, InsufficientSpace, "free", limits=huge_margin)


def test_a_crc_mismatch_is_refused_and_nothing_is_kept(sandbox: tuple[Path, Path]) -> None:
    data = build_zip([("first.txt", b"ok"), ("second.txt", b"payload")], zipfile.ZIP_STORED)
    data = data.replace(b"payload", b"PAYLOAD")
    assert_refused(data, sandbox, BadArchive, "CRC-32")


def test_an_unknown_compression_method_is_refused_naming_the_member(
    sandbox: tuple[Path, Path],
) -> None:
    data = bytearray(build_zip([("weird.bin", b"data")], zipfile.ZIP_STORED))
    struct.pack_into("<H", data, data.find(b"PK\x03\x04") + 8, 99)
    struct.pack_into("<H", data, data.find(b"PK\x01\x02") + 10, 99)
    assert_refused(bytes(data), sandbox, UnsupportedCompression, "weird.bin")


# --- existing files ---------------------------------------------------------


def test_an_existing_file_is_never_silently_overwritten(sandbox: tuple[Path, Path]) -> None:
    root, dest = sandbox
    dest.mkdir()
    (dest / "stdout.txt").write_text("mine")
    data = build_zip([("artifacts/new.txt", b"new"), ("artifacts/stdout.txt", b"theirs")])
    with pytest.raises(DestinationExists, match=r"stdout\.txt"):
        extract_bytes(data, root, dest, prefix="artifacts/")
    assert tree(dest) == {"stdout.txt"}
    assert (dest / "stdout.txt").read_text() == "mine"

    extract_bytes(data, root, dest, prefix="artifacts/", overwrite=True)
    assert (dest / "stdout.txt").read_text() == "theirs"
    assert tree(dest) == {"stdout.txt", "new.txt"}


# --- the happy path ---------------------------------------------------------


def test_outputs_are_extracted_without_the_artifacts_prefix(tmp_path: Path) -> None:
    data = build_zip(
        [
            ("output.json", b"{}"),
            ("artifacts/", b""),
            ("artifacts/stdout.txt", b"hello\n"),
            ("artifacts/vtk/", b""),
            ("artifacts/vtk/empty/", b""),
            ("artifacts/vtk/frame_0001.vtk", os.urandom(5000)),
        ]
    )
    dest = tmp_path / "task" / "outputs"
    written = extract_bytes(data, tmp_path, dest, prefix="artifacts/")
    assert tree(dest) == {"stdout.txt", "vtk/", "vtk/empty/", "vtk/frame_0001.vtk"}
    assert sorted(p.relative_to(dest).as_posix() for p in written) == [
        "stdout.txt",
        "vtk/frame_0001.vtk",
    ]
    assert (dest / "stdout.txt").read_bytes() == b"hello\n"


def test_an_archive_without_the_prefix_is_extracted_whole(tmp_path: Path) -> None:
    data = build_zip([("stdout.txt", b"a"), ("sub/b.txt", b"b")])
    dest = tmp_path / "out"
    extract_bytes(data, tmp_path, dest, prefix="artifacts/")
    assert tree(dest) == {"stdout.txt", "sub/", "sub/b.txt"}


@pytest.mark.parametrize(
    "method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA]
)
def test_every_stdlib_method_extracts_byte_for_byte(tmp_path: Path, method: int) -> None:
    content = os.urandom(20_000) + bytes(50_000) + b"tail"
    dest = tmp_path / "out"
    extract_bytes(build_zip([("data.bin", content)], method), tmp_path, dest)
    assert (dest / "data.bin").read_bytes() == content


def test_the_plan_is_checked_before_any_directory_is_made(tmp_path: Path) -> None:
    data = build_zip([("a.txt", b"a"), ("../b.txt", b"b")])
    index = load_index_sync(lambda s, e: data[s:e], len(data))
    with pytest.raises(UnsafeMember):
        plan_extraction(index.members, tmp_path / "never" / "made")
    assert not (tmp_path / "never").exists()


def test_a_stopped_extraction_ends_early_and_leaves_nothing(tmp_path: Path) -> None:
    data = build_zip([(f"f{i}.bin", os.urandom(2 << 20)) for i in range(3)])
    stop = threading.Event()
    stop.set()
    with pytest.raises(TransferError, match="cancelled"):
        extract_bytes(data, tmp_path, tmp_path / "dest", stop=stop)
    assert tree(tmp_path) == set()
