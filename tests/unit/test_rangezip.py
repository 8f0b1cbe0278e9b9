"""Reading zips by byte ranges: end records, ZIP64, comments, members, tails, bytes fetched."""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Iterable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inductiva_top.transfer.errors import (
    ArchiveLimitExceeded,
    BadArchive,
    MemberNotFound,
    UnsupportedCompression,
)
from inductiva_top.transfer.outputs import INPUTS, OUTPUTS, select_members
from inductiva_top.transfer.rangezip import (
    load_index,
    read_member,
    tail_member,
    tail_range,
)
from inductiva_top.transfer.sources import BytesRangeSource
from inductiva_top.transfer.zipindex import data_offset

METHODS = [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA]


def build_zip(
    members: Iterable[tuple[str, bytes, int]], *, comment: bytes = b"", zip64: bool = False
) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data, method in members:
            info = zipfile.ZipInfo(name)
            info.compress_type = method
            if zip64:
                with archive.open(info, "w", force_zip64=True) as handle:
                    handle.write(data)
            else:
                archive.writestr(info, data)
        archive.comment = comment
    return buffer.getvalue()


def text(lines: int) -> bytes:
    return b"".join(b"step %d: residual=%.6e\n" % (i, 1.0 / (i + 1)) for i in range(lines))


@pytest.mark.parametrize("method", METHODS)
async def test_each_method_reads_back_exactly(method: int) -> None:
    content = text(2000) + os.urandom(3000)
    data = build_zip(
        [("artifacts/a.txt", b"small", zipfile.ZIP_STORED), ("artifacts/b", content, method)]
    )
    source = BytesRangeSource(data)
    assert await read_member(source, "artifacts/b") == content
    assert await read_member(source, "artifacts/a.txt") == b"small"


async def test_index_lists_members_with_their_sizes_and_methods() -> None:
    data = build_zip(
        [
            ("artifacts/", b"", zipfile.ZIP_STORED),
            ("artifacts/stdout.txt", text(100), zipfile.ZIP_DEFLATED),
            ("artifacts/ü-utf8.bin", b"\x00" * 10, zipfile.ZIP_STORED),
        ]
    )
    index = await load_index(BytesRangeSource(data))
    reference = zipfile.ZipFile(io.BytesIO(data)).infolist()
    assert [m.name for m in index.members] == [i.filename for i in reference]
    assert [
        (m.size, m.compressed_size, m.crc32, m.method, m.header_offset) for m in index.members
    ] == [
        (i.file_size, i.compress_size, i.CRC, i.compress_type, i.header_offset) for i in reference
    ]
    assert index.members[0].is_dir and not index.members[1].is_dir


