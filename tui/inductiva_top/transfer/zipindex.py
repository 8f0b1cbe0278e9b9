"""Parsing a zip's end records and central directory, without doing any I/O.

:func:`index_steps` is the whole lookup written once as a generator: it
yields the byte ranges it needs and is sent their bytes back, so the same
code drives a local file (:func:`load_index_sync`) and an HTTP range source
(``rangezip.load_index``). It reads the end of the file first (a small
window, a bigger one only when a long comment hides the end record), follows
a ZIP64 locator when there is one, and reuses bytes it already holds for the
central directory of a small archive.
"""

from __future__ import annotations

import stat
import struct
from collections.abc import Callable, Generator
from dataclasses import dataclass

from inductiva_top.transfer.errors import BadArchive, printable_name

__all__ = [
    "LOCAL_HEADER_SIZE",
    "MAX_DIRECTORY_BYTES",
    "ZipIndex",
    "ZipMember",
    "data_offset",
    "index_steps",
    "load_index_sync",
]

_EOCD = struct.Struct("<4sHHHHIIH")  # 22 bytes
_EOCD_SIG = b"PK\x05\x06"
_LOCATOR = struct.Struct("<4sIQI")  # 20 bytes
_LOCATOR_SIG = b"PK\x06\x07"
_EOCD64 = struct.Struct("<4sQHHIIQQQQ")  # 56 bytes
_EOCD64_SIG = b"PK\x06\x06"
_CENTRAL = struct.Struct("<4sBBHHHHHIIIHHHHHII")  # 46 bytes
_CENTRAL_SIG = b"PK\x01\x02"
_LOCAL = struct.Struct("<4sHHHHHIIIHH")  # 30 bytes
_LOCAL_SIG = b"PK\x03\x04"
LOCAL_HEADER_SIZE = _LOCAL.size

MAX_DIRECTORY_BYTES = 512 * 1024 * 1024
"""Largest central directory read (about five million members): it is held in memory."""
_FIRST_WINDOW = 8 * 1024
# The end record, the longest comment, the ZIP64 locator and record.
_LAST_WINDOW = _EOCD.size + 0xFFFF + _LOCATOR.size + _EOCD64.size
_FLAG_ENCRYPTED = 0x1
_FLAG_UTF8 = 0x800
_UNIX = 3

ReadRequest = tuple[int, int]
"""A byte range ``[start, end)`` that :func:`index_steps` needs."""


@dataclass(frozen=True)
class ZipMember:
    """One central-directory entry, sizes and offset already widened by ZIP64."""

    name: str
    method: int
    flags: int
    crc32: int
    compressed_size: int
    size: int
    header_offset: int
    external_attr: int
    create_system: int
    cd_extra_length: int

    @property
    def is_dir(self) -> bool:
        return self.name.endswith("/")

    @property
    def is_symlink(self) -> bool:
        return self.create_system == _UNIX and stat.S_ISLNK(self.external_attr >> 16)

    @property
    def is_encrypted(self) -> bool:
        return bool(self.flags & _FLAG_ENCRYPTED)

    @property
    def raw_name_length(self) -> int:
        """Length of the name as stored (what a local header usually repeats)."""
        return len(_encode_name(self.name, self.flags))


@dataclass(frozen=True)
class ZipIndex:
    """A zip's members in central-directory order, and where that directory is."""

    members: tuple[ZipMember, ...]
    archive_size: int
    cd_offset: int
    cd_size: int
    comment: bytes

    def find(self, name: str) -> ZipMember | None:
        """The last member with exactly this name (the one unzip would extract)."""
        for member in reversed(self.members):
            if member.name == name:
                return member
        return None


def _encode_name(name: str, flags: int) -> bytes:
    return name.encode("utf-8" if flags & _FLAG_UTF8 else "cp437", errors="replace")


def _decode_name(raw: bytes, flags: int) -> str:
    return raw.decode("utf-8" if flags & _FLAG_UTF8 else "cp437", errors="replace")


