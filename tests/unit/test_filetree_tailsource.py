"""The file tree model and the tail source choice."""

from __future__ import annotations

from inductiva_top.api.live import WorkEntry
from inductiva_top.api.models import FileInfo, Task
from inductiva_top.monitor.output.filetree import summary, tree_from_archive, tree_from_workdir
from inductiva_top.monitor.output.tailsource import (
    TailMode,
    TailSource,
    choose_source,
    mode_files,
    next_mode,
    source_message,
)


def test_archive_tree_nests_sorts_and_totals() -> None:
    root = tree_from_archive(
        [
            FileInfo(name="z.txt", size=10, compressed_size=5),
            FileInfo(name="vtk/", size=0),
            FileInfo(name="vtk/b.vtk", size=1000, compressed_size=100),
            FileInfo(name="vtk/a\x1b[31m.vtk", size=24, compressed_size=20),
        ]
    )
    entries = root.entries()
    assert [e.label for e in entries] == ["vtk", "z.txt"]
    vtk = entries[0]
    assert vtk.is_dir and vtk.path == "vtk/"
    assert [c.path for c in vtk.entries()] == ["vtk/a\x1b[31m.vtk", "vtk/b.vtk"]
    assert "\x1b" not in vtk.entries()[0].label  # shown sanitized, asked for as is
    assert vtk.total_size == 1024 and vtk.total_compressed == 120
    assert summary(root) == "3 files · 1.0 KiB (125 B compressed)"


def test_workdir_tree_has_names_only() -> None:
    root = tree_from_workdir([WorkEntry("b.txt"), WorkEntry("d", (WorkEntry("c.txt"),))])
    assert [e.path for e in root.entries()] == ["d/", "b.txt"]
    assert [f.path for f in root.files()] == ["d/c.txt", "b.txt"]
    assert summary(root) == "2 files"


def task(status: str, terminated: bool | None = None) -> Task:
    return Task(task_id="t", status=status, is_terminated=terminated)


def test_source_follows_the_state() -> None:
    assert choose_source(task("success")) is TailSource.ARCHIVE
    assert choose_source(task("killed")) is TailSource.ARCHIVE
    assert choose_source(task("computation-started", terminated=True)) is TailSource.ARCHIVE
    assert choose_source(task("computation-started")) is TailSource.LIVE
    assert choose_source(task("pending-kill")) is TailSource.LIVE
    assert choose_source(task("submitted")) is TailSource.NOT_STARTED
    assert choose_source(task("some-new-state")) is TailSource.NOT_STARTED
    assert "not started" in (source_message(TailSource.NOT_STARTED) or "")
    assert source_message(TailSource.LIVE) is None


def test_modes_cycle_and_mark_streams_only_when_merged() -> None:
    assert next_mode(TailMode.STDOUT) is TailMode.STDERR
    assert next_mode(TailMode.STDERR) is TailMode.BOTH
    assert next_mode(TailMode.BOTH) is TailMode.STDOUT
    assert mode_files(TailMode.STDOUT) == ((None, "stdout.txt"),)
    assert mode_files(TailMode.BOTH) == (("stdout", "stdout.txt"), ("stderr", "stderr.txt"))
