"""Packing a task's input directory and streaming it to a signed upload URL.

The archive is laid out as the official client's ``pack_input`` lays it out:
every file of the input directory under the member prefix ``sim_dir/``, so a
server unpacks it the same way whichever client sent it. It is written to a
temporary file (never held in memory) and sent with one ``PUT`` whose body is
read from disk chunk by chunk, as the official ``upload_file`` does.
"""

from __future__ import annotations

import asyncio
import os
import stat
import tempfile
import zipfile
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

__all__ = [
    "INPUT_PREFIX",
    "InputArchive",
    "InputError",
    "StorageUploader",
    "input_zip_path",
    "iter_file",
    "pack_input",
    "packed_input",
    "upload_file",
]

INPUT_PREFIX = "sim_dir/"
"""Member prefix of every input file inside ``input.zip``."""

CHUNK_BYTES = 1024 * 1024

Progress = Callable[[int, int], None]
"""Called with (bytes sent so far, total bytes)."""


class InputError(Exception):
    """The input directory cannot be packed; the message says why, in one line."""


class StorageUploader(Protocol):
    """What uploading needs from the API client (``InductivaClient`` has it)."""

    async def storage_put(self, url: str, body: AsyncIterator[bytes], size: int) -> None: ...


@dataclass(frozen=True)
class InputArchive:
    """A packed input zip on disk: where it is, its size, and what it holds."""

    path: Path
    size: int
    files: int
    input_bytes: int


def input_zip_path(task_id: str) -> str:
    """The storage path of a task's inputs: ``<task_id>/input.zip``."""
    return f"{task_id}/input.zip"


def _walk(root: Path) -> Iterator[tuple[Path, str]]:
    """Files and empty directories under ``root``, as (path, member name), sorted.

    Symbolic links to files are packed as the files they point to (as
    ``shutil.copytree`` does for the official client); links to directories
    are not followed, so a link cycle cannot make the archive endless.
    """
    for current, dirs, files in os.walk(root, followlinks=False):
        dirs.sort()
        base = Path(current)
        relative = base.relative_to(root).as_posix()
        prefix = INPUT_PREFIX if relative == "." else f"{INPUT_PREFIX}{relative}/"
        if not files and not dirs:
            yield base, prefix
        for name in sorted(files):
            yield base / name, prefix + name


def pack_input(input_dir: Path | None, dest: Path) -> InputArchive:
    """Write the input zip of ``input_dir`` (or an empty ``sim_dir/``) to ``dest``.

    Raises :class:`InputError` when the directory is missing, is not a
    directory, or holds a file that cannot be read.
    """
    files = 0
    input_bytes = 0
    try:
        with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            if input_dir is None:
                archive.writestr(INPUT_PREFIX, b"")
            else:
                root = _checked_dir(input_dir)
                for path, member in _walk(root):
                    if member.endswith("/"):
                        archive.writestr(member, b"")
                        continue
                    try:
                        info = path.stat()
                    except OSError as exc:
                        # A dangling link: name it rather than send an archive without it.
                        raise InputError(f"cannot read {path}: {exc.strerror}") from None
                    if not stat.S_ISREG(info.st_mode):
                        continue  # sockets, fifos, devices: not input data
                    try:
                        archive.write(path, member)
                    except OSError as exc:
                        raise InputError(f"cannot read {path}: {exc.strerror}") from None
                    files += 1
                    input_bytes += info.st_size
    except OSError as exc:
        raise InputError(f"cannot write the input archive {dest}: {exc.strerror}") from None
    return InputArchive(dest, dest.stat().st_size, files, input_bytes)


def _checked_dir(input_dir: Path) -> Path:
    if not input_dir.exists():
        raise InputError(f"input directory {input_dir} does not exist")
    if not input_dir.is_dir():
        raise InputError(f"input directory {input_dir} is not a directory")
    return input_dir.resolve()


@asynccontextmanager
async def packed_input(input_dir: Path | None) -> AsyncIterator[InputArchive]:
    """Pack ``input_dir`` (off the event loop) into a temporary zip, removed afterwards."""
    handle, name = tempfile.mkstemp(prefix="inductiva-top-input-", suffix=".zip")
    os.close(handle)
    path = Path(name)
    try:
        yield await asyncio.to_thread(pack_input, input_dir, path)
    finally:
        await asyncio.to_thread(path.unlink, missing_ok=True)


async def iter_file(
    path: Path, size: int, progress: Progress | None = None, chunk_bytes: int = CHUNK_BYTES
) -> AsyncIterator[bytes]:
    """The first ``size`` bytes of ``path`` in chunks, read off the event loop."""
    sent = 0
    stream = await asyncio.to_thread(path.open, "rb")
    try:
        while sent < size:
            chunk = await asyncio.to_thread(stream.read, min(chunk_bytes, size - sent))
            if not chunk:
                raise InputError(f"{path} shrank while it was being uploaded")
            sent += len(chunk)
            if progress is not None:
                progress(sent, size)
            yield chunk
    finally:
        stream.close()


async def upload_file(
    client: StorageUploader, url: str, path: Path, progress: Progress | None = None
) -> int:
    """PUT the file at ``path`` to the signed ``url``, streamed; returns its size."""
    size = (await asyncio.to_thread(path.stat)).st_size
    await client.storage_put(url, iter_file(path, size, progress), size)
    return size
