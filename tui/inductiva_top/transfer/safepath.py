"""Turning an archive member's name into a safe relative path, refusing it, or skipping it.

A name from an archive is data from someone else. It is refused, with a
message naming it, when it could write outside the destination (absolute,
climbing out with ``..``, starting with a drive letter ``C:``) or holds a NUL.
A name that is legal in a zip but odd on a disk (a backslash, which is a
separator on Windows, or another control character) raises
:class:`~inductiva_top.transfer.errors.OddMemberName`: extraction skips that
member, never writing it (so a backslash cannot climb out either), lists it,
and extracts the rest of the archive. The characters
Windows forbids in names (``< > : " | ? *``) become ``_``, as the official
client does.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from inductiva_top.transfer.errors import OddMemberName, UnsafeMember, printable_name

__all__ = ["member_relative_path"]

_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_WINDOWS_FORBIDDEN = re.compile(r'[<>:"|?*]')


def _refuse(name: str, why: str) -> UnsafeMember:
    return UnsafeMember(f"refusing archive member {printable_name(name)}: {why}", member=name)


def _skip(name: str, why: str) -> OddMemberName:
    return OddMemberName(f"skipping archive member {printable_name(name)}: {why}", member=name)


def member_relative_path(name: str, prefix: str = "") -> PurePosixPath | None:
    """The path ``name`` may be written to, relative to the destination.

    ``prefix`` (``"artifacts/"``) is stripped; a member outside it, or the
    prefix directory itself, gives ``None`` (skip it). Raises
    :class:`UnsafeMember` for a name that could write outside the destination,
    and its subclass :class:`OddMemberName` for one that is merely odd.
    """
    if "\x00" in name:
        raise _refuse(name, "its name contains a NUL byte")
    if name.startswith("/"):
        raise _refuse(name, "its path is absolute")
    if _DRIVE.match(name):
        raise _refuse(name, "its path starts with a drive letter")
    if ".." in name.split("/"):
        raise _refuse(name, "its path contains '..'")
    if "\\" in name:
        raise _skip(name, "its name contains a backslash")
    if _CONTROL.search(name):
        raise _skip(name, "its name contains a control character")
    parts = name.split("/")
    if prefix:
        if not name.startswith(prefix):
            return None
        name = name[len(prefix) :]
        parts = name.split("/")
    kept = [_WINDOWS_FORBIDDEN.sub("_", part) for part in parts if part not in ("", ".")]
    if not kept:
        return None
    return PurePosixPath(*kept)
