"""The official ``inductiva`` client (PyPI, 0.18.12) against our embedded server.

Issue 3's fidelity check: the real client, unmodified, in its own venv, lists,
shows, kills and downloads (whole and chosen files) tasks that our server
really ran; then it tags a sweep, reads its project, exports it as a
benchmark, lists machine groups and shows the credits (issues 13 and 15).
The client is heavy to import (seconds), so the read-only runs start
together and the tests below only look at what they printed.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ServerProcess
from tests.e2e.official_client import (
    Run,
    cli,
    client_env,
    finish,
    script,
    start,
)
from tests.server.task_helpers import submit, wait_status

pytestmark = pytest.mark.official_client

PY = sys.executable

INPUTS = {"a.txt": b"hello\n"}
WRITER = (
    "import os, sys\n"
    "os.makedirs('sub/deep', exist_ok=True)\n"
    "open('sub/x.txt', 'w').write('one\\n')\n"
    "open('sub/deep/y.bin', 'wb').write(bytes(range(256)) * 64)\n"
    "sys.stdout.write(open('a.txt').read())\n"
    "sys.stderr.write('err\\n')\n"
)
WRITTEN = {
    "a.txt": b"hello\n",
    "sub/x.txt": b"one\n",
    "sub/deep/y.bin": bytes(range(256)) * 64,
    "stdout.txt": b"hello\n",
    "stderr.txt": b"err\n",
}
"""Every file of the writer task's output: its input, what it wrote, its stdout and stderr."""
MONITORING = {"system_metrics.csv", "output_update.csv"}
"""Also in every output: the task runner's monitoring files (their contents vary by run)."""
CHOSEN = ["stdout.txt", "sub/deep/y.bin"]
SLEEP = [PY, "-c", "import time; time.sleep(300)"]

API_SCRIPT = """
import json, sys
import inductiva

writer, blocker, queued, out = sys.argv[1:5]
result = {}
task = inductiva.tasks.Task(writer)
result["status"] = task.get_status().value
info = task.get_info()
result["info"] = {"status": info.status, "project": info.project,
                  "simulator": task.get_simulator_name()}
result["writer_position"] = task.get_position_in_queue()
result["queued_position"] = inductiva.tasks.Task(queued).get_position_in_queue()
result["output_files"] = sorted(f.name for f in task.get_output_info().files)
result["whole"] = str(task.download_outputs(output_dir="api-whole"))
result["chosen"] = str(task.download_outputs(filenames=["sub/x.txt"], output_dir="api-chosen"))
result["last_5"] = [[t.id, t.get_status().value] for t in inductiva.tasks.get(last_n=5)]
result["killed"] = [inductiva.tasks.Task(blocker).kill(wait_timeout=20),
                    inductiva.tasks.Task(queued).kill(wait_timeout=20)]
result["after_kill"] = [inductiva.tasks.Task(t).get_status().value for t in (blocker, queued)]
json.dump(result, open(out, "w"))
"""


@dataclass(frozen=True)
class Scene:
    """A server with tasks in known states, and what the official client printed about them."""

    server: ServerProcess
    workdir: Path
    writer: str
    """Finished ``success``; wrote :data:`WRITTEN`."""
    running: str
    """Running ``sleep`` in the default group, killed through the CLI by a test."""
    runs: dict[str, Run]
    api: dict[str, Any]


