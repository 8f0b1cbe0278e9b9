"""Reading a task's work dir: the tree, the tail of a file, the newest file.

Pure file-system helpers behind the live routes; symbolic links are listed by
name but never followed. Names are given in their escaped form
(:func:`~inductiva_top.server.files.paths.escape_name`): a task may name a file
with bytes that are not text.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from inductiva_top.server.files.listing import regular_files
from inductiva_top.server.files.paths import escape_name
from inductiva_top.server.layout import MONITOR_FILES

# A listing as the real task runner sends it: files as strings, folders as {name: [...]}.
Tree = list[str | dict[str, "Tree"]]

TAIL_BLOCK_BYTES = 64 * 1024
MAX_TAIL_BYTES = 8 * 1024 * 1024
MAX_TREE_ENTRIES = 20_000


def list_tree(root: Path, max_entries: int = MAX_TREE_ENTRIES) -> Tree:
    """The nested listing of ``root``, sorted by name, at most ``max_entries`` names."""
    budget = [max_entries]

    def walk(folder: Path) -> Tree:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            return []
        tree: Tree = []
        for entry in entries:
            if budget[0] <= 0:
                break
            budget[0] -= 1
            if entry.is_dir(follow_symlinks=False):
                tree.append({escape_name(entry.name): walk(Path(entry.path))})
            else:
                tree.append(escape_name(entry.name))
        return tree

    return walk(root)


def _decode_lines(data: bytes) -> list[str]:
    return [line.rstrip("\r") for line in data.decode("utf-8", errors="replace").split("\n")]


def tail_lines(path: Path, count: int, *, complete_only: bool = False) -> tuple[list[str], int]:
    """The last ``count`` lines of ``path`` and the byte offset where they end.

    With ``complete_only`` a final line without its newline is left out, and the
    offset points just after the last newline (where a follower resumes).
    At most the last ``MAX_TAIL_BYTES`` are read: in a file without newlines
    (binary data, progress bars) the first line returned is then cut short.
    """
    with path.open("rb") as handle:
        end = os.fstat(handle.fileno()).st_size
        data = b""
        position = end
        # One newline more than asked, so the first line kept is whole.
        while position > 0 and data.count(b"\n") <= count and len(data) < MAX_TAIL_BYTES:
            step = min(TAIL_BLOCK_BYTES, position)
            position -= step
            handle.seek(position)
            data = handle.read(step) + data
    if complete_only:
        cut = data.rfind(b"\n") + 1
        data = data[:cut]
        end = position + cut
    if count <= 0 or not data:
        return [], end
    return _decode_lines(data.removesuffix(b"\n"))[-count:], end


def read_from(path: Path, offset: int, limit: int) -> tuple[bytes, int]:
    """Up to ``limit`` bytes of ``path`` from ``offset``, and the file's current size.

    A file shorter than ``offset`` (truncated, rewritten) is read from the start.
    """
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size < offset:
            offset = 0
        handle.seek(offset)
        return handle.read(min(limit, size - offset)), size


def split_complete(buffer: bytes) -> tuple[list[str], bytes]:
    """Complete lines of ``buffer`` and the unfinished rest."""
    cut = buffer.rfind(b"\n")
    if cut < 0:
        return [], buffer
    return _decode_lines(buffer[:cut]), buffer[cut + 1 :]


@dataclass(frozen=True)
class LastModified:
    most_recent_file: str
    most_recent_timestamp: float
    now_timestamp: float
    time_since_last_mod: float


def newest_file(root: Path, now: float) -> LastModified | None:
    """The most recently modified regular file below ``root`` (path relative to it).

    The runner's own monitoring files at the top of the work dir are skipped,
    as the real file tracker skips them.
    """
    best: tuple[float, str] | None = None
    for entry, info in regular_files(root):
        relative = str(Path(entry.path).relative_to(root))
        if relative in MONITOR_FILES:
            continue
        if best is None or info.st_mtime > best[0]:
            best = (info.st_mtime, escape_name(relative))
    if best is None:
        return None
    return LastModified(
        most_recent_file=best[1],
        most_recent_timestamp=best[0],
        now_timestamp=now,
        time_since_last_mod=max(now - best[0], 0.0),
    )
