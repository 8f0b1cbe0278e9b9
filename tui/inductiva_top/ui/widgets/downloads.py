"""The downloads strip: one entry per download, with bytes, rate and ETA.

Redraws whenever the :class:`~inductiva_top.ui.downloads.DownloadManager`
reports a change; hidden while there is nothing to show. An entry wraps
rather than being cut at the pane's width, and the strip keeps the newest in
view (a few rows; the mouse scrolls back). Each download that ends also says
so in a toast, in full: where the files went, or the whole error.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from inductiva_top.monitor import fmt
from inductiva_top.monitor.sanitize import sanitize_name
from inductiva_top.ui.downloads import DownloadJob, DownloadManager, skipped_note

__all__ = ["DownloadsBar", "job_line"]

ERROR_CHARS = 1000
"""The most of a download's error shown (a path inside it can be long)."""

_STATE_STYLES = {"running": "cyan", "done": "green", "failed": "red", "cancelled": "yellow"}
_SYMBOLS = {"running": "⇣", "done": "✔", "failed": "✘", "cancelled": "⊘"}


def _shown_path(path: Path | None) -> str:
    """``path`` relative to the working directory when it is below it (shorter)."""
    if path is None:
        return ""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


def job_line(job: DownloadJob) -> Text:
    """One download as text (sanitized, no markup); it wraps where the strip is narrow."""
    text = Text()
    text.append(f"{_SYMBOLS[job.state]} ", style=_STATE_STYLES[job.state])
    text.append(f"{sanitize_name(job.task_id, 32)} {job.what}")
    progress = job.progress
    if job.state == "running":
        if progress is None:
            text.append("  starting…", style="dim")
        else:
            done = fmt.size(progress.done)
            total = f" / {fmt.size(progress.total)}" if progress.total is not None else ""
            text.append(f"  {progress.phase} {done}{total}")
            remaining = progress.total - progress.done if progress.total is not None else None
            text.append(f"  {fmt.rate(progress.rate)}  {fmt.eta(remaining, progress.rate)}")
            text.append("  Esc cancels", style="dim")
    elif job.state == "done":
        text.append(f"  → {sanitize_name(_shown_path(job.destination), 200)}", style="dim")
        if job.skipped:
            text.append(f"  {sanitize_name(skipped_note(job.skipped), 300)}", style="yellow")
    elif job.state == "failed":
        text.append(f"  {sanitize_name(job.error or '', ERROR_CHARS)}", style="red")
    else:
        text.append("  cancelled", style="dim")
    return text


class DownloadsBar(VerticalScroll, can_focus=False):
    """The manager's jobs, newest last (scrolled to the newest when they do not all fit)."""

    DEFAULT_CSS = """
    DownloadsBar { height: auto; max-height: 6; display: none; }
    DownloadsBar.-busy { display: block; }
    DownloadsBar > Static { height: auto; }
    """

    def __init__(self, manager: DownloadManager | None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.manager = manager
        self._announced: set[int] = set()

    def compose(self) -> ComposeResult:
        yield Static(id="downloads-jobs")

    @property
    def text(self) -> str:
        """The jobs as shown, one entry per line (before wrapping)."""
        return str(self.query_one("#downloads-jobs", Static).render())

    def on_mount(self) -> None:
        if self.manager is not None:
            self.manager.on_change = self.redraw
        self.redraw()

    def on_unmount(self) -> None:
        if self.manager is not None and self.manager.on_change == self.redraw:
            self.manager.on_change = None

    def redraw(self) -> None:
        """Show the manager's current jobs."""
        jobs = self.manager.jobs if self.manager is not None else []
        self.set_class(bool(jobs), "-busy")
        self.query_one("#downloads-jobs", Static).update(
            Text("\n").join(job_line(job) for job in jobs)
        )
        self.scroll_end(animate=False)
        for job in jobs:
            if job.state != "running" and job.number not in self._announced:
                self._announced.add(job.number)
                self._announce(job)

    def _announce(self, job: DownloadJob) -> None:
        """A toast for a download that ended: where the files went, or why it failed."""
        what = f"{job.what} of {sanitize_name(job.task_id, 32)}"
        if job.state == "done":
            where = sanitize_name(_shown_path(job.destination), 300)
            self.notify(f"{what} → {where}", title="Downloaded", markup=False)
        elif job.state == "failed":
            error = sanitize_name(job.error or "", 600)
            self.notify(error, title=f"Download failed: {what}", severity="error", markup=False)
