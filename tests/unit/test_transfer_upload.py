"""Packing an input directory as the official client does, and streaming it out."""

from __future__ import annotations

import os
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from inductiva_top.transfer.upload import (
    INPUT_PREFIX,
    InputError,
    input_zip_path,
    iter_file,
    pack_input,
    packed_input,
    upload_file,
)


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def test_files_go_under_sim_dir(tmp_path: Path) -> None:
    src = tmp_path / "case"
    (src / "system").mkdir(parents=True)
    (src / "empty").mkdir()
    (src / "run.sh").write_text("echo hi\n")
    (src / "system" / "controlDict").write_bytes(b"\x00\x01binary")
    archive = pack_input(src, tmp_path / "input.zip")
    assert members(archive.path) == {
        "sim_dir/run.sh": b"echo hi\n",
        "sim_dir/empty/": b"",
        "sim_dir/system/controlDict": b"\x00\x01binary",
    }
    assert archive.files == 2
    assert archive.input_bytes == len(b"echo hi\n") + len(b"\x00\x01binary")
    assert archive.size == (tmp_path / "input.zip").stat().st_size
    assert all(name.startswith(INPUT_PREFIX) for name in members(archive.path))


def test_no_input_dir_gives_an_empty_sim_dir(tmp_path: Path) -> None:
    archive = pack_input(None, tmp_path / "input.zip")
    assert members(archive.path) == {"sim_dir/": b""}
    assert archive.files == 0


def test_links_to_files_are_packed_links_to_dirs_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "data.txt").write_text("shared")
    src = tmp_path / "case"
    src.mkdir()
    (src / "data.txt").symlink_to(outside / "data.txt")
    (src / "loop").symlink_to(src, target_is_directory=True)
    archive = pack_input(src, tmp_path / "input.zip")
    assert members(archive.path) == {"sim_dir/data.txt": b"shared"}


def test_bad_input_dirs_say_why(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        pack_input(tmp_path / "nope", tmp_path / "a.zip")
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="is not a directory"):
        pack_input(tmp_path / "file", tmp_path / "b.zip")
    src = tmp_path / "case"
    src.mkdir()
    (src / "dangling").symlink_to(tmp_path / "missing")
    with pytest.raises(InputError, match="dangling"):
        pack_input(src, tmp_path / "c.zip")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file_is_named(tmp_path: Path) -> None:
    src = tmp_path / "case"
    src.mkdir()
    secret = src / "locked.dat"
    secret.write_text("x")
    secret.chmod(0)
    try:
        with pytest.raises(InputError, match=r"locked\.dat"):
            pack_input(src, tmp_path / "input.zip")
    finally:
        secret.chmod(0o600)


async def test_packed_input_is_removed_afterwards(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("a")
    async with packed_input(tmp_path) as archive:
        assert archive.path.exists()
        assert "sim_dir/a.txt" in members(archive.path)
    assert not archive.path.exists()


def test_input_zip_path() -> None:
    assert input_zip_path("abc123") == "abc123/input.zip"


class Collector:
    """Stands in for the storage host's receiving end: keeps what was PUT."""

    def __init__(self) -> None:
        self.puts: list[tuple[str, bytes, int]] = []

    async def storage_put(self, url: str, body: AsyncIterator[bytes], size: int) -> None:
        data = b"".join([chunk async for chunk in body])
        self.puts.append((url, data, size))


async def test_upload_streams_the_file_in_chunks(tmp_path: Path) -> None:
    path = tmp_path / "input.zip"
    payload = os.urandom(300_000)
    path.write_bytes(payload)
    seen: list[tuple[int, int]] = []
    collector = Collector()
    sent = await upload_file(collector, "https://s/x?sig=1", path, lambda a, b: seen.append((a, b)))
    assert sent == len(payload)
    assert collector.puts == [("https://s/x?sig=1", payload, len(payload))]
    assert seen[-1] == (len(payload), len(payload))


async def test_iter_file_chunks_and_detects_shrinking(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"abcdefgh")
    chunks = [c async for c in iter_file(path, 8, chunk_bytes=3)]
    assert chunks == [b"abc", b"def", b"gh"]
    with pytest.raises(InputError, match="shrank"):
        _ = [c async for c in iter_file(path, 20)]