@dataclass(frozen=True)
class _End:
    cd_offset: int
    cd_size: int
    entries: int
    comment: bytes
    eocd_pos: int
    zip64: bool


def _find_eocd(window: bytes, base: int) -> _End | None:
    """The last end record in ``window`` whose comment runs exactly to the end of the file."""
    pos = window.rfind(_EOCD_SIG)
    while pos >= 0:
        if pos + _EOCD.size <= len(window):
            fields = _EOCD.unpack_from(window, pos)
            comment_len = fields[7]
            if pos + _EOCD.size + comment_len == len(window):
                entries, cd_size, cd_offset = fields[4], fields[5], fields[6]
                zip64 = 0xFFFF in (fields[3], fields[4]) or 0xFFFFFFFF in (cd_size, cd_offset)
                comment = window[pos + _EOCD.size :]
                return _End(cd_offset, cd_size, entries, comment, base + pos, zip64)
        pos = window.rfind(_EOCD_SIG, 0, pos)
    return None


def _slice(buffer: bytes, base: int, start: int, end: int) -> bytes | None:
    if base <= start and end <= base + len(buffer):
        return buffer[start - base : end - base]
    return None


def index_steps(size: int) -> Generator[ReadRequest, bytes, ZipIndex]:
    """Locate and parse the central directory of a zip of ``size`` bytes.

    Yields ``(start, end)`` ranges and expects their bytes to be sent back.
    """
    if size < _EOCD.size:
        raise BadArchive(f"not a zip archive: only {size} bytes")
    window_len = min(size, _FIRST_WINDOW)
    base = size - window_len
    window = yield (base, size)
    end = _find_eocd(window, base)
    if end is None and window_len < min(size, _LAST_WINDOW):
        window_len = min(size, _LAST_WINDOW)
        base = size - window_len
        window = yield (base, size)
        end = _find_eocd(window, base)
    if end is None:
        raise BadArchive("not a zip archive: no end-of-central-directory record")
    if end.zip64 or _slice(window, base, end.eocd_pos - _LOCATOR.size, end.eocd_pos) is not None:
        end = yield from _zip64_end(end, window, base)
    if end.cd_offset + end.cd_size > end.eocd_pos:
        raise BadArchive("corrupt zip: the central directory overlaps its end record")
    if end.cd_size > MAX_DIRECTORY_BYTES:
        raise BadArchive(
            f"the zip's central directory is {end.cd_size} bytes, "
            f"above the {MAX_DIRECTORY_BYTES}-byte cap"
        )
    cd_range = (end.cd_offset, end.cd_offset + end.cd_size)
    directory = _slice(window, base, *cd_range)
    if directory is None:
        directory = yield cd_range
    members = _parse_central_directory(directory, end.entries)
    return ZipIndex(tuple(members), size, end.cd_offset, end.cd_size, end.comment)


def _zip64_end(end: _End, window: bytes, base: int) -> Generator[ReadRequest, bytes, _End]:
    """Follow the ZIP64 locator before the end record, when there is one."""
    locator_range = (end.eocd_pos - _LOCATOR.size, end.eocd_pos)
    if locator_range[0] < 0:
        if end.zip64:
            raise BadArchive("corrupt zip: ZIP64 values without a ZIP64 locator")
        return end
    locator = _slice(window, base, *locator_range)
    if locator is None:
        locator = yield locator_range
    sig, _disk, record_offset, _disks = _LOCATOR.unpack(locator)
    if sig != _LOCATOR_SIG:
        if end.zip64:
            raise BadArchive("corrupt zip: ZIP64 values without a ZIP64 locator")
        return end
    record_range = (record_offset, record_offset + _EOCD64.size)
    if record_range[1] > locator_range[0]:
        raise BadArchive("corrupt zip: the ZIP64 end record lies after its locator")
    record = _slice(window, base, *record_range)
    if record is None:
        record = yield record_range
    fields = _EOCD64.unpack(record)
    if fields[0] != _EOCD64_SIG:
        raise BadArchive("corrupt zip: bad ZIP64 end-of-central-directory record")
    entries, cd_size, cd_offset = fields[7], fields[8], fields[9]
    return _End(cd_offset, cd_size, entries, end.comment, record_offset, True)


