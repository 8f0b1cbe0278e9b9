"""Turning untrusted storage paths and file names into paths inside the data dir.

Every path that arrives over HTTP (a storage path, a task id, a file name in a
task's work dir) goes through this module before anything touches the disk.
The rules, checked before any file system call:

* no NUL, backslash or other control character;
* no ``.`` or ``..`` segment and no empty segment (``a//b``), no name over 255 bytes;
* leading slashes are dropped: storage paths are relative to the user's storage
  root, as in the real API, whose official client asks for ``/<task_id>/input.zip``
  when no storage prefix is set. ``/etc/passwd`` therefore names
  ``<storage>/etc/passwd``, never the system file.

Then, on the disk: no existing component below the root may be a symbolic link,
and the resolved path must still be inside the resolved root.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

MAX_PATH_CHARS = 1024
MAX_NAME_BYTES = 255  # NAME_MAX of common file systems

_TASK_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")
_FORBIDDEN_CHARS = re.compile(r"[\x00-\x1f\x7f\\]")


class UnsafePath(ValueError):
    """A path was refused; ``status_code`` is the HTTP status to answer with."""

    def __init__(self, detail: str, status_code: int = 400) -> None:
        super().__init__(detail)
        self.detail = detail
        self.status_code = status_code


def normalize_relative(raw: str, *, what: str = "path") -> str:
    """Check ``raw`` syntactically and return it without leading/trailing slashes.

    The empty string (or ``/``) is the root and is returned as ``""``.
    """
    if len(raw) > MAX_PATH_CHARS:
        raise UnsafePath(f"{what} is longer than {MAX_PATH_CHARS} characters")
    if _FORBIDDEN_CHARS.search(raw):
        raise UnsafePath(f"{what} {raw!r} contains a control character or a backslash")
    trimmed = raw.strip("/")
    if not trimmed:
        return ""
    for segment in trimmed.split("/"):
        if segment in ("", ".", ".."):
            raise UnsafePath(f"{what} {raw!r} has an empty, '.' or '..' segment")
        if len(os.fsencode(segment)) > MAX_NAME_BYTES:
            raise UnsafePath(f"{what} has a name longer than {MAX_NAME_BYTES} bytes")
    return trimmed


def check_task_id(task_id: str) -> str:
    """Return ``task_id`` if it is a plausible task id, else raise :class:`UnsafePath`."""
    if not _TASK_ID.fullmatch(task_id):
        raise UnsafePath(f"{task_id!r} is not a valid task id")
    return task_id


def resolve_inside(root: Path, relative: str) -> Path:
    """Join an already normalized ``relative`` path to ``root`` and check it on disk.

    Existing components must not be symbolic links (a missing tail is fine: the
    caller decides whether a missing file is an error). Raises
    :class:`UnsafePath` with status 403 when a link or an escape is found.
    """
    real_root = root.resolve()
    candidate = real_root
    for segment in relative.split("/") if relative else ():
        candidate = candidate / segment
        try:
            mode = candidate.lstat().st_mode
        except (FileNotFoundError, NotADirectoryError):
            break
        except OSError as exc:
            raise UnsafePath(f"{relative!r} cannot be looked up: {exc.strerror}") from None
        if stat.S_ISLNK(mode):
            raise UnsafePath(f"{relative!r} goes through a symbolic link", status_code=403)
    target = real_root.joinpath(*relative.split("/")) if relative else real_root
    if not target.resolve().is_relative_to(real_root):
        raise UnsafePath(f"{relative!r} leaves the storage area", status_code=403)
    return target


def safe_storage_path(root: Path, raw: str, *, what: str = "path") -> tuple[str, Path]:
    """Normalize ``raw`` and resolve it under ``root``: ``(normalized, absolute path)``."""
    relative = normalize_relative(raw, what=what)
    return relative, resolve_inside(root, relative)
