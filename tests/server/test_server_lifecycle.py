"""Every lifecycle path, really happening, against a real server subprocess."""

from __future__ import annotations

import io
import os
import shutil
import zipfile
from pathlib import Path

import psutil
import pytest

from tests.conftest import ServerFactory, ServerProcess
from tests.server.task_helpers import (
    PY,
    create,
    history,
    status,
    submit,
    task,
    wait_status,
    wait_until,
    waiting_script,
)

EXECUTOR_STATES = ["started", "computation-started", "computation-ended"]


def output_members(server: ServerProcess, task_id: str) -> dict[str, bytes]:
    path = server.data_dir / "storage" / task_id / "output.zip"
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def work_file(server: ServerProcess, task_id: str, name: str) -> Path:
    return server.data_dir / "work" / task_id / name


def process_gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_success_runs_the_command_on_its_inputs(module_server: ServerProcess) -> None:
    code = (
        "import pathlib, sys\n"
        "text = pathlib.Path('data/in.txt').read_text()\n"
        "print('read', text)\n"
        "print('warning', file=sys.stderr)\n"
        "pathlib.Path('out').mkdir()\n"
        "pathlib.Path('out/result.txt').write_text(text.upper())\n"
    )
    with module_server.client() as client:
        task_id = submit(client, [PY, "-c", code], files={"data/in.txt": b"hello"}, project="alpha")
        doc = wait_status(client, task_id)
    assert doc["status"] == "success", doc.get("error_detail")
    assert doc["status_alias"] == "Success"
    assert doc["is_terminated"] is True
    assert doc["project"] == "alpha"
    assert history(doc) == ["pending-input", "submitted", *EXECUTOR_STATES, "success"]
    entries = doc["status_history"]
    assert all(entry["end_timestamp"] for entry in entries[:-1])
    assert entries[-1]["end_timestamp"] is None
    assert all(entry["alias"] and entry["description"] for entry in entries)
    operations = [(op["name"], op["status"]) for entry in entries for op in entry["operations"]]
    assert operations == [
        ("download_input", "OK"),
        ("uncompress_input", "OK"),
        ("exec_command", "OK"),
        ("compress_output", "OK"),
        ("upload_output", "OK"),
    ]
    exec_op = entries[3]["operations"][0]
    assert PY in exec_op["attributes"]["command"]
    for field in (
        "create_time",
        "input_submit_time",
        "start_time",
        "computation_start_time",
        "computation_end_time",
        "end_time",
    ):
        assert doc[field], field
    metrics = doc["metrics"]
    assert metrics["input_size_bytes"] == 5
    assert metrics["input_zipped_size_bytes"] > 0
    # data/in.txt, out/result.txt, stdout, stderr, and the runner's two monitoring files
    assert metrics["output_total_files"] == 6
    assert metrics["computation_seconds"] > 0
    assert metrics["total_seconds"] >= metrics["computation_seconds"]
    assert metrics["queue_time_seconds"] >= 0
    executer = doc["executer"]
    assert executer["host_type"] == "local"
    assert executer["vm_type"] == "local"
    assert executer["n_mpi_hosts"] == 1
    assert executer["cpu_count_logical"] >= 1 and executer["memory"] > 0
    assert doc["duration_seconds"] == pytest.approx(metrics["total_seconds"])
    members = output_members(module_server, task_id)
    assert members["artifacts/stdout.txt"] == b"read hello\n"
    assert members["artifacts/stderr.txt"] == b"warning\n"
    assert members["artifacts/out/result.txt"] == b"HELLO"
    assert members["artifacts/data/in.txt"] == b"hello"


def test_stdout_is_written_while_the_command_runs(module_server: ServerProcess) -> None:
    go = module_server.data_dir.parent / "go-stdout"
    command = waiting_script(go, before="print('first line')", after="print('last line')")
    with module_server.client() as client:
        task_id = submit(client, command)
        wait_status(client, task_id, "computation-started")
        stdout = work_file(module_server, task_id, "stdout.txt")
        wait_until(lambda: stdout.read_text() == "first line\n", "the first line in stdout.txt")
        assert task(client, task_id)["status"] == "computation-started"
        go.touch()
        doc = wait_status(client, task_id)
    assert doc["status"] == "success"
    assert stdout.read_text() == "first line\nlast line\n"


