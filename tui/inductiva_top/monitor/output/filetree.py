"""A task's files as a tree: from its output archive's listing, or its live work dir.

Pure: the file pane turns a :class:`FileNode` tree into widgets. ``path`` is
the name as the server gave it (what a download asks for); ``label`` is the
sanitized name to show. Folders come first, then files, each by name.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from inductiva_top.api.live import WorkEntry
from inductiva_top.api.models import FileInfo, Task
from inductiva_top.monitor import fmt
from inductiva_top.monitor.sanitize import sanitize_name

__all__ = ["FileNode", "archive_summary", "summary", "tree_from_archive", "tree_from_workdir"]


@dataclass
class FileNode:
    """A file (``children is None``) or a folder of the tree."""

    label: str
    path: str
    size: int | None = None
    compressed_size: int | None = None
    children: dict[str, FileNode] | None = None
    _sorted: list[FileNode] | None = field(default=None, repr=False)

    @property
    def is_dir(self) -> bool:
        """Whether this is a folder."""
        return self.children is not None

    def entries(self) -> list[FileNode]:
        """Children, folders first, then by name (empty for a file)."""
        if self.children is None:
            return []
        if self._sorted is None:
            self._sorted = sorted(self.children.values(), key=lambda n: (not n.is_dir, n.label))
        return self._sorted

    def files(self) -> Iterator[FileNode]:
        """Every file below (or this one, for a file)."""
        if self.children is None:
            yield self
            return
        for child in self.entries():
            yield from child.files()

    @property
    def total_size(self) -> int | None:
        """Bytes of every file below; None when no file has a known size."""
        sizes = [f.size for f in self.files() if f.size is not None]
        return sum(sizes) if sizes else None

    @property
    def total_compressed(self) -> int | None:
        """Compressed bytes of every file below; None when none is known."""
        sizes = [f.compressed_size for f in self.files() if f.compressed_size is not None]
        return sum(sizes) if sizes else None

    def _folder(self, name: str, path: str) -> FileNode:
        assert self.children is not None
        node = self.children.get(name)
        if node is None or not node.is_dir:
            node = self.children[name] = FileNode(sanitize_name(name) or "?", path, children={})
            self._sorted = None
        return node

    def _add(self, parts: Sequence[str], info: FileInfo | None) -> None:
        node = self
        for depth, part in enumerate(parts[:-1]):
            node = node._folder(part, "/".join(parts[: depth + 1]) + "/")
        name = parts[-1]
        assert node.children is not None
        node.children[name] = FileNode(
            sanitize_name(name) or "?",
            "/".join(parts),
            size=info.size if info else None,
            compressed_size=info.compressed_size if info else None,
        )
        node._sorted = None


def tree_from_archive(contents: Sequence[FileInfo]) -> FileNode:
    """The archive listing (names relative to the outputs, ``vtk/a.vtk``) as a tree."""
    root = FileNode("outputs", "", children={})
    for info in contents:
        parts = [part for part in info.name.split("/") if part]
        if not parts or info.name.endswith("/"):
            if parts:
                node = root
                for depth, part in enumerate(parts):
                    node = node._folder(part, "/".join(parts[: depth + 1]) + "/")
            continue
        root._add(parts, info)
    return root


def tree_from_workdir(entries: Sequence[WorkEntry]) -> FileNode:
    """The live work dir listing as a tree (no sizes: the route gives names only)."""
    root = FileNode("work dir", "", children={})

    def fill(node: FileNode, items: Sequence[WorkEntry], prefix: str) -> None:
        assert node.children is not None
        for entry in items:
            if entry.children is None:
                node.children[entry.name] = FileNode(
                    sanitize_name(entry.name) or "?", prefix + entry.name
                )
            else:
                folder = node._folder(entry.name, prefix + entry.name + "/")
                fill(folder, entry.children, prefix + entry.name + "/")
        node._sorted = None

    fill(root, entries, "")
    return root


def summary(root: FileNode) -> str:
    """The line on top of the tree: ``12 files · 3.4 MiB (1.1 MiB compressed)``."""
    count = sum(1 for _ in root.files()) if root.children else 0
    text = fmt.plural(count, "file")
    total = root.total_size
    if total is not None:
        text += f" · {fmt.size(total)}"
        compressed = root.total_compressed
        if compressed is not None:
            text += f" ({fmt.size(compressed)} compressed)"
    return text


def archive_summary(root: FileNode, task: Task) -> str:
    """The line on top of a finished task's outputs: :func:`summary`, then the archive's size.

    ``12 files · 3.4 MiB (1.1 MiB compressed) · output.zip 1.2 MiB``. The
    archive's size is the task's ``output_zipped_size_bytes`` metric (the
    task runner measures the zip it stores). ``size`` of ``zip-contents`` is
    not that: the official client prints it as "Total size" beside the summed
    compressed sizes, and the embedded server sends the files' uncompressed
    total, which :func:`summary` already shows. Without the metric the
    archive's size is left out rather than guessed.
    """
    text = summary(root)
    zipped = task.metrics.output_zipped_size_bytes if task.metrics is not None else None
    if zipped is not None:
        name = posixpath.basename(task.storage_output_path or "") or "output.zip"
        text += f" · {sanitize_name(name, 40)} {fmt.size(zipped)}"
    return text
