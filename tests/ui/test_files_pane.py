"""The file-tree pane and UI downloads against a real embedded server."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import httpx
from textual.geometry import Region
from textual.widgets import Static

from inductiva_top.monitor import fmt
from inductiva_top.monitor.output.tailsource import TailSource
from inductiva_top.ui.services import PaneServices
from inductiva_top.ui.widgets.downloads import DownloadsBar
from inductiva_top.ui.widgets.files import FilesPanel
from inductiva_top.ui.widgets.trouble import Trouble
from tests.conftest import ServerFactory, ServerProcess
from tests.ui.dashboard_helpers import until
from tests.ui.pane_helpers import client_of, files_on, restartable_server, run_python

OUTPUTS = (
    "import os\n"
    "os.makedirs('vtk/sub')\n"
    "open('vtk/a.vtk', 'w').write('x' * 5000)\n"
    "open('vtk/sub/b.txt', 'w').write('y')\n"
    "print('hello')\n"
)


def summary_text(panel: FilesPanel) -> str:
    return str(panel.query_one("#files-summary").render())


def paths(panel: FilesPanel) -> set[str]:
    root = panel.root
    return {f.path for f in root.files()} if root is not None else set()


async def test_finished_task_lists_its_output_archive(module_server: ServerProcess) -> None:
    task_id = run_python(module_server, OUTPUTS, "success")
    async with client_of(module_server) as client:
        task = await client.get_task(task_id)
        async with files_on(PaneServices(client), task) as (pilot, panel):
            await until(pilot, lambda: panel.root is not None, "the listing")
            assert panel.source is TailSource.ARCHIVE
            # The server's monitoring files are outputs too, as on the cloud.
            assert paths(panel) == {
                "stdout.txt",
                "stderr.txt",
                "vtk/a.vtk",
                "vtk/sub/b.txt",
                "system_metrics.csv",
                "output_update.csv",
            }
            text = summary_text(panel)
            assert text.startswith("6 files · ") and "compressed" in text
            labels = [str(node.label) for node in panel.file_tree.root.children]
            assert labels[0].strip().startswith("vtk/")  # folders first
            assert any("zipped" in label for label in labels)


async def test_running_task_lists_its_live_work_dir(module_server: ServerProcess) -> None:
    script = (
        "import time, pathlib\n"
        "pathlib.Path('early.txt').write_text('1')\n"
        "time.sleep(1.5)\n"
        "pathlib.Path('later.txt').write_text('2')\n"
        "time.sleep(600)\n"
    )
    task_id = run_python(module_server, script, "computation-started", files={"input.dat": b"in"})
    async with client_of(module_server, kill=[task_id]) as client:
        task = await client.get_task(task_id)
        async with files_on(PaneServices(client), task) as (pilot, panel):
            await until(pilot, lambda: "input.dat" in paths(panel), "the work dir")
            assert panel.source is TailSource.LIVE
            assert summary_text(panel).endswith("live work dir (HTTP)")
            await until(pilot, lambda: "later.txt" in paths(panel), "the refreshed listing")


async def test_download_marked_file_and_all_outputs_from_keys(
    module_server: ServerProcess, tmp_path: Path
) -> None:
    task_id = run_python(module_server, OUTPUTS, "success", files={"input.dat": b"in"})
    async with client_of(module_server) as client:
        services = PaneServices(client, output_dir=tmp_path)
        task = await client.get_task(task_id)
        async with files_on(services, task) as (pilot, panel):
            await until(pilot, lambda: panel.root is not None, "the listing")
            tree = panel.file_tree
            tree.focus()
            # Cursor to stdout.txt, mark it, download.
            target = next(
                n for n in tree.root.children if n.data is not None and n.data.path == "stdout.txt"
            )
            tree.move_cursor(target)
            # Under load the tree may not have laid out its lines yet: wait for the cursor.
            await until(pilot, lambda: tree.cursor_node is target, "the cursor on stdout.txt")
            await pilot.press("space")
            assert tree.marked == {"stdout.txt"}
            await pilot.press("d")
            outputs = tmp_path / task_id / "outputs"
            jobs = services.downloads.jobs
            await until(pilot, lambda: jobs[-1].state != "running", "the download")
            assert jobs[-1].state == "done", jobs[-1].error
            assert (outputs / "stdout.txt").read_text() == "hello\n"
            assert not (outputs / "vtk").exists()  # only the marked file
            # Again: the file exists, and is not overwritten; the error says so.
            await pilot.press("d")
            await until(pilot, lambda: services.downloads.jobs[-1].state != "running", "again")
            failed = services.downloads.jobs[-1]
            assert failed.state == "failed" and "overwritten" in (failed.error or "")
            assert "✘" in panel.app.query_one(DownloadsBar).text
            # Unmark, download inputs (D).
            await pilot.press("D")
            await until(pilot, lambda: services.downloads.jobs[-1].state != "running", "inputs")
            assert services.downloads.jobs[-1].state == "done", services.downloads.jobs[-1].error
            assert (tmp_path / task_id / "inputs" / "input.dat").read_bytes() == b"in"


async def test_keep_zip_toggle_downloads_the_archive(
    module_server: ServerProcess, tmp_path: Path
) -> None:
    task_id = run_python(module_server, OUTPUTS, "success")
    async with client_of(module_server) as client:
        services = PaneServices(client, output_dir=tmp_path)
        task = await client.get_task(task_id)
        async with files_on(services, task) as (pilot, panel):
            await until(pilot, lambda: panel.root is not None, "the listing")
            panel.file_tree.focus()
            await pilot.press("x", "d")
            await until(pilot, lambda: services.downloads.jobs[-1].state != "running", "zip")
            assert services.downloads.jobs[-1].state == "done"
            assert (tmp_path / task_id / "outputs" / "output.zip").is_file()
            assert not (tmp_path / task_id / "outputs" / "stdout.txt").exists()


async def test_escape_cancels_a_running_download(
    module_server: ServerProcess, tmp_path: Path
) -> None:
    task_id = run_python(module_server, OUTPUTS, "success")
    async with client_of(module_server) as client:
        services = PaneServices(client, output_dir=tmp_path)
        task = await client.get_task(task_id)
        async with files_on(services, task) as (pilot, panel):
            await until(pilot, lambda: panel.root is not None, "the listing")
            panel.file_tree.focus()
            # A frozen server: the download hangs mid-way until it is cancelled.
            os.kill(module_server.pid, signal.SIGSTOP)
            try:
                await pilot.press("d")
                job = services.downloads.jobs[-1]
                await pilot.pause(0.3)
                assert job.state == "running"
                await pilot.press("escape")
                await until(pilot, lambda: job.state != "running", "the cancellation")
            finally:
                os.kill(module_server.pid, signal.SIGCONT)
            assert job.state == "cancelled", job
            assert not (tmp_path / task_id / "outputs").exists()
            assert "⊘" in panel.app.query_one(DownloadsBar).text


def shown(bar: DownloadsBar) -> str:
    """What the strip draws, its rows joined (a wrapped entry reads whole)."""
    widget = bar.query_one(Static)
    region = Region(0, 0, widget.size.width, widget.size.height)
    return "".join(
        segment.text.rstrip() for strip in widget.render_lines(region) for segment in strip
    )


async def test_the_archive_size_is_the_zip_s_own(module_server: ServerProcess) -> None:
    """The header shows output.zip's real size, not the files' uncompressed total again."""
    script = "import os\nopen('big.txt', 'w').write('z' * 200_000)\n"
    task_id = run_python(module_server, script, "success")
    async with client_of(module_server) as client:
        task = await client.get_task(task_id)
        path = task.storage_output_path or ""
        [url] = await client.signed_urls([path])
        assert url is not None
        async with httpx.AsyncClient() as storage:
            zip_size = len((await storage.get(url)).content)
        async with files_on(PaneServices(client), task, size=(120, 30)) as (pilot, panel):
            await until(pilot, lambda: panel.root is not None, "the listing")
            text = summary_text(panel)
            assert f"output.zip {fmt.size(zip_size)}" in text, text
            listing = await client.zip_contents(path, "artifacts/", recursive=True)
            files_total = fmt.size(sum(info.size for info in listing.contents))
            count = len(listing.contents)
            assert text.startswith(f"{count} files · {files_total} (")  # the files' own total
            assert text.count(files_total) == 1  # said once, not again as the archive's


async def test_downloads_are_not_offered_before_the_outputs_exist(
    module_server: ServerProcess, tmp_path: Path
) -> None:
    task_id = run_python(module_server, "import time; time.sleep(600)", "computation-started")
    async with client_of(module_server, kill=[task_id]) as client:
        services = PaneServices(client, output_dir=tmp_path)
        task = await client.get_task(task_id)
        async with files_on(services, task) as (pilot, panel):
            await until(pilot, lambda: panel.root is not None, "the work dir")
            assert panel.check_action("download", ()) is None  # greyed out
            assert panel.check_action("download_inputs", ()) is True
            hint = str(panel.query_one("#files-hint").render())
            assert "d: download" not in hint and "d: outputs once the task ends" in hint
            panel.file_tree.focus()
            await pilot.press("d")
            await pilot.pause()
            assert services.downloads.jobs == []  # nothing started, so nothing failed


async def test_download_results_and_errors_read_in_full(
    module_server: ServerProcess, tmp_path: Path
) -> None:
    """A narrow pane wraps where the files went and why a download failed; a toast says it too."""
    task_id = run_python(module_server, OUTPUTS, "success")
    output_dir = tmp_path / "a-rather-long-folder-name-for-the-downloads"
    async with client_of(module_server) as client:
        services = PaneServices(client, output_dir=output_dir)
        task = await client.get_task(task_id)
        async with files_on(services, task, size=(40, 30)) as (pilot, panel):
            app = panel.app
            await until(pilot, lambda: panel.root is not None, "the listing")
            panel.file_tree.focus()
            await pilot.press("d")
            jobs = services.downloads.jobs
            await until(pilot, lambda: jobs[-1].state != "running", "the download")
            assert jobs[-1].state == "done", jobs[-1].error
            destination = str(output_dir / task_id / "outputs")
            bar = app.query_one(DownloadsBar)
            await pilot.pause()
            assert destination in "".join(shown(bar).split())
            assert any(destination in n.message for n in app._notifications)
            await pilot.press("d")  # the files are there now: refused, not overwritten
            await until(pilot, lambda: services.downloads.jobs[-1].state != "running", "again")
            error = services.downloads.jobs[-1].error or ""
            assert "nothing was overwritten; move or delete it first" in error
            await pilot.pause()
            assert "".join(error.split()) in "".join(shown(bar).split())  # wrapped, not cut
            assert bar.scroll_y == bar.max_scroll_y  # the newest entry is the one on show
            failed = [n for n in app._notifications if n.severity == "error"]
            assert [n.message for n in failed] == [error]


async def test_a_failed_listing_is_asked_again_until_the_server_is_back(
    server_factory: ServerFactory,
) -> None:
    server = restartable_server(server_factory)
    task_id = run_python(server, OUTPUTS, "success")
    async with client_of(server) as client:
        task = await client.get_task(task_id)
        server.stop()
        async with files_on(PaneServices(client), task, size=(100, 20)) as (pilot, panel):
            await until(pilot, lambda: "retrying in" in panel.trouble, "the retry note")
            assert "Could not list the files" in panel.trouble
            server.start()
            await until(pilot, lambda: panel.root is not None, "the listing after the outage")
            assert panel.trouble == "" and not panel.query_one(Trouble).display
            assert "vtk/a.vtk" in paths(panel)
