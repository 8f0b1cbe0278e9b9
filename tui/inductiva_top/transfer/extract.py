"""Safe extraction of zip members into a destination directory.

Extraction happens in two steps. :func:`plan_extraction` checks everything
that can be checked before writing a byte: every name (see
:mod:`~inductiva_top.transfer.safepath`), symlink members, duplicates, where
each name resolves (even through symlinks already inside the destination),
the caps of :class:`ExtractLimits` on the declared sizes, files that already
exist, and the free disk space. Then :class:`StagedExtraction` decodes each
member into a hidden staging directory inside the destination, checking the
caps again on the bytes actually produced (headers can lie), and only when
every member is whole moves them into place. A failure removes the staging
directory: nothing is left half-written, and nothing is ever written outside
the destination.

:func:`extract_zip` runs both over a local zip file; ``outputs`` runs them
over members fetched by range requests.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import tempfile
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import BinaryIO

from inductiva_top.transfer.decode import MemberDecoder, check_supported
from inductiva_top.transfer.errors import (
    ArchiveLimitExceeded,
    BadArchive,
    DestinationExists,
    DiskFull,
    InsufficientSpace,
    LocalWriteError,
    TransferError,
    UnsafeMember,
    printable_name,
)
from inductiva_top.transfer.progress import ProgressCallback, ProgressMeter
from inductiva_top.transfer.safepath import member_relative_path
from inductiva_top.transfer.zipindex import (
    LOCAL_HEADER_SIZE,
    ZipMember,
    data_offset,
    load_index_sync,
)

__all__ = [
    "DEFAULT_LIMITS",
    "ExtractLimits",
    "ExtractionPlan",
    "PlannedFile",
    "StagedExtraction",
    "choose_prefix",
    "extract_zip",
    "plan_extraction",
]

_READ_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class ExtractLimits:
    """Caps against zip bombs and runaway archives.

    ``max_ratio`` (content size over compressed size) applies to members of
    at least ``ratio_min_bytes``: deflate never exceeds about 1030:1, so the
    default only stops bzip2/lzma bombs, while sizes and free space stop the
    rest. ``space_margin`` bytes are left free on the disk.
    """

    max_entries: int = 1_000_000
    max_total_bytes: int = 1 << 40
    max_ratio: float = 2000.0
    ratio_min_bytes: int = 1 << 20
    space_margin: int = 64 << 20


DEFAULT_LIMITS = ExtractLimits()


@dataclass(frozen=True)
class PlannedFile:
    """One member to extract, and the file it becomes."""

    member: ZipMember
    relative: PurePosixPath
    target: Path


@dataclass(frozen=True)
class ExtractionPlan:
    """Everything that will be written, already checked."""

    dest: Path
    files: tuple[PlannedFile, ...]
    directories: tuple[Path, ...]
    total_bytes: int
    overwrite: bool
    limits: ExtractLimits


def choose_prefix(members: Iterable[ZipMember], prefix: str) -> str:
    """``prefix`` when some member lies under it, else ``""`` (extract everything).

    This mirrors the official client: an archive with ``artifacts/`` gives
    only what is inside it, one without gives all of its members.
    """
    return prefix if prefix and any(m.name.startswith(prefix) for m in members) else ""


def plan_extraction(
    members: Sequence[ZipMember],
    dest: Path,
    *,
    prefix: str | tuple[str, ...] = "",
    overwrite: bool = False,
    limits: ExtractLimits = DEFAULT_LIMITS,
    reserve: int = 0,
) -> ExtractionPlan:
    """Check ``members`` for extraction into ``dest``; raise before anything is written.

    Each member loses the first of ``prefix`` it starts with; a member under
    none of them is skipped (``""`` matches every member). ``reserve`` is
    space needed on the same disk besides the content (the zip to download).
    """
    prefixes = (prefix,) if isinstance(prefix, str) else prefix
    if len(members) > limits.max_entries:
        raise ArchiveLimitExceeded(
            f"the archive has {len(members)} entries, above the cap of {limits.max_entries}"
        )
    root = dest.resolve()
    files: list[PlannedFile] = []
    directories: set[PurePosixPath] = set()
    seen: set[str] = set()
    parents: dict[PurePosixPath, Path] = {}
    total = 0
    for member in members:
        # Every member is checked, even one that would be skipped: a hostile archive is refused.
        strip = next((p for p in prefixes if member.name.startswith(p)), None)
        relative = member_relative_path(member.name, strip or "")
        if member.is_symlink:
            raise UnsafeMember(
                f"refusing archive member {printable_name(member.name)}: it is a symbolic link",
                member=member.name,
            )
        if relative is None or strip is None:
            continue
        if member.is_dir:
            directories.add(relative)
            continue
        key = relative.as_posix()
        if key in seen:
            raise UnsafeMember(
                f"refusing archive member {printable_name(member.name)}: it appears twice",
                member=member.name,
            )
        seen.add(key)
        check_supported(member)
        _check_ratio(member, limits)
        total += member.size
        if total > limits.max_total_bytes:
            raise ArchiveLimitExceeded(
                f"the archive's content exceeds the cap of {limits.max_total_bytes} bytes"
            )
        target = _target(root, relative, member.name, parents)
        files.append(PlannedFile(member, relative, target))
    _check_nesting(files, directories)
    for planned in files:
        _check_existing(planned, overwrite)
    _check_space(root, total + reserve, limits)
    dirs = tuple(_target(root, d, d.as_posix(), parents) for d in sorted(directories))
    return ExtractionPlan(root, tuple(files), dirs, total, overwrite, limits)


def _check_ratio(member: ZipMember, limits: ExtractLimits) -> None:
    if member.size < limits.ratio_min_bytes:
        return
    if member.size > limits.max_ratio * max(1, member.compressed_size):
        raise ArchiveLimitExceeded(
            f"refusing {printable_name(member.name)}: {member.compressed_size} compressed bytes "
            f"claim {member.size} (ratio above {limits.max_ratio:g}; a zip bomb?)"
        )


def _target(
    root: Path,
    relative: PurePosixPath,
    name: str,
    parents: dict[PurePosixPath, Path] | None = None,
) -> Path:
    """Where ``relative`` lands, refused if it resolves outside ``root`` (via symlinks too).

    ``parents`` caches resolved folders: a big archive has many files per folder.
    """
    target = root.joinpath(*relative.parts)
    real_parent = parents.get(relative.parent) if parents is not None else None
    if real_parent is None:
        real_parent = target.parent.resolve()
        if parents is not None:
            parents[relative.parent] = real_parent
    real = real_parent / target.name
    if real.is_symlink():
        real = real.resolve()
    if not real.is_relative_to(root):
        raise UnsafeMember(
            f"refusing archive member {printable_name(name)}: it resolves outside the destination",
            member=name,
        )
    return target


def _check_nesting(files: list[PlannedFile], directories: set[PurePosixPath]) -> None:
    """A name cannot be both a file and a folder (of another member, or a folder entry)."""
    names = {f.relative for f in files}
    paths = [(f.relative, f.member.name) for f in files]
    paths += [(d / "_", d.as_posix() + "/") for d in directories]
    for relative, member_name in paths:
        for parent in relative.parents:
            if parent in names:
                raise BadArchive(
                    f"corrupt zip: {printable_name(parent.as_posix())} is both a file "
                    f"and the folder of {printable_name(member_name)}"
                )


def _check_existing(planned: PlannedFile, overwrite: bool) -> None:
    target = planned.target
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise _write_error(exc, target) from None
    if stat.S_ISDIR(info.st_mode):
        raise DestinationExists(f"{target} exists and is a directory", path=str(target))
    if not overwrite:
        raise DestinationExists(f"{target} already exists; not overwriting it", path=str(target))


def _check_space(root: Path, needed: int, limits: ExtractLimits) -> None:
    probe = root
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    if needed + limits.space_margin > free:
        raise InsufficientSpace(
            f"extracting needs {needed} bytes but only {free} are free on the disk of {root}"
        )


class StagedExtraction:
    """Decode members into a staging directory inside the destination, then move them in.

    Use as a context manager; leaving it without :meth:`commit` (on an error,
    or a cancellation) removes everything staged.
    """

    def __init__(
        self, plan: ExtractionPlan, *, progress: ProgressCallback | None = None, label: str = ""
    ) -> None:
        self.plan = plan
        self._meter = ProgressMeter(
            progress, total=plan.total_bytes, phase="extract", label=label or plan.dest.name
        )
        self._staging: Path | None = None
        self._made_dest = False
        self._staged: list[tuple[Path, PlannedFile]] = []
        self.written = 0
        """Bytes of content written so far."""

    def __enter__(self) -> StagedExtraction:
        try:
            self._made_dest = not self.plan.dest.exists()
            self.plan.dest.mkdir(parents=True, exist_ok=True)
            self._staging = Path(tempfile.mkdtemp(prefix=".extracting-", dir=self.plan.dest))
        except OSError as exc:
            raise _write_error(exc, self.plan.dest) from None
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
            self._staging = None
        if exc_type is not None and self._made_dest:
            # A failed extraction leaves no trace, not even the folder it made.
            with contextlib.suppress(OSError):
                self.plan.dest.rmdir()

    def write_member(self, planned: PlannedFile, raw: Iterable[bytes]) -> None:
        """Decode one member's compressed bytes ``raw`` into the staging directory."""
        writer = self.open(planned)
        try:
            for chunk in raw:
                writer.feed(chunk)
            writer.close()
        except BaseException:
            writer.abort()
            raise

    def open(self, planned: PlannedFile) -> MemberWriter:
        """A writer for one member, fed its compressed bytes piece by piece."""
        if self._staging is None:
            raise RuntimeError("StagedExtraction used outside its 'with' block")
        path = self._staging / str(len(self._staged))
        self._staged.append((path, planned))
        return MemberWriter(self, planned, path)

    def commit(self) -> list[Path]:
        """Move every staged file to its target; returns the targets."""
        try:
            for directory in self.plan.directories:
                directory.mkdir(parents=True, exist_ok=True)
            done: list[Path] = []
            parents: dict[PurePosixPath, Path] = {}
            made: set[Path] = set()
            for path, planned in self._staged:
                target = planned.target
                if target.parent not in made:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    made.add(target.parent)
                # Re-checked here: a folder made by another member, or a file that appeared since.
                _target(self.plan.dest, planned.relative, planned.member.name, parents)
                _check_existing(planned, self.plan.overwrite)
                os.replace(path, target)
                done.append(target)
        except OSError as exc:
            raise _write_error(exc, self.plan.dest) from None
        self._meter.finish()
        return done

    def _account(self, count: int) -> None:
        self.written += count
        self._meter.advance(count)
        if self.written > self.plan.limits.max_total_bytes:
            raise ArchiveLimitExceeded(
                f"the archive's content exceeds the cap of {self.plan.limits.max_total_bytes} bytes"
            )