@pytest.mark.parametrize("comment_size", [0, 100, 20_000, 65_535])
async def test_a_trailing_comment_of_any_length_is_skipped(comment_size: int) -> None:
    comment = bytes(range(256)) * (comment_size // 256) + b"c" * (comment_size % 256)
    # A fake end record inside the comment must not fool the search.
    comment = comment.replace(comment[:4], b"PK\x05\x06", 1) if comment_size >= 4 else comment
    data = build_zip([("artifacts/x", b"payload", zipfile.ZIP_DEFLATED)], comment=comment)
    source = BytesRangeSource(data)
    index = await load_index(source)
    assert index.comment == comment
    assert await read_member(source, "artifacts/x", index=index) == b"payload"


async def test_zip64_end_records_and_extra_fields_are_followed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Lowering zipfile's ZIP64 threshold makes it write genuine ZIP64 structures
    # (end record, locator, 64-bit extra fields) around small data.
    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", 1024)
    members = [
        (f"artifacts/f{i}.bin", os.urandom(700) + bytes(2000), zipfile.ZIP_DEFLATED)
        for i in range(4)
    ]
    data = build_zip(members, comment=b"zip64 comment", zip64=True)
    monkeypatch.undo()
    assert b"PK\x06\x06" in data and b"PK\x06\x07" in data
    source = BytesRangeSource(data)
    index = await load_index(source)
    assert index.comment == b"zip64 comment"
    assert len(index.members) == 4
    for name, content, _method in members:
        assert await read_member(source, name, index=index) == content
    # The offsets really were 64-bit placeholders resolved from the extra field.
    assert any(m.header_offset > 1024 for m in index.members)


async def test_one_small_member_of_a_big_archive_costs_a_tiny_fraction_of_it() -> None:
    big = os.urandom(8 * 1024 * 1024)
    data = build_zip(
        [
            ("artifacts/big.bin", big, zipfile.ZIP_STORED),
            ("artifacts/stdout.txt", text(300), zipfile.ZIP_DEFLATED),
            *(
                (f"artifacts/more/{i}.dat", os.urandom(50_000), zipfile.ZIP_STORED)
                for i in range(20)
            ),
        ]
    )
    source = BytesRangeSource(data)
    assert await read_member(source, "artifacts/stdout.txt") == text(300)
    assert source.bytes_requested < 32 * 1024
    assert source.bytes_requested < len(data) / 300
    assert source.requests <= 3


async def test_tail_of_a_stored_member_is_a_suffix_read() -> None:
    content = text(50_000)
    data = build_zip([("artifacts/stdout.txt", content, zipfile.ZIP_STORED)])
    source = BytesRangeSource(data)
    index = await load_index(source)
    before = source.bytes_requested
    assert await tail_member(source, "artifacts/stdout.txt", 4096, index=index) == content[-4096:]
    assert source.bytes_requested - before < 4096 + 64


async def test_tail_of_a_deflated_member_inflates_one_compressed_range() -> None:
    content = text(20_000)
    data = build_zip([("artifacts/stdout.txt", content, zipfile.ZIP_DEFLATED)])
    source = BytesRangeSource(data)
    index = await load_index(source)
    member = index.find("artifacts/stdout.txt")
    assert member is not None
    requests = source.requests
    assert await tail_member(source, "artifacts/stdout.txt", 1000, index=index) == content[-1000:]
    assert source.requests == requests + 1
    with pytest.raises(ArchiveLimitExceeded, match="compressed data"):
        await tail_member(source, "artifacts/stdout.txt", 1000, index=index, max_fetch=1000)


@pytest.mark.parametrize("method", METHODS)
async def test_tail_range_works_from_the_data_range_alone(method: int) -> None:
    """As the tail pane does with /storage/zip-file-range (inclusive range_end)."""
    content = text(5000)
    data = build_zip([("artifacts/stdout.txt", content, method)])
    source = BytesRangeSource(data)
    member = (await load_index(source)).members[0]
    start = data_offset(member, data[member.header_offset : member.header_offset + 30])
    range_end = start + member.compressed_size - 1
    tail = await tail_range(source, start, range_end + 1, method, 300, size=len(content))
    assert tail == content[-300:]


async def test_a_member_that_is_not_there_is_named() -> None:
    source = BytesRangeSource(build_zip([("artifacts/a", b"a", zipfile.ZIP_STORED)]))
    with pytest.raises(MemberNotFound, match="artifacts/missing"):
        await read_member(source, "artifacts/missing")


async def test_not_a_zip_and_a_truncated_zip_are_bad_archives() -> None:
    with pytest.raises(BadArchive, match="not a zip"):
        await load_index(BytesRangeSource(os.urandom(100_000)))
    with pytest.raises(BadArchive, match="not a zip"):
        await load_index(BytesRangeSource(b"PK"))
    data = build_zip([("a", os.urandom(1000), zipfile.ZIP_STORED)])
    with pytest.raises(BadArchive):
        await load_index(BytesRangeSource(data[:-30] + data[-22:]))


async def test_corrupt_member_data_fails_its_crc() -> None:
    data = bytearray(build_zip([("a.txt", b"hello world" * 10, zipfile.ZIP_STORED)]))
    data[40:45] = b"XXXXX"
    with pytest.raises(BadArchive, match="CRC-32"):
        await read_member(BytesRangeSource(bytes(data)), "a.txt")


async def test_an_unsupported_method_is_named() -> None:
    data = bytearray(build_zip([("odd.bin", b"data", zipfile.ZIP_STORED)]))
    data[data.find(b"PK\x01\x02") + 10] = 9  # deflate64
    with pytest.raises(UnsupportedCompression, match=r"odd\.bin.*deflate64"):
        await read_member(BytesRangeSource(bytes(data)), "odd.bin")


async def test_a_long_local_extra_field_costs_a_second_request() -> None:
    """The first request guesses the local header's size; a longer one is fetched after."""
    info = zipfile.ZipInfo("x.bin")
    info.extra = b"\xfe\xca" + (3000).to_bytes(2, "little") + bytes(3000)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(info, b"content")
    data = bytearray(buffer.getvalue())
    # Keep the long extra field in the local header only, as some writers do.
    central = data.find(b"PK\x01\x02")
    data[central + 30 : central + 32] = (0).to_bytes(2, "little")
    cd_extra_start = central + 46 + len("x.bin")
    del data[cd_extra_start : cd_extra_start + 3004]
    end = data.find(b"PK\x05\x06")
    data[end + 12 : end + 16] = (
        int.from_bytes(data[end + 12 : end + 16], "little") - 3004
    ).to_bytes(4, "little")
    assert zipfile.ZipFile(io.BytesIO(bytes(data))).read("x.bin") == b"content"
    assert await read_member(BytesRangeSource(bytes(data)), "x.bin") == b"content"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.text(alphabet="abcdefghij/._-", min_size=1, max_size=20).filter(
                lambda n: not n.endswith("/")
            ),
            st.binary(max_size=5000),
            st.sampled_from(METHODS),
        ),
        min_size=1,
        max_size=8,
        unique_by=lambda m: m[0],
    ),
    st.binary(max_size=300),
)
async def test_any_archive_reads_back_like_zipfile_reads_it(
    members: list[tuple[str, bytes, int]], comment: bytes
) -> None:
    data = build_zip(members, comment=comment)
    source = BytesRangeSource(data, chunk_size=777)
    index = await load_index(source)
    for name, content, _method in members:
        assert await read_member(source, name, index=index) == content
        assert await tail_member(source, name, 100, index=index) == content[-100:]


