"""The last bytes of one file inside a finished task's output archive.

What the tail pane shows for a finished task: ``/storage/zip-contents`` gives
the file's compression method and size, ``/storage/zip-file-range`` where its
data lies, and one HTTP ``Range`` request on the signed URL fetches it (only
its last ``max_bytes`` when it is stored, its whole compressed data
otherwise; see :func:`~inductiva_top.transfer.rangezip.tail_range`). The
archive is never downloaded.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from typing import Protocol

from inductiva_top.api.models import FileInfo, ZipArchiveInfo, ZipFileRange
from inductiva_top.transfer.errors import MemberNotFound, NotAvailable, printable_name
from inductiva_top.transfer.rangezip import DEFAULT_MAX_FETCH, tail_member, tail_range
from inductiva_top.transfer.sources import HttpRangeSource
from inductiva_top.transfer.storage import StorageStreamer

__all__ = ["TailClient", "tail_archived_file"]


class TailClient(StorageStreamer, Protocol):
    """The calls of :class:`~inductiva_top.api.client.InductivaClient` a tail makes."""

    async def zip_contents(
        self, path: str, zip_relative_path: str = "", recursive: bool = False
    ) -> ZipArchiveInfo: ...

    async def zip_file_range(
        self, path: str, zip_relative_path: str, filename: str
    ) -> ZipFileRange: ...

    async def signed_urls(
        self, paths: Sequence[str], operation: str = "download", region: str | None = None
    ) -> list[str | None]: ...


async def tail_archived_file(
    client: TailClient,
    storage_path: str,
    filename: str,
    max_bytes: int,
    *,
    zip_relative_path: str = "artifacts/",
    region: str | None = None,
    url: str | None = None,
    max_fetch: int = DEFAULT_MAX_FETCH,
) -> bytes:
    """The last ``max_bytes`` of ``filename`` (``stdout.txt``, ``logs/run.log``) in the archive.

    ``storage_path`` is the task's ``storage_output_path``; ``url`` a signed
    URL for it already at hand (else one is asked for). Raises
    :class:`MemberNotFound` when the archive has no such file, and
    :class:`~inductiva_top.transfer.errors.ArchiveLimitExceeded` when a
    compressed file's data is above ``max_fetch`` bytes.
    """
    folder, name = posixpath.split(filename.strip("/"))
    relative = zip_relative_path + (folder + "/" if folder else "")
    listing = await client.zip_contents(storage_path, zip_relative_path=relative)
    info = _find(listing.contents, name)
    if info is None:
        raise MemberNotFound(f"{printable_name(filename)} is not in the archive", names=[filename])
    if url is None:
        url = (await client.signed_urls([storage_path], "download", region))[0]
        if not url:
            shown = printable_name(storage_path)
            raise NotAvailable(f"the server gave no download URL for {shown}")
    source = HttpRangeSource(client, url)
    byte_range = await client.zip_file_range(storage_path, relative, name)
    method = byte_range.compress_type
    method = info.compress_type if method is None else method
    if method is None:
        # Neither answer named the method: read it from the archive's own directory.
        return await tail_member(source, relative + name, max_bytes, max_fetch=max_fetch)
    return await tail_range(
        source,
        byte_range.range_start,
        byte_range.range_end + 1,
        method,
        max_bytes,
        size=info.size,
        max_fetch=max_fetch,
        name=filename,
    )


def _find(contents: Sequence[FileInfo], name: str) -> FileInfo | None:
    for info in contents:
        if info.name == name:
            return info
    return None
