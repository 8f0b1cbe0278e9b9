"""Submitting tasks to a real server and waiting for them, over plain httpx."""

from __future__ import annotations

import sys
import time

import httpx

PY = sys.executable


def api(url: str, key: str) -> httpx.Client:
    """A client for the API at ``url``."""
    return httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=30.0)


def submit(client: httpx.Client, command: list[str], project: str = "bench") -> str:
    """Create a task running ``command`` with no inputs and queue it; returns its id."""
    body = {"simulator": "local", "project": project, "extra_params": {"command": command}}
    response = client.post("/tasks/submit", json=body)
    response.raise_for_status()
    task_id = str(response.json()["id"])
    client.post(f"/tasks/{task_id}/input_uploaded").raise_for_status()
    return task_id


def wait_status(
    client: httpx.Client, task_ids: list[str], wanted: set[str], limit: float = 600
) -> None:
    """Wait until every task is in one of ``wanted``; RuntimeError after ``limit`` seconds."""
    deadline = time.monotonic() + limit
    left = set(task_ids)
    while left:
        for task_id in list(left):
            status = client.get(f"/tasks/{task_id}/status").json()["status"]
            if status in wanted:
                left.discard(task_id)
            elif status in {"failed", "killed", "executer-failed"} and status not in wanted:
                raise RuntimeError(f"task {task_id} ended {status}")
        if left and time.monotonic() > deadline:
            raise RuntimeError(f"{len(left)} tasks never reached {sorted(wanted)}")
        if left:
            time.sleep(0.2)


def printer(lines_per_second: int, seconds: float = 600.0) -> list[str]:
    """A command printing ``lines_per_second`` numbered lines a second, for ``seconds``."""
    code = (
        "import sys, time\n"
        f"rate = {lines_per_second}\n"
        "start = time.monotonic(); n = 0\n"
        f"while time.monotonic() - start < {seconds}:\n"
        "    due = int((time.monotonic() - start) * rate)\n"
        "    while n < due:\n"
        "        sys.stdout.write(f'line {n} of the output at {rate} lines/s\\n'); n += 1\n"
        "    sys.stdout.flush()\n"
        "    time.sleep(0.01)\n"
    )
    return [PY, "-c", code]
