"""Downloading a task's outputs or inputs, all of them or chosen files.

The destination is the official client's: ``<output_dir>/<task_id>/outputs/``
(inputs: ``.../inputs/``). Everything is one zip in storage
(``<task_id>/output.zip``, members under ``artifacts/``; inputs under
``sim_dir/``), read through a signed URL:

* all files: the whole zip is downloaded (resumable, see
  :mod:`~inductiva_top.transfer.download`) to ``<output_dir>/<task_id>/output.zip``,
  extracted safely with the prefix stripped, then removed unless ``keep_zip``;
  with ``uncompress=False`` the zip itself is the result, at
  ``<output_dir>/<task_id>/outputs/output.zip``, as the official client leaves it.
* chosen files: the zip's central directory and those members only are read
  with HTTP ``Range`` requests, and written uncompressed to the same place
  (``uncompress`` does not apply, as in the official client).

Either way a member whose name is legal in a zip but odd on a disk (a
backslash, a control character) is skipped, and :attr:`Downloaded.skipped`
names it; the rest is extracted.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from inductiva_top.api.models import TaskWithStatusHistory
from inductiva_top.transfer.download import download_file
from inductiva_top.transfer.errors import (
    MemberNotFound,
    NotAvailable,
    RangeNotSupported,
    printable_name,
)
from inductiva_top.transfer.extract import (
    DEFAULT_LIMITS,
    Extracted,
    ExtractionPlan,
    ExtractLimits,
    StagedExtraction,
    choose_prefix,
    extract_zip,
    plan_extraction,
)
from inductiva_top.transfer.progress import Progress, ProgressCallback, ProgressMeter
from inductiva_top.transfer.rangezip import iter_member_raw, load_index
from inductiva_top.transfer.sources import HttpRangeSource
from inductiva_top.transfer.storage import StorageStreamer
from inductiva_top.transfer.threads import in_thread, stoppable_in_thread
from inductiva_top.transfer.zipindex import ZipIndex, ZipMember

__all__ = [
    "INPUTS",
    "OUTPUTS",
    "ArchiveKind",
    "Downloaded",
    "TransferClient",
    "check_task_id",
    "download_inputs",
    "download_outputs",
    "select_members",
]

_BATCH = 1024 * 1024


class TransferClient(StorageStreamer, Protocol):
    """The calls of :class:`~inductiva_top.api.client.InductivaClient` a download makes."""

    async def get_task(self, task_id: str) -> TaskWithStatusHistory: ...

    async def signed_urls(
        self, paths: Sequence[str], operation: str = "download", region: str | None = None
    ) -> list[str | None]: ...


@dataclass(frozen=True)
class ArchiveKind:
    """Outputs or inputs: where they are stored, their member prefix, where they go."""

    subdir: str
    zip_name: str
    prefix: str
    is_output: bool
    root_files: tuple[str, ...] = ()
    """Files asked for by name that live at the zip's root, not under ``prefix``."""

    def storage_path(self, task: TaskWithStatusHistory) -> str | None:
        stored = task.storage_output_path if self.is_output else task.storage_input_path
        return stored or (f"{task.task_id}/{self.zip_name}" if task.task_id else None)

    def member_name(self, filename: str) -> str:
        clean = filename.strip().lstrip("/")
        return clean if clean in self.root_files else self.prefix + clean


@dataclass(frozen=True)
class Downloaded:
    """Where a download went, and the archive members it skipped for their odd names."""

    path: Path
    skipped: tuple[str, ...] = ()


OUTPUTS = ArchiveKind("outputs", "output.zip", "artifacts/", is_output=True)
INPUTS = ArchiveKind("inputs", "input.zip", "sim_dir/", is_output=False, root_files=("input.json",))