def _zip64_extra(
    extra: bytes, size: int, compressed: int, offset: int, name: str
) -> tuple[int, int, int]:
    """Replace the 0xFFFFFFFF placeholders by the values of the ZIP64 extra field."""
    pos = 0
    while pos + 4 <= len(extra):
        tag, length = struct.unpack_from("<HH", extra, pos)
        body = extra[pos + 4 : pos + 4 + length]
        if tag == 0x0001:
            values = [v for (v,) in struct.iter_unpack("<Q", body[: len(body) // 8 * 8])]
            wanted = [size == 0xFFFFFFFF, compressed == 0xFFFFFFFF, offset == 0xFFFFFFFF]
            if sum(wanted) > len(values):
                raise BadArchive(f"corrupt zip: short ZIP64 extra field for {printable_name(name)}")
            it = iter(values)
            size = next(it) if wanted[0] else size
            compressed = next(it) if wanted[1] else compressed
            offset = next(it) if wanted[2] else offset
            return size, compressed, offset
        pos += 4 + length
    if 0xFFFFFFFF in (size, compressed, offset):
        raise BadArchive(f"corrupt zip: missing ZIP64 extra field for {printable_name(name)}")
    return size, compressed, offset


def _parse_central_directory(data: bytes, entries: int) -> list[ZipMember]:
    members: list[ZipMember] = []
    pos = 0
    while pos + _CENTRAL.size <= len(data) and data[pos : pos + 4] == _CENTRAL_SIG:
        f = _CENTRAL.unpack_from(data, pos)
        create_system, flags, method, crc = f[2], f[4], f[5], f[8]
        name_len, extra_len, comment_len = f[11], f[12], f[13]
        start = pos + _CENTRAL.size
        if start + name_len + extra_len + comment_len > len(data):
            raise BadArchive("corrupt zip: the central directory is cut short")
        name = _decode_name(data[start : start + name_len], flags)
        extra = data[start + name_len : start + name_len + extra_len]
        size, compressed, offset = _zip64_extra(extra, f[10], f[9], f[17], name)
        members.append(
            ZipMember(
                name=name,
                method=method,
                flags=flags,
                crc32=crc,
                compressed_size=compressed,
                size=size,
                header_offset=offset,
                external_attr=f[16],
                create_system=create_system,
                cd_extra_length=extra_len,
            )
        )
        pos = start + name_len + extra_len + comment_len
    # The 16-bit count wraps in archives without ZIP64; only a shortfall is an error.
    if len(members) < entries or len(members) % 0x10000 != entries % 0x10000:
        raise BadArchive(
            f"corrupt zip: the central directory lists {len(members)} of {entries} entries"
        )
    return members


def data_offset(member: ZipMember, local_header: bytes) -> int:
    """Where ``member``'s data starts, given at least its 30-byte local header."""
    if len(local_header) < _LOCAL.size:
        raise BadArchive(f"corrupt zip: local header of {printable_name(member.name)} cut short")
    fields = _LOCAL.unpack_from(local_header)
    if fields[0] != _LOCAL_SIG:
        raise BadArchive(f"corrupt zip: no local header for {printable_name(member.name)}")
    return member.header_offset + _LOCAL.size + int(fields[9]) + int(fields[10])


def load_index_sync(read: Callable[[int, int], bytes], size: int) -> ZipIndex:
    """Run :func:`index_steps` over a synchronous ``read(start, end)``."""
    steps = index_steps(size)
    try:
        request = next(steps)
        while True:
            request = steps.send(read(*request))
    except StopIteration as done:
        index: ZipIndex = done.value
        return index
