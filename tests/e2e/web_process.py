"""``inductiva-top web`` as a real process on a free port, for the web tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil

from tests.conftest import ServerProcess

WAIT_SECONDS = 30.0


@dataclass
class WebProcess:
    """A running ``inductiva-top web``: its process, port and what it printed on stderr."""

    process: subprocess.Popen[bytes]
    port: int
    stderr: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def printed(self) -> str:
        return self.stderr.read_text(encoding="utf-8", errors="replace")

    def dashboards(self) -> list[list[str]]:
        """The command lines of the dashboard processes it started."""
        return [
            child.cmdline()
            for child in psutil.Process(self.process.pid).children(recursive=True)
            if "inductiva_top" in child.cmdline()
        ]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def web_process(
    server: ServerProcess, tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> Iterator[WebProcess]:
    """``inductiva-top web --port P --api-url <server> *args``, no user config; stopped after."""
    port = free_port()
    stderr = tmp_path / f"web-{port}.err"
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("INDUCTIVA")},
        "INDUCTIVA_API_KEY": server.api_key,
        "XDG_CONFIG_HOME": str(tmp_path / "config"),  # no user config.yaml
        "HOME": str(tmp_path),
        **(env or {}),
    }
    command = [sys.executable, "-m", "inductiva_top", "web", "--port", str(port)]
    with open(stderr, "wb") as sink:
        process = subprocess.Popen(
            [*command, "--api-url", server.base_url, *args],
            env=environment,
            cwd=tmp_path,
            stderr=sink,
            stdout=subprocess.DEVNULL,
        )
    web = WebProcess(process, port, stderr)
    try:
        _wait_listening(web)
        yield web
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_listening(web: WebProcess) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        if web.process.poll() is not None:
            raise AssertionError(f"inductiva-top web exited: {web.printed()}")
        try:
            httpx.get(web.base + "/", timeout=1.0)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise AssertionError("inductiva-top web never answered") from None
            time.sleep(0.1)
