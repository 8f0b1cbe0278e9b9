"""The file-tree pane: the cursor task's outputs (or live work dir), and downloads.

A finished task shows its output archive (``zip-contents``, recursive) with
sizes and compressed sizes, the totals and the size of ``output.zip`` on top.
A running task shows its work dir through :mod:`~inductiva_top.api.live`
(whichever transport reaches it), listed again every few seconds. Keys while
the tree has focus: space marks a file or folder, ``d`` downloads the marked
ones (all outputs when none is marked), ``D`` the inputs, ``x`` toggles
keeping the zip instead of extracting, Esc cancels running downloads. A key
that cannot act on the task (``d`` before the outputs exist) is greyed out.

One exclusive worker per pane lists files, so moving the cursor cancels the
previous task's listing. A listing that fails is asked again by itself at
the poll loop's pace (:class:`~inductiva_top.monitor.retrying.Retrying`);
the error shows, in full, only while it lasts. Downloads belong to the
:class:`~inductiva_top.ui.downloads.DownloadManager` and go on.
"""

from __future__ import annotations

from contextlib import aclosing
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.reactive import reactive
from textual.widgets import Static, Tree
from textual.widgets.tree import TreeNode

from inductiva_top.api.errors import ApiError, NotFound
from inductiva_top.api.live import NoLive, WorkEntry
from inductiva_top.api.models import Task, TaskWithStatusHistory
from inductiva_top.monitor import fmt
from inductiva_top.monitor.output.filetree import (
    FileNode,
    archive_summary,
    summary,
    tree_from_archive,
    tree_from_workdir,
)
from inductiva_top.monitor.output.tailsource import TailSource, choose_source
from inductiva_top.monitor.retrying import Retrying, waiting_text
from inductiva_top.transfer.errors import missing_outputs
from inductiva_top.ui.services import PaneServices
from inductiva_top.ui.widgets.downloads import DownloadsBar
from inductiva_top.ui.widgets.header import update_if_changed
from inductiva_top.ui.widgets.trouble import Trouble

__all__ = ["MAX_NODES", "FileTree", "FilesPanel"]

MAX_NODES = 2000
"""Tree nodes drawn at most; a note says how many more files there are."""

LISTED_AT_THE_END = "The outputs are listed once the task has finished."
DOWNLOADABLE_AT_THE_END = "d: outputs once the task ends"


def _label(node: FileNode, marked: bool) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append("● " if marked else "  ", style="bold green")
    text.append(node.label + ("/" if node.is_dir else ""), style="bold" if node.is_dir else "")
    size = node.total_size if node.is_dir else node.size
    if size is not None:
        text.append(f"  {fmt.size(size)}", style="dim")
        compressed = node.total_compressed if node.is_dir else node.compressed_size
        if compressed is not None:
            text.append(f" ({fmt.size(compressed)} zipped)", style="dim")
    return text


class FileTree(Tree[FileNode]):
    """The tree of files; space marks instead of folding (Enter folds)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "mark", "Mark", id="files.mark"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("files", id=id)
        self.show_root = False
        self.marked: set[str] = set()
        """Paths of the marked files and folders (``vtk/`` for a folder)."""

    def show(self, root: FileNode) -> int:
        """Replace the tree with ``root``'s entries; returns how many were left out."""
        self.clear()
        kept = set(self.marked)
        self.marked = set()
        budget = [MAX_NODES]

        def fill(parent: TreeNode[FileNode], node: FileNode, depth: int) -> int:
            skipped = 0
            for child in node.entries():
                if budget[0] <= 0:
                    skipped += sum(1 for _ in child.files())
                    continue
                budget[0] -= 1
                marked = child.path in kept
                if marked:
                    self.marked.add(child.path)
                label = _label(child, marked)
                if child.is_dir:
                    branch = parent.add(label, data=child, expand=depth < 1)
                    skipped += fill(branch, child, depth + 1)
                else:
                    parent.add_leaf(label, data=child)
            return skipped

        return fill(self.root, root, 0)

    def action_mark(self) -> None:
        """Mark or unmark the file or folder under the cursor."""
        node = self.cursor_node
        if node is None or node.data is None:
            return
        path = node.data.path
        if path in self.marked:
            self.marked.discard(path)
        else:
            self.marked.add(path)
        node.set_label(_label(node.data, path in self.marked))
        self.action_cursor_down()


