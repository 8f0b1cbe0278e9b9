"""Downloads from a real embedded server: full, partial (bytes counted), resumed, headless CLI."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import zipfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from inductiva_top.api.client import InductivaClient
from inductiva_top.transfer.errors import DestinationExists, MemberNotFound, NotAvailable
from inductiva_top.transfer.outputs import download_inputs, download_outputs
from inductiva_top.transfer.tail import tail_archived_file
from tests.server.task_helpers import PY, submit, wait_status

BIG_SIZE = 3_000_000
SCRIPT = f"""
import os, random
os.makedirs("vtk", exist_ok=True)
with open("big.bin", "wb") as f:
    f.write(random.Random(7).randbytes({BIG_SIZE}))
with open("vtk/frame_0001.vtk", "w") as f:
    f.write("# vtk DataFile\\n" * 500)
for i in range(200):
    print(f"step {{i}} residual {{1 / (i + 1):.6f}}")
"""
STDOUT = "".join(f"step {i} residual {1 / (i + 1):.6f}\n" for i in range(200)).encode()


@pytest.fixture(scope="module")
def finished_task(module_server: Any) -> str:
    with module_server.client() as http:
        task_id = submit(http, [PY, "run.py"], files={"run.py": SCRIPT.encode()})
        wait_status(http, task_id, "success", timeout=60)
    return task_id


@pytest.fixture
async def client(module_server: Any) -> AsyncIterator[InductivaClient]:
    async with InductivaClient(module_server.base_url, module_server.api_key) as api:
        yield api


def files_under(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


async def test_full_download_lands_where_the_official_client_puts_it(
    client: InductivaClient, finished_task: str, tmp_path: Path
) -> None:
    dest = (await download_outputs(client, finished_task, output_dir=tmp_path)).path
    assert dest == tmp_path / finished_task / "outputs"
    assert {"stdout.txt", "stderr.txt", "big.bin", "vtk/frame_0001.vtk", "run.py"} <= files_under(
        dest
    )
    assert (dest / "stdout.txt").read_bytes() == STDOUT
    assert (dest / "big.bin").read_bytes() == random.Random(7).randbytes(BIG_SIZE)
    # The zip was a step: nothing but the outputs folder is left.
    assert sorted(os.listdir(tmp_path / finished_task)) == ["outputs"]

    # Refused after reading the zip's directory, before downloading the zip.
    before = client.stats.snapshot()
    with pytest.raises(DestinationExists, match="already exists"):
        await download_outputs(client, finished_task, output_dir=tmp_path)
    assert (client.stats - before).bytes_received < BIG_SIZE / 50
    assert (dest / "stdout.txt").read_bytes() == STDOUT
    assert sorted(os.listdir(tmp_path / finished_task)) == ["outputs"]


async def test_partial_download_reads_only_the_directory_and_the_members(
    client: InductivaClient, finished_task: str, tmp_path: Path, module_server: Any
) -> None:
    archive = module_server.data_dir / "storage" / finished_task / "output.zip"
    before = client.stats.snapshot()
    result = await download_outputs(
        client, finished_task, filenames=["stdout.txt", "vtk/"], output_dir=tmp_path
    )
    dest = result.path
    cost = client.stats - before
    assert files_under(dest) == {"stdout.txt", "vtk/frame_0001.vtk"}
    assert (dest / "stdout.txt").read_bytes() == STDOUT
    assert cost.bytes_received < archive.stat().st_size / 50

    with pytest.raises(MemberNotFound, match=r"nope\.txt"):
        await download_outputs(client, finished_task, filenames=["nope.txt"], output_dir=tmp_path)


async def test_no_uncompress_keeps_the_stored_zip_byte_for_byte(
    client: InductivaClient, finished_task: str, tmp_path: Path, module_server: Any
) -> None:
    dest = (
        await download_outputs(client, finished_task, output_dir=tmp_path, uncompress=False)
    ).path
    stored = module_server.data_dir / "storage" / finished_task / "output.zip"
    assert (dest / "output.zip").read_bytes() == stored.read_bytes()
    assert os.listdir(dest) == ["output.zip"]


async def test_inputs_land_in_inputs_without_sim_dir(
    client: InductivaClient, finished_task: str, tmp_path: Path
) -> None:
    dest = (await download_inputs(client, finished_task, output_dir=tmp_path)).path
    assert dest == tmp_path / finished_task / "inputs"
    assert files_under(dest) == {"run.py"}
    assert (dest / "run.py").read_text() == SCRIPT


async def test_the_tail_of_a_finished_task_reads_only_its_byte_range(
    client: InductivaClient, finished_task: str, module_server: Any
) -> None:
    archive = module_server.data_dir / "storage" / finished_task / "output.zip"
    storage_path = f"{finished_task}/output.zip"
    before = client.stats.snapshot()
    tail = await tail_archived_file(client, storage_path, "stdout.txt", 300)
    assert tail == STDOUT[-300:]
    assert (client.stats - before).bytes_received < 8 * 1024
    assert archive.stat().st_size > BIG_SIZE

    nested = await tail_archived_file(client, storage_path, "vtk/frame_0001.vtk", 15)
    assert nested == b"# vtk DataFile\n"
    with pytest.raises(MemberNotFound, match="absent"):
        await tail_archived_file(client, storage_path, "absent.txt", 10)


class CutOnce(httpx.AsyncBaseTransport):
    """The real transport, except that the first signed download dies after ``cut`` bytes."""

    def __init__(self, cut: int) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self._cut: int | None = cut
        self.ranges: list[str | None] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        if "/signed/" not in request.url.path:
            return response
        self.ranges.append(request.headers.get("range"))
        if self._cut is None:
            return response
        cut, self._cut = self._cut, None

        async def body() -> AsyncIterator[bytes]:
            sent = 0
            async for chunk in response.stream:  # type: ignore[union-attr]
                if sent + len(chunk) >= cut:
                    yield chunk[: cut - sent]
                    await response.aclose()
                    raise httpx.ReadError("connection reset by peer (injected)")
                sent += len(chunk)
                yield chunk

        return httpx.Response(
            response.status_code, headers=response.headers, stream=_Stream(body())
        )

    async def aclose(self) -> None:
        await self._inner.aclose()


class _Stream(httpx.AsyncByteStream):
    def __init__(self, chunks: AsyncIterator[bytes]) -> None:
        self._chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._chunks:
            yield chunk


async def test_a_download_cut_midway_resumes_and_matches(
    finished_task: str, tmp_path: Path, module_server: Any
) -> None:
    transport = CutOnce(cut=1_000_000)
    async with InductivaClient(
        module_server.base_url, module_server.api_key, transport=transport
    ) as api:
        dest = (
            await download_outputs(api, finished_task, output_dir=tmp_path, uncompress=False)
        ).path
    stored = module_server.data_dir / "storage" / finished_task / "output.zip"
    assert (dest / "output.zip").read_bytes() == stored.read_bytes()
    assert transport.ranges == [None, "bytes=1000000-"]
    assert zipfile.ZipFile(dest / "output.zip").testzip() is None


async def test_outputs_of_a_running_task_are_not_available_yet(
    client: InductivaClient, module_server: Any, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    with module_server.client() as http:
        code = f"import os, time\nwhile not os.path.exists({str(go)!r}): time.sleep(0.02)\n"
        task_id = submit(http, [PY, "-c", code])
        wait_status(http, task_id, "computation-started")
        try:
            with pytest.raises(NotAvailable, match="has not finished"):
                await download_outputs(client, task_id, output_dir=tmp_path / "out")
            assert not (tmp_path / "out").exists()
        finally:
            go.touch()
            wait_status(http, task_id, "success")


@pytest.fixture
def cli_env(module_server: Any) -> Iterator[dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INDUCTIVA")}
    env["INDUCTIVA_API_URL"] = module_server.base_url
    env["INDUCTIVA_API_KEY"] = module_server.api_key
    env["INDUCTIVA_TOP_CONFIG"] = os.devnull
    yield env


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inductiva_top", "download", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_headless_command_downloads_and_refuses_to_overwrite(
    cli_env: dict[str, str], finished_task: str, tmp_path: Path, module_server: Any
) -> None:
    done = run_cli(
        cli_env, finished_task, "--filenames", "stdout.txt", "--output-dir", str(tmp_path)
    )
    assert done.returncode == 0, done.stderr
    dest = tmp_path / finished_task / "outputs"
    assert done.stdout.strip() == str(dest)
    assert (dest / "stdout.txt").read_bytes() == STDOUT
    assert "fetch" in done.stderr and "done" in done.stderr

    again = run_cli(
        cli_env, finished_task, "--filenames", "stdout.txt", "--output-dir", str(tmp_path)
    )
    assert again.returncode == 1
    assert "already exists" in again.stderr.splitlines()[-1]
    assert "--overwrite" in again.stderr.splitlines()[-1]
    assert "Traceback" not in again.stderr
    assert module_server.api_key not in again.stderr + done.stderr

    missing = run_cli(cli_env, "no-such-task", "--output-dir", str(tmp_path))
    assert missing.returncode == 1
    assert "not found" in missing.stderr and "Traceback" not in missing.stderr
