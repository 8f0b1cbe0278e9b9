"""Partial and full downloads of a real task's ``output.zip``, beside ``curl``.

A task on the server writes ``big_mb`` MB of random (incompressible) bytes and
one 1 MB random file; the server zips them as for any task. Then:

* partial: ``download_outputs(..., filenames=["small.bin"])`` (range requests),
  bytes received counted by the client, against the member's compressed size;
* full: the whole ``output.zip`` through ``download_outputs(uncompress=False,
  keep_zip=True)`` and through ``curl`` on its signed URL, both to disk.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from inductiva_top.api.client import InductivaClient
from inductiva_top.transfer.outputs import download_outputs
from tasks import PY, api, submit, wait_status

SMALL = 1024 * 1024


@dataclass
class TransferFigures:
    """What the downloads cost."""

    archive_bytes: int
    member_compressed: int
    partial_received: int
    partial_requests: int
    full_mb_s: float
    curl_mb_s: float | None


def _writer(big_mb: int) -> list[str]:
    code = (
        "import os\n"
        "with open('big.bin', 'wb') as out:\n"
        f"    for _ in range({big_mb}):\n"
        "        out.write(os.urandom(1 << 20))\n"
        f"open('small.bin', 'wb').write(os.urandom({SMALL}))\n"
    )
    return [PY, "-c", code]


def make_archive(url: str, key: str, big_mb: int) -> str:
    """A finished task whose output.zip holds ``big_mb`` MB plus a 1 MB file; its id."""
    with api(url, key) as client:
        task_id = submit(client, _writer(big_mb), project="bench-transfer")
        wait_status(client, [task_id], {"success"}, limit=1800)
    return task_id


async def _partial_and_full(
    url: str, key: str, task_id: str, work: Path
) -> tuple[int, int, float, str]:
    async with InductivaClient(url, key) as client:
        before = client.stats.snapshot()
        await download_outputs(
            client, task_id, filenames=["small.bin"], output_dir=work / "partial"
        )
        spent = client.stats - before
        started = time.perf_counter()
        await download_outputs(
            client, task_id, output_dir=work / "full", uncompress=False, keep_zip=True
        )
        seconds = time.perf_counter() - started
        (signed,) = await client.signed_urls([f"{task_id}/output.zip"])
    return spent.bytes_received, spent.requests, seconds, signed or ""


def measure(url: str, key: str, task_id: str, archive: Path) -> TransferFigures:
    """Download the task's outputs partly and wholly (and with curl)."""
    with zipfile.ZipFile(archive) as zipped:
        member = next(i for i in zipped.infolist() if i.filename.endswith("small.bin"))
    size = archive.stat().st_size
    work = Path(tempfile.mkdtemp(prefix="bench-transfer-"))
    try:
        received, requests, seconds, signed = asyncio.run(
            _partial_and_full(url, key, task_id, work)
        )
        curl_mb_s = None
        if shutil.which("curl") and signed:
            started = time.perf_counter()
            subprocess.run(["curl", "-sSf", "-o", str(work / "curl.zip"), signed], check=True)
            curl_mb_s = size / 1e6 / (time.perf_counter() - started)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return TransferFigures(
        archive_bytes=size,
        member_compressed=member.compress_size,
        partial_received=received,
        partial_requests=requests,
        full_mb_s=size / 1e6 / seconds,
        curl_mb_s=curl_mb_s,
    )
