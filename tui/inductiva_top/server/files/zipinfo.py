"""Reading a zip archive's central directory: member listings and data ranges.

These back ``/storage/zip-contents`` and ``/storage/zip-file-range``. Only the
central directory and one local file header per asked member are read, never
the members' data.

Conventions, matched to how the official client (0.18.12) uses the answers:

* ``zip_relative_path`` selects a folder inside the archive (``artifacts/``;
  a missing trailing slash is added, since the client sometimes sends
  ``artifacts``); member names in the answer are relative to it.
* ``recursive``: every file below the folder (``vtk/a.vtk``); otherwise the
  folder's direct children, a sub-folder shown once as ``name/`` with the summed
  sizes of the files below it and the newest of their times. Sorted by name.
* ``range_start`` / ``range_end`` are the first and last byte (inclusive, as in
  an HTTP ``Range`` header, which is how the client uses them) of a member's
  stored data, just after its local file header.
* ``size`` of a listing is the total uncompressed size of the files below the
  folder (the client prints it as "Total size" next to the summed compressed sizes).
"""

from __future__ import annotations

import struct
import time
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO

_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")
_LOCAL_MAGIC = b"PK\x03\x04"
_EXTENDED_TIMESTAMP = 0x5455


class ZipReadError(ValueError):
    """The archive is unreadable or does not hold what was asked for."""


class MemberNotFound(LookupError):
    """No file with that name below the asked folder."""


@dataclass(frozen=True)
class MemberInfo:
    """One entry of a listing (a file, or a folder when ``name`` ends with ``/``)."""

    name: str
    size: int
    compressed_size: int
    range_start: int | None
    creation_time: datetime | None
    compress_type: int | None


@dataclass(frozen=True)
class ZipListing:
    size: int
    contents: list[MemberInfo]


@dataclass(frozen=True)
class MemberRange:
    range_start: int
    range_end: int
    compress_type: int


def folder_prefix(zip_relative_path: str) -> str:
    """The member-name prefix for a folder inside the archive (``""`` is the top)."""
    stripped = zip_relative_path.strip("/")
    return f"{stripped}/" if stripped else ""


def _member_time(info: zipfile.ZipInfo) -> datetime:
    """The member's modification time, in UTC.

    The extended-timestamp extra field holds a real UTC time when present; the
    DOS date and time of the header are local time of the machine that zipped.
    """
    extra = info.extra
    offset = 0
    while offset + 4 <= len(extra):
        header_id, length = struct.unpack_from("<HH", extra, offset)
        body = extra[offset + 4 : offset + 4 + length]
        if header_id == _EXTENDED_TIMESTAMP and len(body) >= 5 and body[0] & 1:
            (mtime,) = struct.unpack_from("<i", body, 1)
            return datetime.fromtimestamp(mtime, tz=timezone.utc)
        offset += 4 + length
    local = time.mktime((*info.date_time, 0, 0, -1))
    return datetime.fromtimestamp(local, tz=timezone.utc)


def _data_start(fp: BinaryIO, info: zipfile.ZipInfo) -> int:
    fp.seek(info.header_offset)
    header = fp.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size or header[:4] != _LOCAL_MAGIC:
        raise ZipReadError(f"bad local header for {info.filename!r}")
    fields = _LOCAL_HEADER.unpack(header)
    name_length, extra_length = int(fields[9]), int(fields[10])
    return int(info.header_offset) + _LOCAL_HEADER.size + name_length + extra_length


def _read_infos(fp: BinaryIO) -> list[zipfile.ZipInfo]:
    try:
        with zipfile.ZipFile(fp) as archive:
            return archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise ZipReadError(f"not a readable zip archive: {exc}") from None


def list_members(path: Path, zip_relative_path: str, recursive: bool) -> ZipListing:
    """List the archive at ``path`` below ``zip_relative_path`` (see the module doc)."""
    with path.open("rb") as fp:
        return _list(fp, folder_prefix(zip_relative_path), recursive)


def _list(fp: BinaryIO, prefix: str, recursive: bool) -> ZipListing:
    files = [
        info
        for info in _read_infos(fp)
        if info.filename.startswith(prefix) and not info.is_dir() and info.filename != prefix
    ]
    total = sum(info.file_size for info in files)
    if recursive:
        contents = [_file_entry(fp, info, info.filename[len(prefix) :]) for info in files]
        contents.sort(key=lambda entry: entry.name)
        return ZipListing(size=total, contents=contents)

    direct: list[MemberInfo] = []
    folders: dict[str, list[zipfile.ZipInfo]] = {}
    for info in files:
        relative = info.filename[len(prefix) :]
        head, sep, _ = relative.partition("/")
        if sep:
            folders.setdefault(head, []).append(info)
        else:
            direct.append(_file_entry(fp, info, relative))
    for name, members in folders.items():
        direct.append(
            MemberInfo(
                name=f"{name}/",
                size=sum(m.file_size for m in members),
                compressed_size=sum(m.compress_size for m in members),
                range_start=None,
                creation_time=max(_member_time(m) for m in members),
                compress_type=None,
            )
        )
    direct.sort(key=lambda entry: entry.name)
    return ZipListing(size=total, contents=direct)


def _file_entry(fp: BinaryIO, info: zipfile.ZipInfo, name: str) -> MemberInfo:
    return MemberInfo(
        name=name,
        size=info.file_size,
        compressed_size=info.compress_size,
        range_start=_data_start(fp, info),
        creation_time=_member_time(info),
        compress_type=info.compress_type,
    )


def member_range(path: Path, zip_relative_path: str, filename: str) -> MemberRange:
    """The inclusive byte range of one member's stored data.

    An empty member has ``range_end == range_start - 1`` (no bytes to fetch).
    """
    wanted = folder_prefix(zip_relative_path) + filename.lstrip("/")
    with path.open("rb") as fp:
        for info in _read_infos(fp):
            if info.filename == wanted and not info.is_dir():
                start = _data_start(fp, info)
                return MemberRange(
                    range_start=start,
                    range_end=start + info.compress_size - 1,
                    compress_type=info.compress_type,
                )
    raise MemberNotFound(f"{wanted!r} is not a file in the archive")
