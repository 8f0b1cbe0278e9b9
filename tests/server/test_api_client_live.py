"""The API client against a real embedded server: every call, typed, end to end."""

from __future__ import annotations

import asyncio
import io
import sys
import zipfile
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from inductiva_top.api.client import InductivaClient
from inductiva_top.api.errors import NotFound, Unauthorized
from inductiva_top.api.models import TaskStatus
from inductiva_top.transfer.upload import input_zip_path
from tests.conftest import ServerProcess

PY = sys.executable
WAIT_SECONDS = 30.0


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(f"sim_dir/{name}", data)
    return buffer.getvalue()


async def chunks(data: bytes, size: int = 1000) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def wait_for(client: InductivaClient, task_id: str, *codes: str) -> TaskStatus:
    deadline = asyncio.get_running_loop().time() + WAIT_SECONDS
    while True:
        status = await client.get_status(task_id)
        if status.status in codes:
            return status
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"task {task_id} stuck in {status.status}, wanted {codes}")
        await asyncio.sleep(0.05)


async def submit(
    client: InductivaClient, command: list[str], files: dict[str, bytes], project: str
) -> str:
    info = await client.submit_task(
        {
            "simulator": "python",
            "resource_pool": "default",
            "project": project,
            "extra_params": {"command": command, "env": None},
        }
    )
    assert info.status == "pending-input"
    (url,) = await client.signed_urls([input_zip_path(info.id)], operation="upload")
    assert url is not None
    body = zipped(files)
    await client.storage_put(url, chunks(body), len(body))
    await client.input_uploaded(info.id)
    return info.id


@pytest.fixture
async def client(live_server: ServerProcess) -> AsyncIterator[InductivaClient]:
    async with InductivaClient(
        live_server.base_url, live_server.api_key, key_source="the test"
    ) as api:
        yield api


async def test_a_task_from_submission_to_outputs(client: InductivaClient) -> None:
    script = "print(open('numbers.txt').read().strip()); print('x' * 5000)"
    task_id = await submit(
        client, [PY, "-c", script], {"numbers.txt": b"1 2 3\n"}, project="live-client"
    )
    await wait_for(client, task_id, "success")

    task = await client.get_task(task_id)
    assert task.status == "success"
    assert task.is_terminated is True
    assert task.project == "live-client"
    codes = [entry.status for entry in task.status_history]
    assert codes[0] == "pending-input" and codes[-1] == "success"
    assert "computation-started" in codes
    assert task.create_time is not None
    assert task.create_time.utcoffset() == timedelta(0)
    assert task.executer is not None and task.executer.host_type == "local"

    await client.set_metadata(task_id, {"a": "1"})
    await client.patch_metadata(task_id, {"b": "2"})
    assert await client.get_metadata(task_id) == {"a": "1", "b": "2"}

    page = await client.list_tasks(
        project="live-client",
        status="success",
        task_id_filter=task_id[:10],
        sort=["create_time:asc"],
    )
    assert page.total_size == 1 and page.tasks[0].task_id == task_id
    assert (await client.list_tasks(project="live-client", active=True)).total_size == 0
    assert any(p.name == "live-client" for p in await client.list_projects())
    project = await client.get_project("live-client")
    assert project.task_status_overview is not None
    assert project.task_status_overview.get("success") == 1

    output = f"{task_id}/output.zip"
    listing = await client.zip_contents(output, "artifacts/", recursive=True)
    names = {member.name for member in listing.contents}
    assert any(name.endswith("stdout.txt") for name in names)
    member = await client.zip_file_range(output, "artifacts/", "stdout.txt")
    assert member.range_end >= member.range_start

    (url,) = await client.signed_urls([output])
    assert url is not None
    async with client.storage_stream(url) as whole_response:
        assert whole_response.status == 200
        whole = b"".join([part async for part in whole_response.aiter_bytes()])
    stdout = zipfile.ZipFile(io.BytesIO(whole)).read("artifacts/stdout.txt").decode()
    assert stdout.splitlines()[0] == "1 2 3"
    etag = whole_response.headers.get("etag")
    async with client.storage_stream(url, byte_range=(10, 109), if_range=etag) as part:
        assert part.status == 206
        piece = b"".join([chunk async for chunk in part.aiter_bytes()])
    assert piece == whole[10:110]
    assert client.stats.requests > 10
    assert client.stats.bytes_received >= len(whole)


async def test_kill_a_running_task(client: InductivaClient) -> None:
    task_id = await submit(
        client, [PY, "-c", "import time; time.sleep(60)"], {}, project="live-kill"
    )
    await wait_for(client, task_id, "computation-started")
    answer = await client.kill(task_id)
    assert answer.status in ("pending-kill", "killed")
    await wait_for(client, task_id, "killed")


async def test_errors_from_a_real_server(
    live_server: ServerProcess, client: InductivaClient
) -> None:
    with pytest.raises(NotFound):
        await client.get_task("no-such-task")
    async with InductivaClient(
        live_server.base_url, "not-the-key", key_source="the environment variable X"
    ) as wrong:
        with pytest.raises(Unauthorized, match="environment variable X") as caught:
            await wrong.list_tasks()
    assert "not-the-key" not in str(caught.value)
    assert (await client.version()).version


async def test_projects_rows_groups_and_the_account(client: InductivaClient) -> None:
    await client.put_local_machine_group(
        "metered", 1, "c2-standard-4", cost_per_hour=1.25, max_idle_time=600.0
    )
    task_id = await submit(client, [PY, "-c", "print('ok')"], {}, project="live-board")
    await client.set_metadata(task_id, {"alpha": "0.3", "name": "first"})
    await wait_for(client, task_id, "success")
    await client.patch_project_metadata("live-board", {"owner": "ana"})
    await client.patch_project_metadata("live-board", {"study": "s1"})

    (project,) = [p for p in await client.list_projects() if p.name == "live-board"]
    assert project.num_tasks == 1 and project.statistics is not None
    assert project.statistics.success_rate == 1.0
    assert await client.get_project_metadata("live-board") == {"owner": "ana", "study": "s1"}
    (row,) = await client.project_tasks_info("live-board")
    assert (row.task_id, row.status, row.machine_type) == (task_id, "success", "local")
    assert row.computation_time is not None and row.estimated_computation_cost == 0.0
    assert row.parameters == {"alpha": "0.3", "name": "first"}
    assert await client.project_tasks_info("live-board", status="failed") == []

    groups = {group.name: group for group in await client.list_machine_groups()}
    metered = await client.get_machine_group("metered")
    assert set(groups) == {"default", "metered"}
    assert metered.max_idle_time == 600.0 and metered.num_vms == 1
    assert metered.cost_per_hour is not None and metered.cost_per_hour.current == 1.25
    assert metered.machines is not None and len(metered.machines) == 1
    assert metered.machines[0].current_task_id is None
    assert metered.auto_terminate_ts is not None  # idle: it will terminate unless used

    user = await client.user_info()
    assert user.credits_counted is False and user.tier == "local"
    with pytest.raises(NotFound):
        await client.project_tasks_info("no-such-project")
