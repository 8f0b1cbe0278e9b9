"""Shared set-up for the storage route tests: a real server over the storage routers."""

from __future__ import annotations

import io
import shutil
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from fastapi import FastAPI

from inductiva_top.server.files.signing import UrlSigner
from inductiva_top.server.layout import DataDir
from inductiva_top.server.routes.storage import signed_router, storage_router
from tests.server.router_harness import serve

TASK = "t0abc123"
MAX_UPLOAD = 256 * 1024
STDOUT = b"".join(b"line %d of the simulation\n" % i for i in range(2000))
VTK = b"vtk data " * 500


@dataclass
class Env:
    data: DataDir
    signer: UrlSigner
    client: httpx.Client
    base_url: str
    uploads: list[str] = field(default_factory=list)

    def signed(self, path: str, operation: str = "download") -> str | None:
        response = self.client.get(
            "/storage/signed-urls", params={"paths": [path], "operation": operation}
        )
        assert response.status_code == 200, response.text
        url = response.json()[0]
        assert url is None or isinstance(url, str)
        return url


def make_output_zip(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("artifacts/stdout.txt", STDOUT, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("artifacts/stderr.txt", b"", compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("artifacts/vtk/a.vtk", VTK, compress_type=zipfile.ZIP_STORED)
        archive.writestr("artifacts/vtk/deep/b.vtk", VTK * 2, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("sim_dir/", b"")
        archive.writestr("sim_dir/input.txt", b"input", compress_type=zipfile.ZIP_DEFLATED)


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@contextmanager
def storage_server(root: Path) -> Iterator[Env]:
    """A server over the storage routers of a data dir at ``root``."""
    data = DataDir(root)
    signer = UrlSigner(b"k" * 32, ttl_seconds=600)
    uploads: list[str] = []
    app = FastAPI()
    app.include_router(storage_router(data, signer))
    app.include_router(signed_router(data, signer, uploads.append, max_upload_bytes=MAX_UPLOAD))
    with serve(app) as base_url, httpx.Client(base_url=base_url, timeout=10) as client:
        yield Env(data, signer, client, base_url, uploads)


def fresh(env: Env) -> Env:
    """Empty the data dir, put back one task's output zip, forget uploads."""
    shutil.rmtree(env.data.root, ignore_errors=True)
    env.data.create()
    make_output_zip(env.data.output_zip(TASK))
    env.uploads.clear()
    return env