async def test_chosen_files_map_to_members_like_the_official_client() -> None:
    data = build_zip(
        [
            ("input.json", b"{}", zipfile.ZIP_STORED),
            ("sim_dir/run.py", b"print()", zipfile.ZIP_STORED),
            ("artifacts/stdout.txt", b"out", zipfile.ZIP_STORED),
            ("artifacts/vtk/", b"", zipfile.ZIP_STORED),
            ("artifacts/vtk/a.vtk", b"a", zipfile.ZIP_STORED),
            ("artifacts/vtk/b.vtk", b"b", zipfile.ZIP_STORED),
        ]
    )
    index = await load_index(BytesRangeSource(data))
    chosen = select_members(index, OUTPUTS, ["stdout.txt", "vtk/", "vtk/a.vtk"])
    assert sorted(m.name for m in chosen) == [
        "artifacts/stdout.txt",
        "artifacts/vtk/a.vtk",
        "artifacts/vtk/b.vtk",
    ]
    assert [m.name for m in select_members(index, INPUTS, ["input.json", "run.py"])] == [
        "input.json",
        "sim_dir/run.py",
    ]
    with pytest.raises(MemberNotFound) as missing:
        select_members(index, OUTPUTS, ["stdout.txt", "a.txt", "nothing/"])
    assert missing.value.names == ["a.txt", "nothing/"]
