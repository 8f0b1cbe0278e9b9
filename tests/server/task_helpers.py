"""Submitting tasks to a live server and waiting for states, over plain httpx."""

from __future__ import annotations

import io
import sys
import time
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx

WAIT_SECONDS = 20.0
TERMINAL = {
    "success",
    "failed",
    "killed",
    "executer-terminated-by-user",
    "executer-terminated-ttl-exceeded",
    "executer-terminated-credits-exhausted",
    "executer-failed",
    "zombie",
    "ttl-exceeded",
}
PY = sys.executable


def input_zip(files: Mapping[str, bytes]) -> bytes:
    """A zip with ``files`` under ``sim_dir/``, as the official client packs inputs."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(f"sim_dir/{name}", content)
    return buffer.getvalue()


def create(
    client: httpx.Client,
    command: list[str],
    *,
    group: str | None = None,
    project: str | None = None,
    ttl: float | None = None,
    env: dict[str, str] | None = None,
    simulator: str = "local",
    metadata: dict[str, str] | None = None,
) -> str:
    """``POST /tasks/submit``; returns the new task id (``pending-input``)."""
    body: dict[str, Any] = {
        "simulator": simulator,
        "extra_params": {"command": command, "env": env},
    }
    if metadata is not None:
        body["task_metadata"] = metadata
    if group is not None:
        body["resource_pool"] = group
    if project is not None:
        body["project"] = project
    if ttl is not None:
        body["time_to_live_seconds"] = ttl
    response = client.post("/tasks/submit", json=body)
    assert response.status_code == 202, response.text
    info = response.json()
    assert info["status"] == "pending-input"
    return str(info["id"])


def upload(client: httpx.Client, task_id: str, files: Mapping[str, bytes]) -> None:
    """Upload an input zip through a signed URL (no API key on that request)."""
    response = client.get(
        "/storage/signed-urls",
        params={"paths": f"{task_id}/input.zip", "operation": "upload"},
    )
    assert response.status_code == 200, response.text
    url = response.json()[0]
    put = httpx.put(url, content=input_zip(files))
    assert put.status_code in (200, 201, 204), put.text


def submit(
    client: httpx.Client,
    command: list[str],
    *,
    files: Mapping[str, bytes] | None = None,
    **options: Any,
) -> str:
    """The whole flow: create, upload inputs (if any), ``input_uploaded``."""
    task_id = create(client, command, **options)
    if files:
        upload(client, task_id, files)
    response = client.post(f"/tasks/{task_id}/input_uploaded")
    assert response.status_code == 200, response.text
    return task_id


def task(client: httpx.Client, task_id: str) -> dict[str, Any]:
    response = client.get(f"/tasks/{task_id}")
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def status(client: httpx.Client, task_id: str) -> dict[str, Any]:
    response = client.get(f"/tasks/{task_id}/status")
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def wait_until(condition: Callable[[], Any], what: str, timeout: float = WAIT_SECONDS) -> Any:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def wait_status(
    client: httpx.Client, task_id: str, *codes: str, timeout: float = WAIT_SECONDS
) -> dict[str, Any]:
    """Wait until the task is in one of ``codes`` (default: any terminal state)."""
    wanted = set(codes) or TERMINAL

    def reached() -> dict[str, Any] | None:
        current = task(client, task_id)
        if current["status"] in wanted:
            return current
        if current["status"] in TERMINAL:
            raise AssertionError(
                f"task ended {current['status']} ({current.get('error_detail')}) "
                f"while waiting for {sorted(wanted)}"
            )
        return None

    result: dict[str, Any] = wait_until(
        reached, f"task {task_id} to reach {sorted(wanted)}", timeout
    )
    return result


def history(doc: Mapping[str, Any]) -> list[str]:
    """The status codes of a task's history, oldest first."""
    return [entry["status"] for entry in doc["status_history"]]


def waiting_script(go_file: Path, *, before: str = "", after: str = "") -> list[str]:
    """A Python command that runs ``before``, waits until ``go_file`` exists, runs ``after``."""
    code = (
        "import os, sys, time\n"
        f"{before}\n"
        f"while not os.path.exists({str(go_file)!r}):\n"
        "    time.sleep(0.02)\n"
        f"{after}\n"
    )
    return [PY, "-c", code]
