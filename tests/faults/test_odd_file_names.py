"""File names a task can make (any bytes but ``/`` and NUL): no 5xx, no refused download.

Such names are listed in their escaped form (``bad\\xff.txt``) by the live
listing, the newest-file probe, the output archive and the storage listing, and
each can be fetched back by that form. Hypothesis makes the names; a real task
makes the one the issue found (``bad\\377.txt``, a 500 before). A download of
such outputs extracts every safe file and names the odd ones it skipped.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inductiva_top.api.client import InductivaClient
from inductiva_top.server.files.archive import OUTPUT_PREFIX, pack_output, publish
from inductiva_top.server.files.paths import escape_name
from inductiva_top.server.files.signing import UrlSigner
from inductiva_top.server.layout import DataDir
from inductiva_top.server.routes.live import live_router
from inductiva_top.server.routes.storage import signed_router, storage_router
from inductiva_top.transfer.outputs import download_outputs
from inductiva_top.ui.downloads import DownloadManager
from inductiva_top.ui.widgets.downloads import job_line
from tests.conftest import ServerProcess
from tests.server.router_harness import serve
from tests.server.task_helpers import PY, submit, wait_status, wait_until
from tests.tally import Tally

TASK = "t0odd"
CONTENT = b"odd but fine\n"
CONTROLS = re.compile("[\x00-\x1f\x7f]")
NAMES = st.binary(min_size=1, max_size=40).filter(
    lambda name: b"/" not in name and b"\x00" not in name and name not in (b".", b"..")
)
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@dataclass
class Routes:
    data: DataDir
    client: httpx.Client

    def get(self, url: str, **params: Any) -> httpx.Response:
        response = self.client.get(url, params=params)
        assert response.status_code < 500, (url, params, response.text)
        return response


@pytest.fixture(scope="module")
def routes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Routes]:
    data = DataDir(tmp_path_factory.mktemp("odd") / "data")
    signer = UrlSigner(b"k" * 32, ttl_seconds=600)
    app = FastAPI()
    app.include_router(live_router(data, lambda _: False, lambda _: None))
    app.include_router(storage_router(data, signer))
    app.include_router(signed_router(data, signer))
    with serve(app) as base_url, httpx.Client(base_url=base_url, timeout=10) as client:
        yield Routes(data, client)


def _names(tree: list[Any], prefix: str = "") -> set[str]:
    found: set[str] = set()
    for item in tree:
        if isinstance(item, dict):
            for folder, children in item.items():
                found |= _names(children, f"{prefix}{folder}/")
        else:
            found.add(prefix + item)
    return found


def test_any_name_is_listed_escaped_and_fetched_back(routes: Routes, tally: Tally) -> None:
    tried = 0

    @FUZZ
    @given(raw=NAMES)
    def check(raw: bytes) -> None:
        nonlocal tried
        tried += 1
        data = routes.data
        shutil.rmtree(data.root, ignore_errors=True)
        data.create()
        work = data.work_dir(TASK)
        work.mkdir(parents=True)
        (work / os.fsdecode(raw)).write_bytes(CONTENT)
        wire = escape_name(os.fsdecode(raw))
        assert wire.encode() and not CONTROLS.search(wire), wire

        listing = routes.get(f"/local/tasks/{TASK}/files").json()
        assert _names(listing["message"]) == {wire}
        newest = routes.get(f"/local/tasks/{TASK}/last-modified-file").json()
        assert newest["message"]["most_recent_file"] == wire
        tail = routes.get(f"/local/tasks/{TASK}/tail", filename=wire).json()
        assert tail == {"status": "success", "message": [CONTENT.decode().strip()]}

        partial, _ = pack_output(work, data.output_zip(TASK))
        publish(partial, data.output_zip(TASK))
        zipped = routes.get(
            "/storage/zip-contents",
            path=f"{TASK}/output.zip",
            zip_relative_path=OUTPUT_PREFIX,
            recursive=True,
        ).json()
        assert [member["name"] for member in zipped["contents"]] == [wire]
        span = routes.get(
            "/storage/zip-file-range",
            path=f"{TASK}/output.zip",
            zip_relative_path=OUTPUT_PREFIX,
            filename=wire,
        )
        assert span.status_code == 200, span.text

        # The storage area too: a folder holding the odd name, listed then downloaded.
        (data.storage / TASK / os.fsdecode(raw)).write_bytes(CONTENT)
        stored = routes.get("/storage/contents", path=TASK).json()
        visible = not (wire.startswith(".") or wire.endswith(".partial"))
        assert (f"{TASK}/{wire}" in {e["name"] for e in stored["contents"]}) == visible
        signed = routes.get(
            "/storage/signed-urls", paths=[f"{TASK}/{wire}"], operation="download"
        ).json()[0]
        if visible:
            assert routes.client.get(signed).content == CONTENT

    try:
        check()
    finally:
        tally.inputs(tried, failures=0 if tried else 1)


def test_a_task_naming_a_file_with_a_bad_byte(module_server: ServerProcess, tally: Tally) -> None:
    """The issue's case: ``touch "$(printf "bad\\377.txt")"`` in a running task."""
    survived = False
    go = module_server.data_dir.parent / "odd-go"
    wait = f"import os, time\nwhile not os.path.exists({str(go)!r}):\n    time.sleep(0.02)\n"
    # Then an argv with the same byte: top shows the task's processes by their command.
    code = (
        "import os, sys\n"
        "open(b'bad\\xff.txt', 'wb').write(b'seen\\n')\n"
        f"os.execv(sys.executable, [sys.executable, '-c', {wait!r}, b'arg\\xff'])\n"
    )
    command = [PY, "-c", code]
    try:
        with module_server.client() as client:
            task_id = submit(client, command)
            wait_status(client, task_id, "computation-started")
            base = f"/local/tasks/{task_id}"

            def listed() -> bool:
                response = client.get(f"{base}/files")
                assert response.status_code == 200, response.text
                return "bad\\xff.txt" in response.json()["message"]

            wait_until(listed, "the odd name in the live listing")
            tail = client.get(f"{base}/tail", params={"filename": "bad\\xff.txt"})
            assert tail.json() == {"status": "success", "message": ["seen"]}
            top = client.get(f"{base}/top")
            assert top.status_code == 200, top.text
            assert "arg\\xff" in top.json()["message"]
            go.touch()
            wait_status(client, task_id, "success")
            zipped = client.get(
                "/storage/zip-contents",
                params={"path": f"{task_id}/output.zip", "zip_relative_path": OUTPUT_PREFIX},
            )
            assert zipped.status_code == 200, zipped.text
            assert "bad\\xff.txt" in [member["name"] for member in zipped.json()["contents"]]
        survived = True
    finally:
        tally.fault(survived=survived)


