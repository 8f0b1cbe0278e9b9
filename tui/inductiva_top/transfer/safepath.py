"""Turning an archive member's name into a safe relative path, or refusing it.

A name from an archive is data from someone else. It is refused, with a
message naming it, when it is absolute, climbs out with ``..``, uses a
backslash (a separator on Windows), holds a NUL or another control
character, or starts with a drive letter (``C:``). The characters Windows
forbids in names (``< > : " | ? *``) become ``_``, as the official client does.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from inductiva_top.transfer.errors import UnsafeMember, printable_name

__all__ = ["member_relative_path"]

_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_WINDOWS_FORBIDDEN = re.compile(r'[<>:"|?*]')


def _refuse(name: str, why: str) -> UnsafeMember:
    return UnsafeMember(f"refusing archive member {printable_name(name)}: {why}", member=name)


def member_relative_path(name: str, prefix: str = "") -> PurePosixPath | None:
    """The path ``name`` may be written to, relative to the destination.

    ``prefix`` (``"artifacts/"``) is stripped; a member outside it, or the
    prefix directory itself, gives ``None`` (skip it). Raises
    :class:`UnsafeMember` for a name that is not safe to write anywhere.
    """
    if "\x00" in name:
        raise _refuse(name, "its name contains a NUL byte")
    if _CONTROL.search(name):
        raise _refuse(name, "its name contains a control character")
    if "\\" in name:
        raise _refuse(name, "its name contains a backslash")
    if name.startswith("/"):
        raise _refuse(name, "its path is absolute")
    if _DRIVE.match(name):
        raise _refuse(name, "its path starts with a drive letter")
    parts = name.split("/")
    if ".." in parts:
        raise _refuse(name, "its path contains '..'")
    if prefix:
        if not name.startswith(prefix):
            return None
        name = name[len(prefix) :]
        parts = name.split("/")
    kept = [_WINDOWS_FORBIDDEN.sub("_", part) for part in parts if part not in ("", ".")]
    if not kept:
        return None
    return PurePosixPath(*kept)
