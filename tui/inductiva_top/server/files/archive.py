"""Unpacking a task's input zip and packing its outputs into ``output.zip``.

Inputs: members under ``sim_dir/`` land at the top of the work dir (members
outside it keep their path); a member that would escape the work dir
(absolute, ``..``, a drive) is refused and nothing of it is written.

Outputs: every regular file of the work dir, under ``artifacts/`` (which has its
own directory entry, as the official client expects), names in their escaped
form (:func:`~inductiva_top.server.files.paths.escape_name`). Symbolic
links are skipped, never followed, so a task cannot make the server archive
files from outside its work dir. The zip is written to a temporary name next
to its destination, flushed to disk, then renamed into place: a reader sees
either no ``output.zip`` or a complete one, even after a crash.
"""

from __future__ import annotations

import os
import shutil
import stat
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from inductiva_top.server.files.paths import escape_name

INPUT_PREFIX = "sim_dir/"
OUTPUT_PREFIX = "artifacts/"
PARTIAL_SUFFIX = ".partial"
_CHUNK = 1 << 20


class BadInput(ValueError):
    """The input archive is not usable; the message says why."""


@dataclass(frozen=True)
class Unpacked:
    """What unpacking produced."""

    files: int
    bytes: int


@dataclass(frozen=True)
class Packed:
    """What packing produced."""

    files: int
    bytes: int
    zipped_bytes: int


def _member_target(work_dir: Path, name: str) -> Path | None:
    relative = name[len(INPUT_PREFIX) :] if name.startswith(INPUT_PREFIX) else name
    if not relative or relative.endswith("/"):
        return None
    pure = PurePosixPath(relative)
    if pure.is_absolute() or ".." in pure.parts or "\\" in relative or ":" in pure.parts[0]:
        raise BadInput(f"input.zip member {name!r} would leave the work dir")
    return work_dir.joinpath(*pure.parts)


def reset_dir(path: Path) -> None:
    """Make ``path`` an empty directory (a rerun starts from clean inputs)."""
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True, mode=0o700)


def unpack_input(zip_path: Path, work_dir: Path) -> Unpacked:
    """Extract ``zip_path`` into the (empty) ``work_dir``.

    Raises :class:`BadInput` for an unreadable or unsafe archive and
    :class:`OSError` when the disk refuses.
    """
    files = total = 0
    try:
        with zipfile.ZipFile(zip_path) as archive:
            members = archive.infolist()
            targets = [(m, _member_target(work_dir, m.filename)) for m in members]
            for member, target in targets:
                if target is None:
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(member) as source, open(target, "wb") as sink:
                    shutil.copyfileobj(source, sink, _CHUNK)
                files += 1
                total += member.file_size
    except zipfile.BadZipFile as error:
        raise BadInput(f"input.zip is not a valid zip archive: {error}") from error
    except (zipfile.LargeZipFile, NotImplementedError, RuntimeError) as error:
        raise BadInput(f"input.zip cannot be extracted: {error}") from error
    return Unpacked(files=files, bytes=total)


def _regular_files(root: Path) -> list[tuple[Path, str]]:
    found: list[tuple[Path, str]] = []
    for directory, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for filename in sorted(filenames):
            path = Path(directory, filename)
            info = path.lstat()
            if stat.S_ISREG(info.st_mode):
                found.append((path, path.relative_to(root).as_posix()))
    return found


def directory_entry(name: str, when: time.struct_time | None = None) -> zipfile.ZipInfo:
    """A zip directory entry ``name`` (ending in ``/``), dated ``when`` (default: now)."""
    info = zipfile.ZipInfo(name, date_time=(when or time.localtime())[:6])
    info.external_attr = (stat.S_IFDIR | 0o755) << 16 | 0x10  # 0x10: MS-DOS directory flag
    return info


def pack_output(work_dir: Path, output_zip: Path) -> tuple[Path, Packed]:
    """Zip the work dir's files to a temporary file next to ``output_zip``.

    Returns the temporary path (hand it to :func:`publish`) and the figures.
    Raises :class:`OSError` when the disk refuses; the temporary file is then removed.
    """
    output_zip.parent.mkdir(parents=True, exist_ok=True)
    partial = output_zip.with_name(output_zip.name + PARTIAL_SUFFIX)
    files = total = 0
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            # The official client extracts only ``artifacts/`` when the archive
            # has that directory entry, and everything (prefix included) otherwise.
            archive.writestr(directory_entry(OUTPUT_PREFIX), b"")
            for path, relative in _regular_files(work_dir):
                # Zip names are text: an odd name is stored in the escaped form the
                # listings give, so it can be asked for by that form.
                archive.write(path, OUTPUT_PREFIX + escape_name(relative))
                files += 1
                total += path.stat().st_size
        with open(partial, "rb") as handle:
            os.fsync(handle.fileno())
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return partial, Packed(files=files, bytes=total, zipped_bytes=partial.stat().st_size)


def publish(partial: Path, output_zip: Path) -> None:
    """Atomically move a finished zip into place."""
    os.replace(partial, output_zip)
    directory = os.open(output_zip.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def remove_partials(storage: Path) -> int:
    """Delete half-written zips left by a crash; returns how many."""
    removed = 0
    if storage.is_dir():
        for path in storage.glob(f"*/*{PARTIAL_SUFFIX}"):
            path.unlink(missing_ok=True)
            removed += 1
    return removed
