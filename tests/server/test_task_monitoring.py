"""A running task's monitoring files, written as the Inductiva task runner writes them."""

from __future__ import annotations

import csv
import io
import os
import zipfile
from contextlib import aclosing
from datetime import datetime
from pathlib import Path

import httpx

from inductiva_top.api.client import InductivaClient
from inductiva_top.api.live import LiveAccess, LiveTask
from inductiva_top.monitor.foresight.resources import (
    METRICS_PATH,
    OUTPUT_UPDATE_PATH,
    MetricsSeries,
    OutputUpdates,
)
from inductiva_top.server.layout import MONITOR_FILES
from tests.conftest import ServerFactory, ServerProcess
from tests.server.task_helpers import PY, submit, wait_status, wait_until

HEADER = b"time,command,cpu-usage,memory,disk-input,disk-output\r\n"


def busy_task(go: Path) -> tuple[list[str], dict[str, str]]:
    """A shell whose child burns CPU in bursts until ``go`` exists, then writes a file.

    Returns the command and its environment (the child's code travels in ``CHILD``).
    """
    child = (
        "import os, time\n"
        f"while not os.path.exists({str(go)!r}):\n"
        "    end = time.time() + 0.05\n"
        "    while time.time() < end:\n"
        "        pass\n"
        "    time.sleep(0.05)\n"
        "open('result.txt', 'w').write('done')\n"
    )
    return ["sh", "-c", f'{PY} -c "$CHILD" & wait'], {"CHILD": child}


def busy_server(
    server_factory: ServerFactory,
) -> tuple[ServerProcess, str, list[str], Path]:
    """A server writing its monitoring files every 0.2 s, computing a :func:`busy_task`.

    Returns the server, the task's id, its command and the file that ends it.
    """
    server = server_factory(args=["--metrics-interval", "0.2"])
    go = server.data_dir.parent / "go"
    command, env = busy_task(go)
    with server.client() as client:
        task_id = submit(client, command, env=env, files={"input.txt": b"x"})
        wait_status(client, task_id, "computation-started")
    return server, task_id, command, go


def rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_a_running_tasks_system_metrics_grow_under_the_runners_header(
    server_factory: ServerFactory,
) -> None:
    server, task_id, command, go = busy_server(server_factory)
    with server.client() as client:
        work = server.data_dir / "work" / task_id
        metrics = work / "system_metrics.csv"
        wait_until(lambda: metrics.exists() and len(rows(metrics)) >= 4, "three rows")
        early = len(rows(metrics))
        wait_until(lambda: len(rows(metrics)) > early + 2, "more rows")
        tail = client.get(
            f"/local/tasks/{task_id}/tail", params={"filename": "system_metrics.csv", "lines": 3}
        ).json()["message"]
        newest = client.get(f"/local/tasks/{task_id}/last-modified-file").json()["message"]
        update = rows(work / "output_update.csv")
        go.touch()
        done = wait_status(client, task_id)
        archive = _output_zip(client, task_id)
    assert done["status"] == "success"
    assert metrics.read_bytes().startswith(HEADER)
    table = rows(metrics)
    assert table[0] == ["time", "command", "cpu-usage", "memory", "disk-input", "disk-output"]
    for stamp, shown, cpu, memory, read, written in table[1:]:
        assert datetime.fromisoformat(stamp).utcoffset() is not None
        assert shown == " ".join(command)
        assert 0 <= float(cpu) <= 100 and 0 <= float(memory) <= 100
        assert int(read) >= 0 and int(written) >= 0
    # The CPU is the child's: the task's whole process group is measured.
    assert max(float(row[2]) for row in table[1:]) > 0
    # The live tail serves it by the same name the real file tracker does.
    assert len(tail) == 3 and all(line.count(",") >= 5 for line in tail)
    # "Last modified file" never names the monitoring files, though they are newer.
    assert newest["most_recent_file"] not in MONITOR_FILES
    # output_update.csv: one row, no header, the newest output file by absolute path.
    assert len(update) == 1
    stamp, path = update[0]
    assert datetime.fromisoformat(stamp).utcoffset() is not None
    assert os.path.isabs(path) and Path(path).parent == work.resolve()
    assert Path(path).name not in MONITOR_FILES
    # Both are outputs, as on the cloud, under artifacts/.
    assert {"artifacts/system_metrics.csv", "artifacts/output_update.csv"} <= archive
    assert (work / "result.txt").read_text() == "done"


def _output_zip(client: httpx.Client, task_id: str) -> set[str]:
    url = client.get(
        "/storage/signed-urls", params={"paths": f"{task_id}/output.zip", "operation": "download"}
    ).json()[0]
    body = httpx.get(url).content
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        return set(archive.namelist())


def test_even_a_quick_task_leaves_both_files(module_server: ServerProcess) -> None:
    with module_server.client() as client:
        task_id = submit(client, ["true"])
        wait_status(client, task_id)
    work = module_server.data_dir / "work" / task_id
    assert (work / "system_metrics.csv").read_bytes().startswith(HEADER)
    assert len(rows(work / "system_metrics.csv")) >= 2
    assert len(rows(work / "output_update.csv")) == 1


async def test_the_dashboards_reader_follows_both_files_over_the_live_interface(
    server_factory: ServerFactory,
) -> None:
    """METRICS_PATH and OUTPUT_UPDATE_PATH are the names the live tail knows (no output/ prefix)."""
    server, task_id, command, go = busy_server(server_factory)
    wait_until(
        lambda: (server.data_dir / "work" / task_id / "output_update.csv").exists(),
        "output_update.csv",
    )
    series, updates = MetricsSeries(), OutputUpdates()
    async with InductivaClient(server.base_url, server.api_key, key_source="test") as client:
        live = await LiveAccess(client).live_for(task_id)
        assert isinstance(live, LiveTask)
        # A wrong name is refused at once by a tail (a follow would wait for the file).
        updates.feed_lines(await live.tail(OUTPUT_UPDATE_PATH, 1))
        async with aclosing(live.follow(METRICS_PATH, 10)) as batches:
            async for batch in batches:
                series.feed_lines(batch.lines)
                if len(series.samples) >= 3:
                    break
        await live.aclose()
    go.touch()
    assert series.malformed == 0
    assert series.latest is not None and series.latest.command == " ".join(command)
    assert all(0 <= (cpu or 0) <= 100 for cpu in series.cpu())
    assert updates.last is not None and updates.malformed == 0
    assert updates.last.name not in MONITOR_FILES