async def download_outputs(
    client: TransferClient,
    task_id: str,
    *,
    filenames: Sequence[str] | None = None,
    output_dir: Path = Path("inductiva_output"),
    uncompress: bool = True,
    keep_zip: bool = False,
    overwrite: bool = False,
    progress: ProgressCallback | None = None,
    limits: ExtractLimits = DEFAULT_LIMITS,
) -> Downloaded:
    """Download a task's outputs into ``<output_dir>/<task_id>/outputs/`` (the result's path).

    ``filenames`` (relative to the outputs, like ``stdout.txt`` or ``vtk/``
    for a whole folder) selects files, read by range requests. An existing
    file is never overwritten unless ``overwrite``.
    """
    return await _download(
        client,
        task_id,
        OUTPUTS,
        filenames=filenames,
        output_dir=output_dir,
        uncompress=uncompress,
        keep_zip=keep_zip,
        overwrite=overwrite,
        progress=progress,
        limits=limits,
    )


async def download_inputs(
    client: TransferClient,
    task_id: str,
    *,
    filenames: Sequence[str] | None = None,
    output_dir: Path = Path("inductiva_output"),
    uncompress: bool = True,
    keep_zip: bool = False,
    overwrite: bool = False,
    progress: ProgressCallback | None = None,
    limits: ExtractLimits = DEFAULT_LIMITS,
) -> Downloaded:
    """Download a task's inputs into ``<output_dir>/<task_id>/inputs/``.

    As :func:`download_outputs`; ``filenames`` are relative to ``sim_dir/``,
    except ``input.json``, which is at the root of the inputs archive.
    """
    return await _download(
        client,
        task_id,
        INPUTS,
        filenames=filenames,
        output_dir=output_dir,
        uncompress=uncompress,
        keep_zip=keep_zip,
        overwrite=overwrite,
        progress=progress,
        limits=limits,
    )


async def _download(
    client: TransferClient,
    task_id: str,
    kind: ArchiveKind,
    *,
    filenames: Sequence[str] | None,
    output_dir: Path,
    uncompress: bool,
    keep_zip: bool,
    overwrite: bool,
    progress: ProgressCallback | None,
    limits: ExtractLimits,
) -> Downloaded:
    check_task_id(task_id)
    task = await client.get_task(task_id)
    if kind.is_output and task.is_terminated is False:
        status = printable_name(task.status)
        raise NotAvailable(
            f"task {printable_name(task_id)} has not finished (status {status}); "
            "its outputs are uploaded when it ends"
        )
    path = kind.storage_path(task)
    urls = await client.signed_urls([path], "download", task.storage_region) if path else [None]
    if not urls[0]:
        if kind.is_output and task.outputs_uploaded:
            raise NotAvailable(f"the outputs of {task_id} were removed from storage")
        raise NotAvailable(f"the server gave no download URL for the {kind.subdir} of {task_id}")
    url = urls[0]
    task_dir = output_dir / task_id
    dest = task_dir / kind.subdir
    if filenames:
        skipped = await _download_members(
            client, url, kind, filenames, dest, overwrite, progress, limits
        )
        return Downloaded(dest, skipped)
    if not uncompress:
        zip_dest = dest / kind.zip_name
        await download_file(client, url, zip_dest, overwrite=overwrite, progress=progress)
        return Downloaded(dest)
    await _precheck(client, url, kind, dest, overwrite, limits)
    # The zip is only a step here: it lives beside the outputs, never among the user's files.
    zip_path = task_dir / kind.zip_name
    await download_file(client, url, zip_path, overwrite=True, progress=progress)
    report = _from_thread(progress)

    def extract(stop: threading.Event) -> Extracted:
        return extract_zip(
            zip_path,
            dest,
            prefix=kind.prefix,
            overwrite=overwrite,
            limits=limits,
            progress=report,
            stop=stop,
        )

    extracted = await stoppable_in_thread(extract)
    if not keep_zip:
        await in_thread(zip_path.unlink, missing_ok=True)
    return Downloaded(dest, extracted.skipped)


