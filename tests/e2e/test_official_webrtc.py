"""The official ``inductiva`` client's live commands against our server, over WebRTC.

``tasks list-files``, ``tasks tail`` (with and without ``-f``), ``tasks top``,
``tasks last-modified-file`` and ``logs`` of the unmodified client (0.18.12,
its own venv) reach a running task of the embedded server through the
signalling routes and a ``file_transfer`` data channel on loopback. The follow
commands end by themselves when the task ends, as they do on the cloud; the
client's signalling gets a 204 (no answer) for a task that is not running.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.conftest import ServerFactory
from tests.e2e.official_client import (
    Run,
    cli,
    client_env,
    finish,
    script,
    start,
)
from tests.server.task_helpers import submit, wait_status, wait_until

pytestmark = pytest.mark.official_client

PY = sys.executable
# An address that never resolves (RFC 2606): gathering skips STUN/TURN at
# once, where the official default would reach out to the Inductiva servers.
NO_TURN = "turn.invalid:3478"
NO_ANSWER = """
import asyncio, sys
import inductiva
from inductiva.tasks.file_tracker import FileTracker, Operations

async def main():
    tracker = FileTracker()
    pc = tracker.create_peer_connection()
    await tracker.setup_channel(pc, Operations.LIST)
    api = inductiva.tasks.Task(sys.argv[1])._api
    connected = await tracker.connect_to_task(api, pc, sys.argv[1])
    print("connected" if connected else "no answer")
    await tracker.cleanup()

asyncio.run(main())
"""


def writer(go_file: Path) -> list[str]:
    """Prints ``line 1..5`` and ``err 1..5``, waits for ``go_file``, prints ``line 6..8``."""
    code = (
        "import os, sys, time\n"
        "os.makedirs('sub', exist_ok=True)\n"
        "open('sub/f.txt', 'w').write('x')\n"
        "for i in range(1, 6):\n"
        "    print('line', i, flush=True)\n"
        "    print('err', i, file=sys.stderr, flush=True)\n"
        f"while not os.path.exists({str(go_file)!r}):\n"
        "    time.sleep(0.02)\n"
        "for i in range(6, 9):\n"
        "    print('line', i, flush=True)\n"
    )
    return [PY, "-c", code]


def ok(run: Run) -> str:
    assert run.returncode == 0, run.explain()
    assert "Traceback" not in run.stderr and "Failed to connect" not in run.stdout, run.explain()
    return run.stdout


def marked(output: str) -> list[str]:
    """The lines the client printed behind its ``│`` gutter, in order."""
    return [line.split("│", 1)[1] for line in output.splitlines() if "│" in line]


@pytest.mark.timeout(180)
def test_live_commands_of_the_official_client(
    python: Path, server_factory: ServerFactory, tmp_path: Path
) -> None:
    server = server_factory()
    go = tmp_path / "go"
    workdir = tmp_path / "client"
    (workdir / "home").mkdir(parents=True)
    env = client_env(server.base_url, server.api_key, workdir / "home")
    env["INDUCTIVA_TURN_SERVER_URL"] = NO_TURN
    stopped_go = tmp_path / "stopped-go"
    stopped_go.touch()
    with server.client() as http:
        stopped = submit(http, writer(stopped_go))
        task_id = submit(http, writer(go))
        wait_status(http, stopped, "success")
        wait_status(http, task_id, "computation-started")
        stdout = server.data_dir / "work" / task_id / "stdout.txt"
        stderr = server.data_dir / "work" / task_id / "stderr.txt"
        wait_until(
            lambda: "line 5\n" in stdout.read_text() and "err 5\n" in stderr.read_text(),
            "the first lines",
        )
        one_shot = {
            "list-files": cli(python, "tasks", "list-files", task_id),
            "tail": cli(python, "tasks", "tail", task_id, "stdout.txt", "-l", "3"),
            "top": cli(python, "tasks", "top", task_id),
            "last-modified-file": cli(python, "tasks", "last-modified-file", task_id),
            # The CLI checks the status before it signals; the library's own
            # signalling is what meets a stopped task's 204.
            "no-answer": script(python, NO_ANSWER, stopped),
        }
        following = {
            "tail-f": cli(python, "tasks", "tail", task_id, "stdout.txt", "-f"),
            "logs": cli(python, "logs", task_id),
        }
        started = {name: start(command, env, workdir) for name, command in one_shot.items()}
        started |= {name: start(command, env, workdir) for name, command in following.items()}
        runs = {name: finish(started[name]) for name in one_shot}
        # The follow streams are open and answered the first lines: let the task end.
        wait_until(
            lambda: http.get("/local/rtc/sessions").json()["channels"] >= 3,
            "the follow commands to connect (two channels for logs, one for tail -f)",
        )
        go.touch()
        runs |= {name: finish(started[name]) for name in following}
        assert wait_status(http, task_id)["status"] == "success"
        wait_until(
            lambda: http.get("/local/rtc/sessions").json()["peer_connections"] == 0,
            "every peer connection to close",
        )

    # The task runner's monitoring files sit beside the outputs, as on the cloud.
    assert ok(runs["list-files"]).split() == [
        "output_update.csv",
        "stderr.txt",
        "stdout.txt",
        "sub/",
        "└──",
        "sub/f.txt",
        "system_metrics.csv",
    ]
    assert marked(ok(runs["tail"])) == ["line 3", "line 4", "line 5"]
    top = ok(runs["top"])
    assert "PID" in top and "python" in top.lower()
    newest = ok(runs["last-modified-file"])
    assert "Most Recent File: " in newest
    assert "system_metrics.csv" not in newest and "output_update.csv" not in newest
    assert marked(ok(runs["tail-f"])) == [f"line {i}" for i in range(1, 9)]
    logs = marked(ok(runs["logs"]))
    assert [line for line in logs if line.startswith("line")] == [f"line {i}" for i in range(1, 9)]
    assert [line for line in logs if line.startswith("err")] == [f"err {i}" for i in range(1, 6)]
    # The library greets a new user first (name, plan) on stdout.
    assert ok(runs["no-answer"]).splitlines()[-1] == "no answer", runs["no-answer"].explain()