ODD_WRITER = (
    "import os\n"
    "open('ok.txt', 'w').write('fine\\n')\n"
    "open(b'bad\\xff.txt', 'wb').write(b'x')\n"
    "open('back\\\\slash.txt', 'w').write('x')\n"
    "open('bell\\x07.txt', 'w').write('x')\n"
)
SKIPPED = ("artifacts/back\\\\slash.txt", "artifacts/bad\\xff.txt", "artifacts/bell\\x07.txt")
"""The archive's names for the odd files (escaped by the server), as a download skips them."""


async def test_odd_output_names_are_skipped_and_the_rest_downloaded(
    module_server: ServerProcess, tmp_path: Path, tally: Tally
) -> None:
    """``d`` and the library extract every safe file and name the odd ones."""
    survived = False
    try:
        with module_server.client() as http:
            task_id = submit(http, [PY, "-c", ODD_WRITER])
            wait_status(http, task_id, "success")
        async with InductivaClient(module_server.base_url, module_server.api_key) as client:
            whole = await download_outputs(client, task_id, output_dir=tmp_path / "whole")
            assert sorted(p.name for p in whole.path.iterdir()) == [
                "ok.txt",
                "output_update.csv",  # the task runner's monitoring files are outputs too
                "stderr.txt",
                "stdout.txt",
                "system_metrics.csv",
            ]
            assert sorted(whole.skipped) == sorted(SKIPPED)
            chosen = await download_outputs(
                client,
                task_id,
                filenames=["ok.txt", "bad\\xff.txt"],
                output_dir=tmp_path / "chosen",
            )
            assert [p.name for p in chosen.path.iterdir()] == ["ok.txt"]
            assert chosen.skipped == ("artifacts/bad\\xff.txt",)
            finished = asyncio.Event()
            manager = DownloadManager(client, tmp_path / "ui", on_change=finished.set)
            job = manager.start(task_id)
            while job.state == "running":
                finished.clear()
                await finished.wait()
            assert job.state == "done", job.error
            line = job_line(job).plain
            assert "skipped 3 files with an odd name: artifacts/back\\\\slash.txt" in line
        survived = True
    finally:
        tally.fault(survived=survived)


def test_the_download_command_names_the_odd_files_it_skipped(
    module_server: ServerProcess, tmp_path: Path
) -> None:
    with module_server.client() as http:
        task_id = submit(http, [PY, "-c", ODD_WRITER])
        wait_status(http, task_id, "success")
    env = {k: v for k, v in os.environ.items() if not k.startswith("INDUCTIVA")}
    env.update(
        INDUCTIVA_API_URL=module_server.base_url,
        INDUCTIVA_API_KEY=module_server.api_key,
        INDUCTIVA_TOP_CONFIG=os.devnull,
    )
    where = tmp_path / "cli"
    command = [sys.executable, "-m", "inductiva_top", "download", task_id, "-q"]
    cli = subprocess.run(
        [*command, "--output-dir", str(where)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cli.returncode == 0, cli.stderr
    assert cli.stdout.strip() == str(where / task_id / "outputs")
    assert "skipped 3 files" in cli.stderr
    for name in SKIPPED:
        assert f"  {name}\n" in cli.stderr
    assert (where / task_id / "outputs" / "ok.txt").read_text() == "fine\n"
