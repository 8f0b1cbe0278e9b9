"""Turning untrusted storage paths and file names into paths inside the data dir.

Every path that arrives over HTTP (a storage path, a task id, a file name in a
task's work dir) goes through this module before anything touches the disk.
The rules, checked before any file system call:

* no raw control character; a backslash only starts an escape (see below);
* no ``.`` or ``..`` segment and no empty segment (``a//b``), no name over 255 bytes
  (all checked on the unescaped name), no NUL or ``/`` inside a name;
* leading slashes are dropped: storage paths are relative to the user's storage
  root, as in the real API, whose official client asks for ``/<task_id>/input.zip``
  when no storage prefix is set. ``/etc/passwd`` therefore names
  ``<storage>/etc/passwd``, never the system file.

Then, on the disk: no existing component below the root may be a symbolic link,
and the resolved path must still be inside the resolved root.

A task can name its files with any bytes but ``/`` and NUL, and JSON carries
only text, so names travel in an escaped form (:func:`escape_name`): bytes
that are not UTF-8, control characters and the backslash itself become
``\\xNN`` or ``\\\\``. Every listing gives names in that form, and every route
taking a name accepts it back (:func:`normalize_relative` checks and keeps the
escaped form, :func:`resolve_inside` turns it into the name on the disk). An
ordinary name is its own escaped form.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

MAX_PATH_CHARS = 1024
MAX_NAME_BYTES = 255  # NAME_MAX of common file systems

_TASK_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")
_RAW_CONTROLS = re.compile(r"[\x00-\x1f\x7f]")
# What escape_name writes: undecodable bytes (held as lone surrogates by
# os.fsdecode), C0 controls, DEL and the backslash.
_TO_ESCAPE = re.compile(r"[\x00-\x1f\x7f\\\udc80-\udcff]")
_ESCAPE = re.compile(r"\\(\\|x[0-9a-fA-F]{2})")
_NOT_IN_A_NAME = (0x00, 0x2F)  # NUL and "/" cannot be part of a file name


class UnsafePath(ValueError):
    """A path was refused; ``status_code`` is the HTTP status to answer with."""

    def __init__(self, detail: str, status_code: int = 400) -> None:
        super().__init__(detail)
        self.detail = detail
        self.status_code = status_code


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    if char == "\\":
        return "\\\\"
    code = ord(char)
    return f"\\x{code - 0xDC00 if code >= 0xDC80 else code:02x}"


def escape_name(name: str) -> str:
    """The escaped, JSON-safe form of a name as the disk gives it (see the module doc).

    ``name`` is a ``str`` from :func:`os.fsdecode` (``os.scandir``, ``os.walk``),
    where undecodable bytes are lone surrogates. ``/`` is kept, so a relative
    path escapes as a whole.
    """
    return _TO_ESCAPE.sub(_escape_char, name)


def unescape_name(text: str, *, what: str = "name") -> str:
    """The name on the disk for an escaped ``text``; raises :class:`UnsafePath` for a bad escape.

    The inverse of :func:`escape_name`. ``\\x2f`` and ``\\x00`` are refused: no
    name holds them.
    """
    if "\\" in _ESCAPE.sub("", text):
        raise UnsafePath(f"{what} {text!r} has a backslash that starts no escape (\\\\ or \\xNN)")
    data = bytearray()
    position = 0
    try:
        for match in _ESCAPE.finditer(text):
            data += text[position : match.start()].encode()
            escape = match.group(1)
            byte = 0x5C if escape == "\\" else int(escape[1:], 16)
            if byte in _NOT_IN_A_NAME:
                raise UnsafePath(f"{what} {text!r} escapes a NUL or a slash")
            data.append(byte)
            position = match.end()
        data += text[position:].encode()
    except UnicodeEncodeError:
        raise UnsafePath(f"{what} {text!r} is not valid Unicode text") from None
    return data.decode("utf-8", "surrogateescape")


def normalize_relative(raw: str, *, what: str = "path") -> str:
    """Check ``raw`` (escaped form) and return it canonical, without leading/trailing slashes.

    The empty string (or ``/``) is the root and is returned as ``""``.
    """
    if len(raw) > MAX_PATH_CHARS:
        raise UnsafePath(f"{what} is longer than {MAX_PATH_CHARS} characters")
    if _RAW_CONTROLS.search(raw):
        raise UnsafePath(f"{what} {raw!r} contains a control character")
    trimmed = raw.strip("/")
    if not trimmed:
        return ""
    segments = [unescape_name(segment, what=what) for segment in trimmed.split("/")]
    for segment in segments:
        if segment in ("", ".", ".."):
            raise UnsafePath(f"{what} {raw!r} has an empty, '.' or '..' segment")
        if len(os.fsencode(segment)) > MAX_NAME_BYTES:
            raise UnsafePath(f"{what} has a name longer than {MAX_NAME_BYTES} bytes")
    return "/".join(escape_name(segment) for segment in segments)


def check_task_id(task_id: str) -> str:
    """Return ``task_id`` if it is a plausible task id, else raise :class:`UnsafePath`."""
    if not _TASK_ID.fullmatch(task_id):
        raise UnsafePath(f"{task_id!r} is not a valid task id")
    return task_id


def resolve_inside(root: Path, relative: str) -> Path:
    """Join an already normalized ``relative`` path (escaped form) to ``root``; check it on disk.

    Existing components must not be symbolic links (a missing tail is fine: the
    caller decides whether a missing file is an error). Raises
    :class:`UnsafePath` with status 403 when a link or an escape is found.
    """
    real_root = root.resolve()
    candidate = real_root
    names = [unescape_name(segment) for segment in relative.split("/")] if relative else []
    for segment in names:
        candidate = candidate / segment
        try:
            mode = candidate.lstat().st_mode
        except (FileNotFoundError, NotADirectoryError):
            break
        except OSError as exc:
            raise UnsafePath(f"{relative!r} cannot be looked up: {exc.strerror}") from None
        if stat.S_ISLNK(mode):
            raise UnsafePath(f"{relative!r} goes through a symbolic link", status_code=403)
    target = real_root.joinpath(*names)
    if not target.resolve().is_relative_to(real_root):
        raise UnsafePath(f"{relative!r} leaves the storage area", status_code=403)
    return target


def safe_storage_path(root: Path, raw: str, *, what: str = "path") -> tuple[str, Path]:
    """Normalize ``raw`` and resolve it under ``root``: ``(normalized, absolute path)``."""
    relative = normalize_relative(raw, what=what)
    return relative, resolve_inside(root, relative)