def files_below(root: Path) -> dict[str, bytes]:
    """Every regular file under ``root``, by POSIX relative path."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def scene(python: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scene]:
    root = tmp_path_factory.mktemp("official")
    server = ServerProcess(root / "data", slots=2).start()
    try:
        yield _build_scene(server, python, root)
    finally:
        server.stop()


def _build_scene(server: ServerProcess, python: Path, root: Path) -> Scene:
    workdir = root / "client"
    (workdir / "home").mkdir(parents=True)
    env = client_env(server.base_url, server.api_key, workdir / "home")
    with server.client() as client:
        response = client.post("/local/machine-groups", json={"name": "solo", "slots": 1})
        assert response.status_code == 201, response.text
        writer = submit(client, [PY, "-c", WRITER], files=INPUTS, project="fidelity")
        wait_status(client, writer, "success")
        running = submit(client, SLEEP)
        blocker = submit(client, SLEEP, group="solo")
        wait_status(client, running, "computation-started")
        wait_status(client, blocker, "computation-started")
        queued = submit(client, SLEEP, group="solo")
        wait_status(client, queued, "submitted")
    commands = {
        "list": cli(python, "tasks", "list", "-n", "5"),
        "list-project": cli(python, "tasks", "list", "-p", "fidelity"),
        "info": cli(python, "tasks", "info", writer),
        "download": cli(python, "tasks", "download", writer, "--dir", "cli-whole"),
        "download-chosen": cli(
            python, "tasks", "download", writer, "--dir", "cli-chosen", "--filenames", *CHOSEN
        ),
        "api": script(python, API_SCRIPT, writer, blocker, queued, "api.json"),
    }
    started = {name: start(command, env, workdir) for name, command in commands.items()}
    runs = {name: finish(process) for name, process in started.items()}
    api_file = workdir / "api.json"
    assert api_file.exists(), runs["api"].explain()
    api = json.loads(api_file.read_text(encoding="utf-8"))
    return Scene(server, workdir, writer, running, runs, api)


def outputs_below(root: Path) -> dict[str, bytes]:
    """:func:`files_below`, with the monitoring files checked present and left out."""
    found = files_below(root)
    assert set(found) >= MONITORING, sorted(found)
    return {name: content for name, content in found.items() if name not in MONITORING}


def ok(scene: Scene, name: str) -> Run:
    run = scene.runs[name]
    assert run.returncode == 0, run.explain()
    assert "Traceback" not in run.stderr and "ERROR" not in run.stderr, run.explain()
    return run


def row_of(output: str, task_id: str) -> str:
    rows = [line for line in output.splitlines() if line.split()[:1] == [task_id]]
    assert len(rows) == 1, output
    return rows[0]


def test_list_shows_our_tasks_with_their_statuses(scene: Scene) -> None:
    output = ok(scene, "list").stdout
    assert "Success" in row_of(output, scene.writer)
    assert "Running" in row_of(output, scene.running)
    # The writer ran a Python program; its machine is a local one.
    assert "local" in row_of(output, scene.writer)


def test_list_by_project_shows_only_that_project(scene: Scene) -> None:
    output = ok(scene, "list-project").stdout
    assert "Success" in row_of(output, scene.writer)
    assert scene.running not in output


def test_info_shows_status_timeline_command_and_data(scene: Scene) -> None:
    output = ok(scene, "info").stdout
    assert "Task status: Success" in output
    for alias in ("Waiting for Input", "In Queue", "Preparing", "Running", "Success"):
        assert alias in output
    assert "os.makedirs" in output  # the command line, under the Running step
    assert f"Number of output files:   {len(WRITTEN) + len(MONITORING)}" in output
    assert scene.writer in output


def test_download_whole_gives_every_file_the_task_wrote(scene: Scene) -> None:
    ok(scene, "download")
    outputs = scene.workdir / "cli-whole" / scene.writer / "outputs"
    assert outputs_below(outputs) == WRITTEN


def test_download_chosen_files_gives_just_those(scene: Scene) -> None:
    ok(scene, "download-chosen")
    outputs = scene.workdir / "cli-chosen" / scene.writer / "outputs"
    assert files_below(outputs) == {name: WRITTEN[name] for name in CHOSEN}


def test_python_api_reads_status_info_queue_and_outputs(scene: Scene) -> None:
    ok(scene, "api")
    api = scene.api
    assert api["status"] == "success"
    assert api["info"] == {"status": "success", "project": "fidelity", "simulator": "local"}
    assert api["writer_position"] is None
    assert api["queued_position"] == 0  # first in line; the blocker holds the one slot
    # Not recursive: the top of artifacts/, a folder shown once.
    assert api["output_files"] == sorted(
        ["a.txt", "output_update.csv", "stderr.txt", "stdout.txt", "sub/", "system_metrics.csv"]
    )
    assert outputs_below(scene.workdir / "api-whole") == WRITTEN
    assert files_below(scene.workdir / "api-chosen") == {"sub/x.txt": WRITTEN["sub/x.txt"]}
    assert [scene.writer, "success"] in api["last_5"]


def test_python_api_kills_running_and_queued_tasks(scene: Scene) -> None:
    ok(scene, "api")
    assert scene.api["killed"] == [True, True]
    assert scene.api["after_kill"] == ["killed", "killed"]


def test_cli_kill_moves_a_running_task_to_killed(scene: Scene, python: Path) -> None:
    env = client_env(scene.server.base_url, scene.server.api_key, scene.workdir / "home")
    run = finish(start(cli(python, "tasks", "kill", scene.running, "-y"), env, scene.workdir))
    assert run.returncode == 0, run.explain()
    # The client reports through logging, which it sends to stderr.
    assert f"Successfully sent kill request for task {scene.running}" in run.stderr
    with httpx.Client(
        base_url=scene.server.base_url, headers=scene.server.headers, timeout=10
    ) as client:
        done = wait_status(client, scene.running, "killed")
    assert done["status_history"][-1]["status"] == "killed"


REMOVE_SCRIPT = """
import json, sys
import inductiva