class FilesPanel(Vertical):
    """The selected task's files, with the totals on top and downloads below."""

    DEFAULT_CSS = """
    FilesPanel { height: 1fr; }
    FilesPanel > #files-summary { height: auto; max-height: 3; color: $text-muted; }
    FilesPanel > FileTree { height: 1fr; }
    FilesPanel > #files-hint { height: auto; max-height: 3; color: $text-muted; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "download", "Download", id="files.download"),
        Binding("D", "download_inputs", "Inputs", id="files.download_inputs"),
        Binding("x", "toggle_zip", "Keep zip", show=False, id="files.toggle_zip"),
        Binding("escape", "cancel_downloads", "Cancel", show=False, id="files.cancel"),
    ]

    selected: reactive[TaskWithStatusHistory | Task | None] = reactive(None, repaint=False)
    """The task whose files are listed; a new task or state (running -> finished) lists
    again. Set without a repaint:
    that would redraw the whole pane, borders and all, at every poll."""

    def __init__(self, services: PaneServices | None = None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.services = services
        self.keep_zip = False
        """``x``: download all outputs as the zip, not extracted."""
        self.root: FileNode | None = None
        """What the tree shows (None: nothing listed)."""
        self.source: TailSource | None = None
        self.no_archive = False
        """The finished task has no output archive (nothing to download)."""
        self.trouble = ""
        """Why the files cannot be listed right now (shown while it lasts)."""
        self._listed: tuple[str, TailSource] | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="files-summary")
        yield Trouble(id="files-trouble")
        yield FileTree(id="files-tree")
        yield Static(id="files-hint")
        yield DownloadsBar(self.services.downloads if self.services else None, id="downloads")

    @property
    def file_tree(self) -> FileTree:
        """The tree widget."""
        return self.query_one(FileTree)

    # --- attributes down ----------------------------------------------------------

    def watch_selected(self, task: TaskWithStatusHistory | Task | None) -> None:
        if task is None:
            self.workers.cancel_group(self, "files")
            self._listed = None
            self._show_trouble("")
            self._set_root(None, "No task selected.")
            return
        if self.services is None:
            self._set_root(None, "Files need the API client.")
            return
        source = choose_source(task)
        key = (task.task_id, source)
        if key == self._listed:
            return
        if self._listed is None or self._listed[0] != task.task_id:
            self.file_tree.marked = set()
        self._listed = key
        self.source = source
        self.no_archive = False
        self._show_trouble("")
        self.refresh_bindings()
        self._list(task, source)

    @work(exclusive=True, group="files", exit_on_error=False)
    async def _list(self, task: Task, source: TailSource) -> None:
        services = self.services
        if services is None:
            return
        if source is TailSource.NOT_STARTED:
            self._set_root(None, "The task has not started yet: no files so far.")
            return
        self._set_root(None, "listing…")
        retrying = Retrying(services.policy)
        try:
            if source is TailSource.ARCHIVE:
                await self._list_archive(services, task, retrying)
            else:
                await self._list_live(services, task, retrying)
        except ApiError as error:  # asking again cannot help (a refusal, a bad key)
            self._listed = None  # coming back to the task asks again
            self._show_trouble(f"Could not list the files: {error}")
            if self.root is None:
                self._set_root(None, "")

    async def _list_live(self, services: PaneServices, task: Task, retrying: Retrying) -> None:
        live = await retrying.ask(lambda: services.live.live_for(task.task_id), self._waiting)
        self._show_trouble("")
        if isinstance(live, NoLive):
            self._set_root(None, f"{live.message} {LISTED_AT_THE_END}")
            return

        async def shown(entries: tuple[WorkEntry, ...]) -> bool:
            self._show_trouble("")
            root = tree_from_workdir(entries)
            self._set_root(root, f"{summary(root)} · live work dir ({live.via})")
            return True

        async with aclosing(live):
            # No work dir yet, no answer, no path: asked again at the transport's pace.
            await retrying.repeat(
                live.files, shown, self._waiting, every=live.poll_seconds, wait_for=live.retry_after
            )

    async def _list_archive(self, services: PaneServices, task: Task, retrying: Retrying) -> None:
        path = task.storage_output_path or f"{task.task_id}/output.zip"
        try:
            info = await retrying.ask(
                lambda: services.client.zip_contents(path, "artifacts/", recursive=True),
                self._waiting,
            )
        except NotFound:
            self._show_trouble("")
            self.no_archive = True
            self.refresh_bindings()
            self._set_root(None, missing_outputs(task))
            return
        self._show_trouble("")
        root = tree_from_archive(info.contents)
        self._set_root(root, archive_summary(root, task))

    def _waiting(self, error: ApiError, seconds_left: float) -> None:
        self._show_trouble(f"Could not list the files: {waiting_text(error, seconds_left)}")

    def _show_trouble(self, text: str) -> None:
        """Say why the files cannot be listed (in full); ``""`` once they can."""
        self.trouble = text
        self.query_one(Trouble).say(text)

    def _set_root(self, root: FileNode | None, summary_text: str) -> None:
        unchanged = root is not None and self.root is not None and _same(root, self.root)
        self.root = root
        skipped = 0
        if root is None:
            self.file_tree.clear()
        elif not unchanged:
            skipped = self.file_tree.show(root)
        note = f" · {fmt.count(skipped)} more not shown" if skipped else ""
        update_if_changed(self.query_one("#files-summary", Static), Text(summary_text + note))
        self._hint()

    def _hint(self) -> None:
        marked = len(self.file_tree.marked)
        parts = []
        if self.can_download_outputs:
            parts.append(f"{marked} marked" if marked else "space marks")
            parts.append("d: download them" if marked else "d: all outputs")
        elif self.no_archive:
            parts.append("no outputs to download")
        else:
            parts.append(DOWNLOADABLE_AT_THE_END)
        if self.can_download_inputs:
            parts.append("D: inputs")
        if self.can_download_outputs:
            parts.append("x: keep zip ON" if self.keep_zip else "x: keep zip off")
        update_if_changed(self.query_one("#files-hint", Static), Text(" · ".join(parts)))

    @property
    def can_download_outputs(self) -> bool:
        """Whether ``d`` can work: the task finished and its archive is not known missing."""
        return self.source is TailSource.ARCHIVE and not self.no_archive

    @property
    def can_download_inputs(self) -> bool:
        """Whether ``D`` can work: the inputs were uploaded."""
        task = self.selected
        return task is not None and task.status != "pending-input"

    # --- actions --------------------------------------------------------------------

    def action_download(self) -> None:
        """``d``: the marked files, or every output when none is marked."""
        task = self.selected
        if task is None or self.services is None:
            return
        marked = sorted(self.file_tree.marked)
        if not self.can_download_outputs:
            # Also reached from the palette: say why rather than fail in the strip.
            why = (
                "The task has no outputs."
                if self.no_archive
                else "The outputs exist once the task has finished."
            )
            self.notify(why, title="Nothing to download yet", severity="warning")
            return
        self.services.downloads.start(
            task.task_id, filenames=marked or None, keep_zip=self.keep_zip and not marked
        )

    def action_download_inputs(self) -> None:
        """``D``: the task's inputs."""
        if self.selected is not None and self.services is not None and self.can_download_inputs:
            self.services.downloads.start(self.selected.task_id, inputs=True)

    def action_toggle_zip(self) -> None:
        """``x``: keep the outputs as the zip instead of extracting them."""
        self.keep_zip = not self.keep_zip
        self._hint()

    def action_cancel_downloads(self) -> None:
        """Esc: cancel the running downloads."""
        if self.services is not None and self.services.downloads.cancel_all():
            self.notify("Downloads cancelled.")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_downloads":
            # Esc is the screen's "clear" unless downloads are running.
            return self.services is not None and bool(self.services.downloads.running)
        if action == "download":
            return True if self.can_download_outputs else None
        if action == "download_inputs":
            return True if self.can_download_inputs else None
        return True

    def on_tree_node_highlighted(self) -> None:
        self._hint()


def _same(a: FileNode, b: FileNode) -> bool:
    """Whether two listings show the same files with the same sizes (no redraw needed)."""
    left = [(f.path, f.size) for f in a.files()]
    right = [(f.path, f.size) for f in b.files()]
    return left == right