class MemberWriter:
    """Decodes one member into its staged file, enforcing its declared size as it goes."""

    def __init__(self, stage: StagedExtraction, planned: PlannedFile, path: Path) -> None:
        self._stage = stage
        self._decoder = MemberDecoder(planned.member)
        self._path = path
        try:
            self._file: BinaryIO = open(path, "xb")  # noqa: SIM115 - closed in close()/abort()
        except OSError as exc:
            raise _write_error(exc, path) from None

    def feed(self, chunk: bytes) -> None:
        """Decode and write the next compressed bytes."""
        for piece in self._decoder.feed(chunk):
            self._write(piece)

    def close(self) -> None:
        """Finish the member: last bytes, then its size and CRC checks."""
        self._write(self._decoder.finish())
        try:
            # No fsync per member: thousands of small outputs would cost seconds,
            # and the archive they come from is still there to extract again.
            self._file.close()
        except OSError as exc:
            raise _write_error(exc, self._path) from None

    def abort(self) -> None:
        """Drop the staged file."""
        self._file.close()
        with contextlib.suppress(OSError):
            self._path.unlink()

    def _write(self, piece: bytes) -> None:
        if not piece:
            return
        self._stage._account(len(piece))
        try:
            self._file.write(piece)
        except OSError as exc:
            raise _write_error(exc, self._path) from None