async def _precheck(
    client: TransferClient,
    url: str,
    kind: ArchiveKind,
    dest: Path,
    overwrite: bool,
    limits: ExtractLimits,
) -> None:
    """Refuse before downloading: read the central directory by ranges and plan the extraction.

    An unsafe archive, a file that exists, or a disk too small for the zip and
    its content is then known after a few kilobytes, not after the whole zip.
    The extraction checks everything again on the downloaded file.
    """
    source = HttpRangeSource(client, url)
    try:
        index = await load_index(source)
    except RangeNotSupported:
        return  # the storage host cannot do ranges: the checks wait for the download
    prefix = choose_prefix(index.members, kind.prefix)
    await in_thread(
        plan_extraction,
        index.members,
        dest,
        prefix=prefix,
        overwrite=overwrite,
        limits=limits,
        reserve=index.archive_size,
    )


def check_task_id(task_id: str) -> None:
    """Raise :class:`NotAvailable` unless ``task_id`` is one plain path component.

    The id becomes a folder name under ``output_dir``.
    """
    if (
        task_id.strip() in ("", ".", "..")
        or any(c in task_id for c in "/\\:")
        or (not task_id.isprintable())
    ):
        raise NotAvailable(f"'{printable_name(task_id)}' is not a valid task id")


def _from_thread(progress: ProgressCallback | None) -> ProgressCallback | None:
    """Deliver reports made in a worker thread on the event loop's thread."""
    if progress is None:
        return None
    loop = asyncio.get_running_loop()
    callback: ProgressCallback = progress

    def report(update: Progress) -> None:
        loop.call_soon_threadsafe(callback, update)

    return report


def select_members(index: ZipIndex, kind: ArchiveKind, filenames: Sequence[str]) -> list[ZipMember]:
    """The members for ``filenames``; a name ending in ``/`` (or naming a folder) takes its files.

    Raises :class:`MemberNotFound` naming every file that is not in the archive.
    """
    chosen: dict[str, ZipMember] = {}
    missing: list[str] = []
    for filename in filenames:
        name = kind.member_name(filename)
        member = index.find(name)
        if member is not None and not member.is_dir:
            chosen[member.name] = member
            continue
        folder = name if name.endswith("/") else name + "/"
        inside = [m for m in index.members if m.name.startswith(folder) and not m.is_dir]
        if not inside:
            missing.append(filename)
        chosen.update((m.name, m) for m in inside)
    if missing:
        shown = ", ".join(printable_name(name) for name in missing)
        raise MemberNotFound(f"not in the {kind.subdir} archive: {shown}", names=missing)
    return list(chosen.values())


async def _download_members(
    client: TransferClient,
    url: str,
    kind: ArchiveKind,
    filenames: Sequence[str],
    dest: Path,
    overwrite: bool,
    progress: ProgressCallback | None,
    limits: ExtractLimits,
) -> tuple[str, ...]:
    """Fetch and extract the chosen files; returns the names skipped as odd."""
    source = HttpRangeSource(client, url)
    index = await load_index(source)
    members = select_members(index, kind, filenames)
    # The members are chosen already: any that is not under the prefix is a root file.
    prefixes = (kind.prefix, "")
    plan = await in_thread(
        plan_extraction, members, dest, prefix=prefixes, overwrite=overwrite, limits=limits
    )
    meter = ProgressMeter(
        progress, total=sum(m.compressed_size for m in members), phase="fetch", label=dest.name
    )
    await _write_plan(source, plan, meter.advance)
    meter.finish()
    return plan.skipped


async def _write_plan(
    source: HttpRangeSource, plan: ExtractionPlan, fetched: Callable[[int], None]
) -> None:
    """Fetch each planned member by range and decode it into place."""
    with StagedExtraction(plan) as stage:
        for planned in plan.files:
            writer = stage.open(planned)
            try:
                batch = bytearray()
                async with aclosing(iter_member_raw(source, planned.member)) as chunks:
                    async for chunk in chunks:
                        batch += chunk
                        fetched(len(chunk))
                        if len(batch) >= _BATCH:
                            data = bytes(batch)
                            batch.clear()
                            await in_thread(writer.feed, data)
                await in_thread(writer.feed, bytes(batch))
                await in_thread(writer.close)
            except BaseException:
                writer.abort()
                raise
        await in_thread(stage.commit)
