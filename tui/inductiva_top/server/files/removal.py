"""Removing stored files: one file, or a folder and everything below it.

Backs ``DELETE /storage/`` (the official client's ``Task.remove_remote_files``
removes ``<task_id>/``). It may come while the task still runs, so a file
being written (``*.partial``: an upload or ``output.zip`` in progress) is left
to its writer, with the folders that hold it; the writer's rename then still
lands, and such a file is never listed or served anyway. Symbolic links are
removed as links, never followed.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from inductiva_top.server.files.archive import PARTIAL_SUFFIX


def _remove_file(path: Path) -> int:
    """Unlink one non-folder entry unless it is being written; 1 for a regular file."""
    if path.name.endswith(PARTIAL_SUFFIX):
        return 0
    try:
        mode = path.lstat().st_mode
        path.unlink()
    except FileNotFoundError:
        return 0
    return int(stat.S_ISREG(mode))


def remove_stored(target: Path) -> int:
    """Remove the file or folder at ``target``; returns how many regular files went.

    Raises :class:`FileNotFoundError` when there is nothing at ``target`` (a
    lone half-written file counts as nothing).
    """
    mode = target.lstat().st_mode
    if not stat.S_ISDIR(mode):
        if target.name.endswith(PARTIAL_SUFFIX):
            raise FileNotFoundError(target)
        return _remove_file(target)
    removed = 0
    for folder, dirnames, filenames in os.walk(target, topdown=False, followlinks=False):
        for name in filenames:
            removed += _remove_file(Path(folder, name))
        for name in dirnames:
            path = Path(folder, name)
            if path.is_symlink():  # os.walk lists a link to a folder among the folders
                removed += _remove_file(path)
            else:
                _remove_empty(path)
    _remove_empty(target)
    return removed


def _remove_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not empty: it holds a file being written
        folder.rmdir()
