"""Listing a folder of the storage area, for ``GET /storage/contents``.

Entries follow the official client's ``StorageFile`` model. Conventions:

* ``name`` is the entry's storage path relative to the storage root, in its
  escaped form (what ``/storage/signed-urls`` accepts back), without a trailing slash;
  ``is_directory`` tells folders apart.
* not recursive: the folder's direct children; a folder's ``size_bytes`` is
  null. Recursive: still the direct children, but each folder carries the total
  size of the files below it and the newest modification time among them (the
  official client's ``recursive`` flag means "compute folder sizes").
* ``creation_time`` is the modification time (Linux keeps no portable birth time).
* ``path_filter`` keeps entries whose name contains it; ``sort_by`` is
  ``creation_time`` (default), ``size`` or ``name``; ``order`` ``desc`` (default) or ``asc``.
* Symbolic links, hidden files and half-written files (``*.partial``: uploads
  and outputs in progress) are never listed.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from inductiva_top.server.files.archive import PARTIAL_SUFFIX
from inductiva_top.server.files.paths import escape_name

SortBy = Literal["creation_time", "size", "name"]
Order = Literal["asc", "desc"]


@dataclass(frozen=True)
class StorageEntry:
    name: str
    size_bytes: int | None
    creation_time: datetime
    is_directory: bool


def _visible(entry: os.DirEntry[str]) -> bool:
    name = entry.name
    return not (name.startswith(".") or name.endswith(PARTIAL_SUFFIX) or entry.is_symlink())


def regular_files(
    root: Path, keep: Callable[[os.DirEntry[str]], bool] | None = None
) -> Iterator[tuple[os.DirEntry[str], os.stat_result]]:
    """Every regular file below ``root`` with its ``lstat``, folder by folder.

    Symbolic links are neither followed nor given; entries that ``keep``
    refuses (files or whole folders) and entries that cannot be read are skipped.
    """
    stack = [root]
    while stack:
        current = stack.pop()
        try:
            entries = list(os.scandir(current))
        except OSError:
            continue
        for entry in entries:
            if keep is not None and not keep(entry):
                continue
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISDIR(info.st_mode):
                stack.append(Path(entry.path))
            elif stat.S_ISREG(info.st_mode):
                yield entry, info


def folder_totals(folder: Path) -> tuple[int, float]:
    """Total size of the regular files below ``folder`` and their newest mtime."""
    total, newest = 0, folder.stat().st_mtime
    for _, info in regular_files(folder, _visible):
        total += info.st_size
        newest = max(newest, info.st_mtime)
    return total, newest


def list_folder(folder: Path, relative: str, recursive: bool) -> list[StorageEntry]:
    """The visible direct children of ``folder`` (whose storage path is ``relative``)."""
    entries: list[StorageEntry] = []
    for entry in os.scandir(folder):
        if not _visible(entry):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        name = f"{relative}/{escape_name(entry.name)}" if relative else escape_name(entry.name)
        if stat.S_ISDIR(info.st_mode):
            size: int | None = None
            mtime = info.st_mtime
            if recursive:
                size, mtime = folder_totals(Path(entry.path))
            entries.append(StorageEntry(name, size, _utc(mtime), True))
        elif stat.S_ISREG(info.st_mode):
            entries.append(StorageEntry(name, info.st_size, _utc(info.st_mtime), False))
    return entries


def single_file(path: Path, relative: str) -> StorageEntry:
    """The entry for one regular file (listing a file lists just that file)."""
    info = path.stat()
    return StorageEntry(relative, info.st_size, _utc(info.st_mtime), False)


def sort_and_filter(
    entries: list[StorageEntry], path_filter: str | None, sort_by: SortBy, order: Order
) -> list[StorageEntry]:
    """Filter by substring, then sort; ties are broken by name for a stable paging."""
    kept = [e for e in entries if not path_filter or path_filter in e.name]
    kept.sort(key=lambda e: e.name)

    def key(entry: StorageEntry) -> float | str:
        if sort_by == "size":
            return entry.size_bytes if entry.size_bytes is not None else -1
        if sort_by == "name":
            return entry.name
        return entry.creation_time.timestamp()

    kept.sort(key=key, reverse=order == "desc")
    return kept


def _utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=timezone.utc)