finished, running, out = sys.argv[1:4]
json.dump({
    "removed": inductiva.tasks.Task(finished).remove_remote_files(),
    "again": inductiva.tasks.Task(finished).remove_remote_files(),
    "running": inductiva.tasks.Task(running).remove_remote_files(),
}, open(out, "w"))
"""


def test_remove_remote_files_removes_a_tasks_files(scene: Scene, python: Path) -> None:
    """``Task.remove_remote_files()``: True, then False (nothing left), for any task."""
    with scene.server.client() as client:
        finished = submit(client, [PY, "-c", WRITER], files=INPUTS)
        wait_status(client, finished, "success")
        running = submit(client, SLEEP, files=INPUTS)
        wait_status(client, running, "computation-started")
        env = client_env(scene.server.base_url, scene.server.api_key, scene.workdir / "home")
        out = scene.workdir / "remove.json"
        command = script(python, REMOVE_SCRIPT, finished, running, str(out))
        run = finish(start(command, env, scene.workdir))
        assert out.exists(), run.explain()
        assert json.loads(out.read_text()) == {"removed": True, "again": False, "running": True}
        assert "There are no remote files for this task" in run.stderr
        storage = scene.server.data_dir / "storage"
        assert not (storage / finished).exists()
        assert not (storage / running / "input.zip").exists()
        gone = client.get(
            "/storage/zip-contents",
            params={"path": f"{finished}/output.zip", "zip_relative_path": "artifacts/"},
        )
        assert gone.status_code == 404
        assert client.post(f"/tasks/{running}/kill").status_code == 200


# -- batches, machine groups and the account (issues 13 and 15) ------------------------

SWEEP = {
    ("0.1", "8"): ["true"],
    ("0.1", "16"): ["true"],
    ("0.2", "8"): ["sh", "-c", "echo 'solution diverged' >&2; exit 3"],
    ("0.2", "16"): ["sh", "-c", "echo 'mesh too coarse' >&2; exit 2"],
}

BATCH_SCRIPT = """
import json, sys
import inductiva

tags, out = json.loads(sys.argv[1]), sys.argv[2]
result = {}
for task_id, metadata in tags.items():
    inductiva.tasks.Task(task_id).set_metadata(metadata)