def test_non_zero_exit_fails_with_the_exit_code(module_server: ServerProcess) -> None:
    with module_server.client() as client:
        task_id = submit(client, [PY, "-c", "print('bye'); raise SystemExit(3)"])
        doc = wait_status(client, task_id)
    assert doc["status"] == "failed"
    assert "exit code 3" in doc["error_detail"]
    assert history(doc)[-2:] == ["computation-ended", "failed"]
    exec_op = doc["status_history"][3]["operations"][0]
    assert exec_op["status"] == "FAILED" and exec_op["attributes"]["exit_code"] == 3
    assert output_members(module_server, task_id)["artifacts/stdout.txt"] == b"bye\n"


def test_a_command_that_cannot_start_fails(module_server: ServerProcess) -> None:
    with module_server.client() as client:
        task_id = submit(client, ["/nonexistent/simulator", "--go"])
        doc = wait_status(client, task_id)
    assert doc["status"] == "failed"
    assert "could not be started" in doc["error_detail"]


def test_kill_while_running_stops_the_whole_process_group(module_server: ServerProcess) -> None:
    pid_file = module_server.data_dir.parent / "kill-pids"
    # A child in the background and a leader that ignores SIGTERM: only the
    # group-wide SIGKILL after the grace period ends both.
    script = f"trap '' TERM; sleep 60 & echo $$ $! > {pid_file}; wait; sleep 60"
    with module_server.client() as client:
        task_id = submit(client, ["sh", "-c", script])
        wait_status(client, task_id, "computation-started")
        wait_until(lambda: pid_file.exists() and pid_file.read_text().strip(), "the pids")
        pids = [int(p) for p in pid_file.read_text().split()]
        response = client.post(f"/tasks/{task_id}/kill")
        assert response.status_code == 200
        assert response.json()["status"] == "pending-kill"
        doc = wait_status(client, task_id, "killed")
    assert history(doc)[-2:] == ["pending-kill", "killed"]
    assert all(process_gone(pid) for pid in pids)
    assert "artifacts/stdout.txt" in output_members(module_server, task_id)


def test_kill_while_queued_and_before_upload(server_factory: ServerFactory) -> None:
    server = server_factory(slots=1)
    go = server.data_dir.parent / "go-queued"
    with server.client() as client:
        blocker = submit(client, waiting_script(go))
        wait_status(client, blocker, "computation-started")
        queued = submit(client, [PY, "-c", "pass"])
        assert status(client, queued)["position_in_queue"] == {"tasks_ahead": 0}
        killed = client.post(f"/tasks/{queued}/kill").json()
        assert killed["status"] == "killed" and killed["is_terminated"] is True
        waiting_input = client.post(
            "/tasks/submit", json={"simulator": "x", "extra_params": {"command": ["true"]}}
        ).json()["id"]
        assert client.post(f"/tasks/{waiting_input}/kill").json()["status"] == "killed"
        go.touch()
        wait_status(client, blocker, "success")
        doc = task(client, queued)
    assert history(doc) == ["pending-input", "submitted", "killed"]
    assert doc["start_time"] is None


def test_kill_of_a_finished_task_changes_nothing(module_server: ServerProcess) -> None:
    with module_server.client() as client:
        task_id = submit(client, ["true"])
        before = wait_status(client, task_id)
        response = client.post(f"/tasks/{task_id}/kill")
        after = task(client, task_id)
    assert response.status_code == 200
    assert response.json() == {
        "id": task_id,
        "status": "success",
        "position_in_queue": None,
        "is_terminated": True,
    }
    assert after["status_history"] == before["status_history"]


def test_time_to_live_stops_the_computation(module_server: ServerProcess) -> None:
    with module_server.client() as client:
        task_id = submit(client, ["sleep", "60"], ttl=0.5)
        doc = wait_status(client, task_id)
    assert doc["status"] == "executer-terminated-ttl-exceeded"
    assert "time to live" in doc["error_detail"]
    assert doc["time_to_live_seconds"] == 0.5
    assert history(doc)[-3:] == [
        "computation-started",
        "computation-ended",
        "executer-terminated-ttl-exceeded",
    ]


