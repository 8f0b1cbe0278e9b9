"""The errors of :mod:`inductiva_top.transfer`.

Transport and HTTP failures keep arriving as the :mod:`inductiva_top.api`
error tree; these are the failures of the transfer itself: a bad or unsafe
archive, a full disk, a destination that already exists. Each ``str()`` is
one line fit to show a user; member names inside it come from an archive, so
they are made printable first (:func:`printable_name`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CLI imports this module at start; pydantic is not needed then
    from inductiva_top.api.models import Task

__all__ = [
    "ArchiveChanged",
    "ArchiveLimitExceeded",
    "BadArchive",
    "DestinationExists",
    "DiskFull",
    "DownloadIncomplete",
    "InsufficientSpace",
    "LocalWriteError",
    "MemberNotFound",
    "NotAvailable",
    "OddMemberName",
    "RangeNotSupported",
    "TransferError",
    "UnsafeMember",
    "UnsupportedCompression",
    "missing_outputs",
    "printable_name",
]

_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_NAME_CHARS = 160


def printable_name(name: str) -> str:
    """A member name as a user may safely see it: controls escaped, length capped."""
    shown = _UNPRINTABLE.sub(lambda m: f"\\x{ord(m.group()):02x}", name)
    if len(shown) > _NAME_CHARS:
        shown = shown[: _NAME_CHARS - 1] + "…"
    return shown


def missing_outputs(task: Task) -> str:
    """Why a task has no output archive in storage, as one sentence."""
    if task.outputs_uploaded:
        return "Outputs removed from storage."
    return "The task has no output archive."


class TransferError(Exception):
    """Base of every error a download, a range read or an extraction raises."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class DestinationExists(TransferError):
    """A file would be overwritten, and overwriting was not asked for."""

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(message)
        self.path = path


class LocalWriteError(TransferError):
    """A local file or directory could not be written."""


class DiskFull(LocalWriteError):
    """The disk filled up while writing (ENOSPC or a quota)."""


class InsufficientSpace(TransferError):
    """The free disk space is less than what would be written."""


class DownloadIncomplete(TransferError):
    """The body ended with a size other than the one announced, or retries ran out."""


class RangeNotSupported(TransferError):
    """The storage host ignored or refused an HTTP ``Range`` request."""


class ArchiveChanged(TransferError):
    """The remote archive changed (another ETag or size) between two range reads."""


class BadArchive(TransferError):
    """The bytes are not a well-formed zip, or a member failed its CRC or size check."""


class UnsupportedCompression(BadArchive):
    """A member uses a compression method this program cannot decompress."""


class NotAvailable(TransferError):
    """What was asked for does not exist (yet): outputs of a running task, no signed URL."""


class MemberNotFound(TransferError):
    """A requested file is not in the archive."""

    def __init__(self, message: str, *, names: list[str]) -> None:
        super().__init__(message)
        self.names = names


class UnsafeMember(TransferError):
    """A member would write outside the destination, or is a link; ``member`` names it."""

    def __init__(self, message: str, *, member: str) -> None:
        super().__init__(message)
        self.member = member


class OddMemberName(UnsafeMember):
    """A name legal in a zip but not safe to write everywhere (a backslash, a control character).

    Extraction skips such a member and lists it; a caller that does not is refused.
    """


class ArchiveLimitExceeded(TransferError):
    """A cap on entry count, total size or compression ratio was hit (a zip bomb?)."""
