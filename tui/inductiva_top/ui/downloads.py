"""Downloads started from the UI: several at once, each cancellable, with progress.

A :class:`DownloadManager` belongs to the screen's
:class:`~inductiva_top.ui.services.PaneServices`, not to a pane, so a
download keeps going while the user moves the cursor to other tasks. Each
download is an asyncio task running
:func:`~inductiva_top.transfer.outputs.download_outputs` (or ``download_inputs``);
``on_change`` is called on the event loop whenever a job's progress or
state changes, and a widget redraws from :attr:`DownloadManager.jobs`.
Downloads only read from the server, so read-only mode allows them.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from inductiva_top.api.errors import ApiError
from inductiva_top.transfer.errors import (
    DestinationExists,
    DiskFull,
    TransferError,
    printable_name,
)

if TYPE_CHECKING:
    from inductiva_top.transfer.outputs import TransferClient
    from inductiva_top.transfer.progress import Progress

__all__ = ["DownloadJob", "DownloadManager", "JobState", "describe_error", "skipped_note"]

JobState = Literal["running", "done", "failed", "cancelled"]

KEEP_FINISHED = 5
"""Finished jobs kept on show besides the running ones."""

SKIPPED_SHOWN = 3
"""Skipped names a download's line spells out; the others are counted."""


@dataclass
class DownloadJob:
    """One download: what, where it stands, and how it ended."""

    number: int
    task_id: str
    what: str
    state: JobState = "running"
    progress: Progress | None = None
    destination: Path | None = None
    skipped: tuple[str, ...] = ()
    """Archive members left out for their odd names (raw names; see :func:`skipped_note`)."""
    error: str | None = None


def describe_error(error: BaseException) -> str:
    """One line for the user about why a download failed."""
    if isinstance(error, DestinationExists):
        return f"{error} (nothing was overwritten; move or delete it first)"
    if isinstance(error, DiskFull):
        return f"the disk is full: {error}"
    if isinstance(error, (TransferError, ApiError)):
        return str(error)
    if isinstance(error, OSError):
        return f"cannot write: {error.strerror or error}"
    return f"{type(error).__name__}: {error}"


def skipped_note(skipped: tuple[str, ...], shown: int | None = SKIPPED_SHOWN) -> str:
    """``skipped 2 odd names: a\\b, bell\\x07``: the names escaped, the first ``shown`` of them."""
    if not skipped:
        return ""
    names = [printable_name(name) for name in skipped[:shown]]
    more = len(skipped) - len(names)
    listed = ", ".join(names) + (f" and {more} more" if more else "")
    plural = "s" if len(skipped) != 1 else ""
    return f"skipped {len(skipped)} file{plural} with an odd name: {listed}"


class DownloadManager:
    """Runs downloads into ``output_dir`` (``<output_dir>/<task_id>/outputs/``)."""

    def __init__(
        self,
        client: TransferClient,
        output_dir: Path,
        *,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self.client = client
        self.output_dir = output_dir
        self.on_change = on_change
        self._jobs: list[DownloadJob] = []
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._numbers = itertools.count(1)

    @property
    def jobs(self) -> list[DownloadJob]:
        """Running jobs and the last few finished ones, oldest first."""
        return list(self._jobs)

    @property
    def running(self) -> list[DownloadJob]:
        """The jobs still running."""
        return [job for job in self._jobs if job.state == "running"]

    def start(
        self,
        task_id: str,
        *,
        inputs: bool = False,
        filenames: Sequence[str] | None = None,
        keep_zip: bool = False,
    ) -> DownloadJob:
        """Start a download; returns its job at once (it runs in the background).

        ``filenames`` picks files of the outputs; ``keep_zip`` leaves the
        outputs as the downloaded zip instead of extracting them.
        """
        if inputs:
            what = "inputs"
        elif filenames:
            what = f"{len(filenames)} file{'s' if len(filenames) != 1 else ''}"
        else:
            what = "outputs (zip)" if keep_zip else "outputs"
        job = DownloadJob(next(self._numbers), task_id, what)
        self._jobs.append(job)
        task = asyncio.create_task(self._run(job, inputs, list(filenames or ()), keep_zip))
        self._tasks[job.number] = task
        task.add_done_callback(lambda _: self._tasks.pop(job.number, None))
        self._changed()
        return job

    async def _run(
        self, job: DownloadJob, inputs: bool, filenames: list[str], keep_zip: bool
    ) -> None:
        # Imported at the first download, not with the dashboard: zips, ranges and
        # extraction are a good part of its launch, and most sessions download nothing.
        from inductiva_top.transfer.outputs import download_inputs, download_outputs

        def progress(update: Progress) -> None:
            job.progress = update
            self._changed()

        try:
            if inputs:
                result = await download_inputs(
                    self.client, job.task_id, output_dir=self.output_dir, progress=progress
                )
            else:
                result = await download_outputs(
                    self.client,
                    job.task_id,
                    filenames=filenames or None,
                    output_dir=self.output_dir,
                    uncompress=not keep_zip,
                    progress=progress,
                )
            job.destination, job.skipped = result.path, result.skipped
            job.state = "done"
        except asyncio.CancelledError:
            job.state = "cancelled"
            raise
        except Exception as error:  # every failure is shown, none escapes to the loop
            job.state = "failed"
            job.error = describe_error(error)
        finally:
            self._trim()
            self._changed()

    def cancel_all(self) -> int:
        """Cancel every running download; returns how many were running."""
        running = list(self._tasks.values())
        for task in running:
            task.cancel()
        return len(running)

    async def aclose(self) -> None:
        """Cancel everything and wait until it stopped (the app is quitting)."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _trim(self) -> None:
        finished = [job for job in self._jobs if job.state != "running"]
        for job in finished[:-KEEP_FINISHED]:
            self._jobs.remove(job)

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()