def test_terminating_a_machine_group_makes_waiting_tasks_zombies(
    module_server: ServerProcess,
) -> None:
    with module_server.client() as client:
        created = client.post(
            "/local/machine-groups",
            json={"name": "gpu-box", "slots": 1, "machine_type": "c2-standard-4"},
        )
        assert created.status_code == 201, created.text
        running = submit(client, ["sleep", "60"], group="gpu-box")
        doc = wait_status(client, running, "computation-started")
        assert doc["machine_group_name"] == "gpu-box"
        assert doc["executer"]["vm_type"] == "c2-standard-4"
        queued = submit(client, ["true"], group="gpu-box")
        assert status(client, queued)["status"] == "submitted"
        response = client.delete("/compute/group", params={"machine_group_id": "gpu-box"})
        assert response.status_code == 202, response.text
        assert wait_status(client, queued)["status"] == "zombie"
        assert wait_status(client, running)["status"] == "executer-terminated-by-user"
        again = client.post(
            "/tasks/submit",
            json={
                "simulator": "x",
                "resource_pool": "gpu-box",
                "extra_params": {"command": ["true"]},
            },
        )
        assert again.status_code == 404
        assert (
            client.delete("/compute/group", params={"machine_group_id": "default"}).status_code
            == 409
        )


def test_an_output_that_cannot_be_stored_is_an_executor_failure(
    module_server: ServerProcess,
) -> None:
    go = module_server.data_dir.parent / "go-storage"
    with module_server.client() as client:
        task_id = submit(client, waiting_script(go))
        wait_status(client, task_id, "computation-started")
        # The task's storage location stops being a directory: storing the
        # output zip fails with an OSError, as on a broken or full disk.
        storage = module_server.data_dir / "storage" / task_id
        shutil.rmtree(storage, ignore_errors=True)
        storage.write_bytes(b"not a directory")
        go.touch()
        doc = wait_status(client, task_id)
    assert doc["status"] == "executer-failed"
    assert doc["executer"]["error_detail"]
    assert doc["error_detail"] == doc["executer"]["error_detail"]
    compress = [
        op for op in doc["status_history"][-2]["operations"] if op["name"] == "compress_output"
    ]
    assert compress and compress[0]["status"] == "FAILED"


def test_queue_is_fifo_with_right_positions(server_factory: ServerFactory) -> None:
    server = server_factory(slots=1)
    go = server.data_dir.parent / "go-fifo"
    with server.client() as client:
        blocker = submit(client, waiting_script(go))
        wait_status(client, blocker, "computation-started")
        assert status(client, blocker)["position_in_queue"] is None
        queued = [submit(client, waiting_script(go)) for _ in range(3)]
        positions = [status(client, t)["position_in_queue"]["tasks_ahead"] for t in queued]
        assert positions == [0, 1, 2]
        client.post(f"/tasks/{queued[0]}/kill")
        assert status(client, queued[1])["position_in_queue"] == {"tasks_ahead": 0}
        assert status(client, queued[2])["position_in_queue"] == {"tasks_ahead": 1}
        go.touch()
        for task_id in (blocker, queued[1], queued[2]):
            assert wait_status(client, task_id)["status"] == "success"
        starts = [task(client, t)["start_time"] for t in (blocker, queued[1], queued[2])]
    assert starts == sorted(starts)


