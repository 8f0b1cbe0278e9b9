"""Checking an extraction before a byte is written: :func:`plan_extraction`.

Every name (see :mod:`~inductiva_top.transfer.safepath`: an odd one is skipped
and listed in the plan, an unsafe one refuses the archive), symlink members,
unsupported or encrypted members, duplicates, file/folder clashes, where each
name resolves (even through symlinks already inside the destination), the
caps of :class:`ExtractLimits` on the declared sizes, files that already
exist, and the free disk space.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from inductiva_top.transfer.decode import check_supported
from inductiva_top.transfer.errors import (
    ArchiveLimitExceeded,
    BadArchive,
    DestinationExists,
    DiskFull,
    InsufficientSpace,
    LocalWriteError,
    OddMemberName,
    UnsafeMember,
    printable_name,
)
from inductiva_top.transfer.safepath import member_relative_path
from inductiva_top.transfer.zipindex import ZipMember

__all__ = [
    "DEFAULT_LIMITS",
    "ExtractLimits",
    "ExtractionPlan",
    "PlannedFile",
    "check_existing",
    "choose_prefix",
    "plan_extraction",
    "resolve_target",
    "write_error",
]


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
    skipped: tuple[str, ...] = ()
    """Names of the files left out because their names are odd (see :mod:`.safepath`)."""


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
    skipped: list[str] = []
    parents: dict[PurePosixPath, Path] = {}
    total = 0
    for member in members:
        # Every member is checked, even one that would be skipped: a hostile archive is refused.
        strip = next((p for p in prefixes if member.name.startswith(p)), None)
        try:
            relative = member_relative_path(member.name, strip or "")
        except OddMemberName:
            relative, odd = None, True
        else:
            odd = False
        if member.is_symlink:
            raise UnsafeMember(
                f"refusing archive member {printable_name(member.name)}: it is a symbolic link",
                member=member.name,
            )
        if odd and strip is not None and not member.is_dir:
            skipped.append(member.name)
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
        target = resolve_target(root, relative, member.name, parents)
        files.append(PlannedFile(member, relative, target))
    _check_nesting(files, directories)
    for planned in files:
        check_existing(planned, overwrite)
    _check_space(root, total + reserve, limits)
    dirs = tuple(resolve_target(root, d, d.as_posix(), parents) for d in sorted(directories))
    return ExtractionPlan(root, tuple(files), dirs, total, overwrite, limits, tuple(skipped))


def _check_ratio(member: ZipMember, limits: ExtractLimits) -> None:
    if member.size < limits.ratio_min_bytes:
        return
    if member.size > limits.max_ratio * max(1, member.compressed_size):
        raise ArchiveLimitExceeded(
            f"refusing {printable_name(member.name)}: {member.compressed_size} compressed bytes "
            f"claim {member.size} (ratio above {limits.max_ratio:g}; a zip bomb?)"
        )


def resolve_target(
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


def check_existing(planned: PlannedFile, overwrite: bool) -> None:
    """Refuse a target that is a folder, or that exists when not ``overwrite``."""
    target = planned.target
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise write_error(exc, target) from None
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


def write_error(exc: OSError, path: Path) -> LocalWriteError:
    """The one-line error for a failed local write; ENOSPC and quotas are :class:`DiskFull`."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFull(f"the disk is full extracting into {path}; nothing was kept")
    return LocalWriteError(f"cannot write {path}: {exc.strerror or exc}")
