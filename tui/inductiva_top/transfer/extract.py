"""Safe extraction of zip members into a destination directory.

Extraction happens in two steps. :func:`~inductiva_top.transfer.plan.plan_extraction`
checks everything that can be checked before writing a byte. Then
:class:`StagedExtraction` decodes each member into a hidden staging directory
inside the destination, checking the caps again on the bytes actually
produced (headers can lie), and only when every member is whole moves them
into place. A failure removes the staging directory: nothing is left
half-written, and nothing is ever written outside the destination. Members
with odd names are skipped and listed (:attr:`Extracted.skipped`).

:func:`extract_zip` runs both over a local zip file; ``outputs`` runs them
over members fetched by range requests.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import BinaryIO

from inductiva_top.transfer.decode import MemberDecoder
from inductiva_top.transfer.errors import (
    ArchiveLimitExceeded,
    BadArchive,
    TransferError,
    printable_name,
)
from inductiva_top.transfer.plan import (
    DEFAULT_LIMITS,
    ExtractionPlan,
    ExtractLimits,
    PlannedFile,
    check_existing,
    choose_prefix,
    plan_extraction,
    resolve_target,
    write_error,
)
from inductiva_top.transfer.progress import ProgressCallback, ProgressMeter
from inductiva_top.transfer.zipindex import (
    LOCAL_HEADER_SIZE,
    ZipMember,
    data_offset,
    load_index_sync,
)

__all__ = [
    "DEFAULT_LIMITS",
    "ExtractLimits",
    "Extracted",
    "ExtractionPlan",
    "MemberWriter",
    "PlannedFile",
    "StagedExtraction",
    "choose_prefix",
    "extract_zip",
    "plan_extraction",
]

_READ_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Extracted:
    """What an extraction wrote, and the members it skipped for their odd names."""

    files: list[Path]
    skipped: tuple[str, ...] = ()


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
            raise write_error(exc, self.plan.dest) from None
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
                resolve_target(self.plan.dest, planned.relative, planned.member.name, parents)
                check_existing(planned, self.plan.overwrite)
                os.replace(path, target)
                done.append(target)
        except OSError as exc:
            raise write_error(exc, self.plan.dest) from None
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
            raise write_error(exc, path) from None

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
            raise write_error(exc, self._path) from None

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
            raise write_error(exc, self._path) from None


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
) -> Extracted:
    """Extract a local zip into ``dest`` safely; returns the files written and those skipped.

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
            return Extracted(stage.commit(), plan.skipped)