def _write_error(exc: OSError, path: Path) -> LocalWriteError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFull(f"the disk is full extracting into {path}; nothing was kept")
    return LocalWriteError(f"cannot write {path}: {exc.strerror or exc}")


def _iter_local_raw(file: BinaryIO, member: ZipMember, size: int) -> Iterator[bytes]:
    """The compressed bytes of ``member`` in a local zip file."""
    file.seek(member.header_offset)
    start = data_offset(member, file.read(LOCAL_HEADER_SIZE))
    end = start + member.compressed_size
    if end > size:
        name = printable_name(member.name)
        raise BadArchive(f"corrupt zip: {name} runs past the end of the file")
    file.seek(start)
    remaining = member.compressed_size
    while remaining:
        chunk = file.read(min(_READ_CHUNK, remaining))
        if not chunk:
            raise BadArchive(f"corrupt zip: {printable_name(member.name)} is cut short")
        remaining -= len(chunk)
        yield chunk


def _until(stop: threading.Event | None, chunks: Iterator[bytes]) -> Iterator[bytes]:
    for chunk in chunks:
        if stop is not None and stop.is_set():
            raise TransferError("extraction cancelled")
        yield chunk


def extract_zip(
    zip_path: Path,
    dest: Path,
    *,
    prefix: str = "",
    overwrite: bool = False,
    limits: ExtractLimits = DEFAULT_LIMITS,
    progress: ProgressCallback | None = None,
    stop: threading.Event | None = None,
) -> list[Path]:
    """Extract a local zip into ``dest`` safely; returns the files written.

    ``prefix`` (``"artifacts/"``) is stripped when the archive has it (see
    :func:`choose_prefix`). Blocking: run it in a thread from async code
    (``progress`` is then called from that thread); setting ``stop`` ends
    it early with :class:`TransferError`, leaving nothing behind.
    """
    with open(zip_path, "rb") as file:
        size = os.fstat(file.fileno()).st_size

        def read(start: int, end: int) -> bytes:
            file.seek(start)
            return file.read(end - start)

        index = load_index_sync(read, size)
        prefix = choose_prefix(index.members, prefix)
        plan = plan_extraction(
            index.members, dest, prefix=prefix, overwrite=overwrite, limits=limits
        )
        with StagedExtraction(plan, progress=progress) as stage:
            for planned in plan.files:
                chunks = _iter_local_raw(file, planned.member, size)
                stage.write_member(planned, _until(stop, chunks))
            return stage.commit()