def test_crash_recovery_kills_leftovers_and_reruns_once(server_factory: ServerFactory) -> None:
    server = server_factory(slots=1)
    scratch = server.data_dir.parent
    runs, pids, go = scratch / "runs", scratch / "pids", scratch / "go-crash"
    before = (
        f"open({str(runs)!r}, 'a').write('run\\n')\n"
        f"open({str(pids)!r}, 'a').write(str(os.getpid()) + '\\n')"
    )
    with server.client() as client:
        task_id = submit(client, waiting_script(go, before=before))
        wait_status(client, task_id, "computation-started")
        wait_until(lambda: pids.exists() and pids.read_text(), "the first run's pid")
    first_pid = int(pids.read_text().split()[0])
    server.crash()
    assert not process_gone(first_pid), "the task process outlives a SIGKILLed server"
    server.start()
    with server.client() as client:
        doc = wait_status(client, task_id, "computation-started")
        assert process_gone(first_pid)
        assert doc["num_retries"] == 1
        assert history(doc) == [
            "pending-input",
            "submitted",
            "started",
            "computation-started",
            "executer-terminated",
            "submitted",
            "started",
            "computation-started",
        ]
        go.touch()
        doc = wait_status(client, task_id)
    assert doc["status"] == "success"
    assert runs.read_text() == "run\nrun\n"
    assert not list((server.data_dir / "storage").glob("*/*.partial"))


def test_clean_shutdown_stops_tasks_and_resubmits_them(server_factory: ServerFactory) -> None:
    server = server_factory(slots=1)
    pids = server.data_dir.parent / "pids-shutdown"
    command = ["sh", "-c", f"echo $$ >> {pids}; exec sleep 60"]
    with server.client() as client:
        task_id = submit(client, command)
        wait_status(client, task_id, "computation-started")
        wait_until(lambda: pids.exists() and pids.read_text(), "the pid")
    first_pid = int(pids.read_text().split()[0])
    assert server.stop() in (0, -15, 143, 130)
    assert process_gone(first_pid)
    assert not (server.data_dir / "server.pid").exists()
    server.start()
    with server.client() as client:
        doc = wait_status(client, task_id, "computation-started")
        assert doc["num_retries"] == 1
        assert "executer-terminated" in history(doc)
        client.post(f"/tasks/{task_id}/kill")
        wait_status(client, task_id, "killed")


def test_environment_reaches_the_command(module_server: ServerProcess) -> None:
    with module_server.client() as client:
        task_id = submit(client, ["sh", "-c", "echo $GREETING"], env={"GREETING": "hola"})
        doc = wait_status(client, task_id)
    assert doc["status"] == "success"
    assert output_members(module_server, task_id)["artifacts/stdout.txt"] == b"hola\n"
    assert os.environ.get("GREETING") is None


def test_an_input_zip_that_would_escape_fails_the_task(module_server: ServerProcess) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("sim_dir/../../../escaped.txt", "x")
    with module_server.client() as client:
        task_id = create(client, ["true"])
        # Placed straight into storage: what is tested is the executor's own
        # check at unpack time, whatever the upload route lets through.
        target = module_server.data_dir / "storage" / task_id / "input.zip"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(buffer.getvalue())
        client.post(f"/tasks/{task_id}/input_uploaded")
        doc = wait_status(client, task_id)
    assert doc["status"] == "failed"
    assert "would leave the work dir" in doc["error_detail"]
    assert not (module_server.data_dir / "escaped.txt").exists()
    assert history(doc)[-2:] == ["started", "failed"]
    operations = doc["status_history"][-2]["operations"]
    assert [(op["name"], op["status"]) for op in operations] == [
        ("download_input", "OK"),
        ("uncompress_input", "FAILED"),
    ]


def test_machine_groups_queue_independently(server_factory: ServerFactory) -> None:
    server = server_factory(slots=1, args=["--machine-group", "side=1:n2-highcpu-8"])
    go = server.data_dir.parent / "go-groups"
    with server.client() as client:
        blocker = submit(client, waiting_script(go))
        wait_status(client, blocker, "computation-started")
        queued = submit(client, ["true"])
        elsewhere = submit(client, ["true"], group="side")
        doc = wait_status(client, elsewhere)
        assert doc["status"] == "success"
        assert doc["executer"]["vm_type"] == "n2-highcpu-8"
        assert status(client, queued) == {
            "id": queued,
            "status": "submitted",
            "position_in_queue": {"tasks_ahead": 0},
            "is_terminated": False,
        }
        go.touch()
        assert wait_status(client, queued)["status"] == "success"
