"""Reading members of a remote zip with HTTP ``Range`` requests only.

Reading one member costs: the end of the file (8 KiB, which for a small
archive already holds the central directory), the central directory when it
is further back, then one request for that member's local header and data.
Nothing else of the archive is fetched.

:func:`tail_member` and :func:`tail_range` give the last bytes of a member
(the tail pane of a finished task): for a stored member a suffix of its data;
for a compressed one the data must be inflated from its start, so its whole
compressed range is fetched in one request, refused above ``max_fetch``.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing

from inductiva_top.transfer.decode import STORED, MemberDecoder, make_decoder
from inductiva_top.transfer.errors import (
    ArchiveLimitExceeded,
    BadArchive,
    MemberNotFound,
    printable_name,
)
from inductiva_top.transfer.sources import RangeSource
from inductiva_top.transfer.zipindex import (
    LOCAL_HEADER_SIZE,
    ZipIndex,
    ZipMember,
    data_offset,
    index_steps,
)

__all__ = [
    "DEFAULT_MAX_FETCH",
    "iter_member",
    "iter_member_raw",
    "load_index",
    "read_member",
    "tail_member",
    "tail_range",
]

# Local headers usually repeat the central directory's name and extra field;
# this margin covers a somewhat longer local extra field without a second request.
_LOCAL_SLACK = 1024
DEFAULT_MAX_FETCH = 64 * 1024 * 1024
"""Largest compressed range :func:`tail_member` fetches to inflate a tail."""


async def load_index(source: RangeSource) -> ZipIndex:
    """The central directory of the zip behind ``source``, read by ranges."""
    steps = index_steps(await source.size())
    try:
        request = next(steps)
        while True:
            request = steps.send(await source.read(*request))
    except StopIteration as done:
        index: ZipIndex = done.value
        return index


async def iter_member_raw(source: RangeSource, member: ZipMember) -> AsyncGenerator[bytes, None]:
    """The compressed bytes of ``member``, fetched with one request in the usual case."""
    start = member.header_offset
    guess_end = (
        start
        + LOCAL_HEADER_SIZE
        + member.raw_name_length
        + member.cd_extra_length
        + member.compressed_size
        + _LOCAL_SLACK
    )
    size = await source.size()
    guess_end = min(guess_end, size)
    head = b""
    pos = start
    data_start = data_end = -1
    async with aclosing(source.stream(start, guess_end)) as chunks:
        async for chunk in chunks:
            if data_start < 0:
                head += chunk
                pos += len(chunk)
                if len(head) < LOCAL_HEADER_SIZE:
                    continue
                data_start = data_offset(member, head)
                data_end = data_start + member.compressed_size
                if data_end > size:
                    raise BadArchive(
                        f"corrupt zip: {printable_name(member.name)} runs past the end of the file"
                    )
                chunk, pos = head, start
            piece = chunk[max(0, data_start - pos) : max(0, data_end - pos)]
            pos += len(chunk)
            if piece:
                yield piece
            if pos >= data_end:
                return
    if data_start < 0:
        raise BadArchive(f"corrupt zip: local header of {printable_name(member.name)} cut short")
    # The local extra field was longer than guessed: fetch the rest of the data.
    async with aclosing(source.stream(max(pos, data_start), data_end)) as rest:
        async for chunk in rest:
            yield chunk


async def iter_member(
    source: RangeSource, member: ZipMember, *, limit: int | None = None
) -> AsyncGenerator[bytes, None]:
    """The content of ``member``, checked against its size and CRC-32 (see ``MemberDecoder``)."""
    decoder = MemberDecoder(member, limit=limit)
    async with aclosing(iter_member_raw(source, member)) as raw:
        async for chunk in raw:
            for piece in decoder.feed(chunk):
                yield piece
    last = decoder.finish()
    if last:
        yield last


async def read_member(source: RangeSource, name: str, *, index: ZipIndex | None = None) -> bytes:
    """The whole content of the member called ``name`` (for small members)."""
    index = index if index is not None else await load_index(source)
    member = _find(index, name)
    return b"".join([piece async for piece in iter_member(source, member)])


def _find(index: ZipIndex, name: str) -> ZipMember:
    member = index.find(name)
    if member is None or member.is_dir:
        raise MemberNotFound(f"{printable_name(name)} is not in the archive", names=[name])
    return member


async def tail_member(
    source: RangeSource,
    name: str,
    max_bytes: int,
    *,
    index: ZipIndex | None = None,
    max_fetch: int = DEFAULT_MAX_FETCH,
) -> bytes:
    """The last ``max_bytes`` of the content of member ``name``, fetching as little as possible."""
    index = index if index is not None else await load_index(source)
    member = _find(index, name)
    if member.method == STORED and not member.is_encrypted:
        header_end = member.header_offset + LOCAL_HEADER_SIZE
        header = await source.read(member.header_offset, header_end)
        start = data_offset(member, header)
        end = start + member.compressed_size
        return await tail_range(source, start, end, member.method, max_bytes, size=member.size)
    if member.compressed_size > max_fetch:
        raise ArchiveLimitExceeded(_too_big(name, member.compressed_size, max_fetch))
    keep = bytearray()
    async with aclosing(iter_member(source, member)) as pieces:
        async for piece in pieces:
            keep += piece
            del keep[: max(0, len(keep) - max_bytes)]
    return bytes(keep)


async def tail_range(
    source: RangeSource,
    start: int,
    end: int,
    method: int,
    max_bytes: int,
    *,
    size: int | None = None,
    max_fetch: int = DEFAULT_MAX_FETCH,
    name: str = "the file",
) -> bytes:
    """The last ``max_bytes`` of the content of a member whose data is ``[start, end)``.

    This is what ``/storage/zip-file-range`` gives (its ``range_end`` is
    inclusive: pass ``range_end + 1``). ``size``, when known, caps how much a
    compressed member may inflate to.
    """
    if end < start:
        raise BadArchive(f"bad byte range {start}-{end} for {printable_name(name)}")
    if method == STORED:
        return await source.read(max(start, end - max_bytes), end)
    if end - start > max_fetch:
        raise ArchiveLimitExceeded(_too_big(name, end - start, max_fetch))
    decoder = make_decoder(method, name)
    keep = bytearray()
    produced = 0
    async with aclosing(source.stream(start, end)) as chunks:
        async for chunk in chunks:
            for piece in decoder.pieces(chunk):
                produced += len(piece)
                if size is not None and produced > size:
                    raise BadArchive(
                        f"{printable_name(name)} decodes to more than its declared {size} bytes"
                    )
                keep += piece
                del keep[: max(0, len(keep) - max_bytes)]
    keep += decoder.finish()
    if not decoder.complete:
        raise BadArchive(f"corrupt zip: the compressed data of {printable_name(name)} is cut short")
    return bytes(keep[max(0, len(keep) - max_bytes) :])


def _too_big(name: str, compressed: int, max_fetch: int) -> str:
    return (
        f"the tail of {printable_name(name)} needs its whole compressed data "
        f"({compressed} bytes, above the {max_fetch}-byte cap)"
    )