result["metadata"] = {t: inductiva.tasks.Task(t).get_metadata() for t in tags}
project = inductiva.projects.Project("sweep")
result["project"] = {
    "num_tasks": project.num_tasks,
    "by_status": {code.value: count for code, count in project.task_by_status.items()},
}
bench = inductiva.benchmarks.Benchmark("sweep")
bench.export(fmt="json", filename="distinct", select="distinct")
bench.export(fmt="csv", filename="failed", select="all", status="failed")
result["distinct"] = json.load(open("distinct.json"))
result["failed_csv"] = open("failed.csv").read()
result["created"] = inductiva.projects.Project("made-by-the-client").num_tasks
result["groups"] = {
    group.name: [group.active_machines_to_str(), str(group.max_idle_time)]
    for group in inductiva.resources.machine_groups.get()
}
json.dump(result, open(out, "w"))
"""


@dataclass(frozen=True)
class Batch:
    """A sweep, a billed group with an idle limit and a budget; what the official client saw."""

    server: ServerProcess
    workdir: Path
    ids: dict[tuple[str, str], str]
    runs: dict[str, Run]
    api: dict[str, Any]


@pytest.fixture(scope="module")
def batch(python: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Batch]:
    root = tmp_path_factory.mktemp("official-batch")
    server = ServerProcess(
        root / "data",
        slots=1,
        args=["--machine-group", "burst=2:c2-standard-4:0.6:1h", "--credits", "20"],
    ).start()
    try:
        workdir = root / "client"
        (workdir / "home").mkdir(parents=True)
        env = client_env(server.base_url, server.api_key, workdir / "home")
        with server.client() as client:
            ids = {
                key: submit(client, cmd, project="sweep", group="burst")
                for key, cmd in SWEEP.items()
            }
            for task_id in ids.values():
                wait_status(client, task_id)
        tags = {
            task_id: {"alpha": a, "resolution": r, "name": f"a{a}-r{r}"}
            for (a, r), task_id in ids.items()
        }
        commands = {
            "api": script(python, BATCH_SCRIPT, json.dumps(tags), "batch.json"),
            "projects": cli(python, "projects", "list"),
            "resources": cli(python, "resources", "list"),
            "user": cli(python, "user", "info"),
        }
        started = {name: start(command, env, workdir) for name, command in commands.items()}
        runs = {name: finish(process) for name, process in started.items()}
        assert (workdir / "batch.json").exists(), runs["api"].explain()
        yield Batch(
            server,
            workdir,
            ids,
            runs,
            json.loads((workdir / "batch.json").read_text(encoding="utf-8")),
        )
    finally:
        server.stop()


def test_project_listing_and_metadata_through_the_official_client(batch: Batch) -> None:
    tags: dict[str, dict[str, str]] = batch.api["metadata"]
    assert {(m["alpha"], m["resolution"]) for m in tags.values()} == set(SWEEP)
    assert batch.api["project"] == {"num_tasks": 4, "by_status": {"success": 2, "failed": 2}}
    assert batch.api["created"] == 0
    output = batch.runs["projects"].stdout
    assert batch.runs["projects"].returncode == 0, batch.runs["projects"].explain()
    assert row_of(output, "sweep").split()[1] == "4"
    # Project(name) of a new name created it (the CLI listing ran meanwhile: not there).
    with batch.server.client() as client:
        assert client.get("/projects/made-by-the-client").json()["num_tasks"] == 0


def test_the_benchmark_export_keeps_the_parameters_that_vary(batch: Batch) -> None:
    rows = batch.api["distinct"]
    assert [row["task_id"] for row in rows] == list(batch.ids.values())
    assert {(row["alpha"], row["resolution"]) for row in rows} == set(SWEEP)
    assert {row["name"] for row in rows} == {f"a{a}-r{r}" for a, r in SWEEP}
    # One simulator and one machine type for all: not a parameter that varies.
    assert not {"simulator", "machine_type"} & set(rows[0])
    lines = batch.api["failed_csv"].splitlines()
    header = lines[0].split(",")
    assert header == sorted(header) and {"alpha", "resolution", "status"} <= set(header)
    assert len(lines) == 3 and all(",failed," in line for line in lines[1:])


def test_machine_groups_and_credits_through_the_official_client(batch: Batch) -> None:
    assert batch.api["groups"] == {"burst": ["2/2", "1:00:00"], "default": ["1/1", "None"]}
    listing = batch.runs["resources"]
    assert listing.returncode == 0, listing.explain()
    burst = row_of(listing.stdout, "burst")
    assert "c2-standard-4" in burst and "/1:00:00" in burst
    user = batch.runs["user"]
    assert user.returncode == 0, user.explain()
    credits = re.search(r"Credits: ([0-9.]+) US\$", user.stdout)
    assert credits is not None, user.stdout
    assert 0 < float(credits.group(1)) <= 20
