"""Start and stop an embedded server in a child process.

The demo, the benchmarks and the test suite all run the real ``serve``
command in a subprocess on a free loopback port; this is the one place that
knows how: start it, wait until it answers, read its URL and key from the
data dir, and stop it cleanly (SIGTERM) or crash it (SIGKILL).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from inductiva_top.server.layout import DataDir

START_TIMEOUT = 30.0
_POLL = 0.05


class ServerStartError(RuntimeError):
    """The server exited or did not answer in time; the message holds its log."""


class ServerProcess:
    """One ``inductiva-top serve`` child process over a data dir."""

    def __init__(
        self,
        data_dir: Path,
        *,
        slots: int = 2,
        kill_grace: float = 1.0,
        log_path: Path | None = None,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        self.data_dir = data_dir
        self.slots = slots
        self.kill_grace = kill_grace
        self.extra_args = extra_args
        self.process: subprocess.Popen[bytes] | None = None
        self.base_url = ""
        self.log_path = log_path or data_dir.parent / f"{data_dir.name}-server.log"

    def __repr__(self) -> str:  # never the API key
        return f"ServerProcess(base_url={self.base_url!r}, data_dir={str(self.data_dir)!r})"

    @property
    def api_key(self) -> str:
        """The server's API key, read from its data dir."""
        return DataDir(self.data_dir).api_key_file.read_text(encoding="ascii").strip()

    @property
    def api_key_file(self) -> Path:
        return DataDir(self.data_dir).api_key_file

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.api_key}

    @property
    def pid(self) -> int:
        if self.process is None:
            raise RuntimeError("server not started")
        return self.process.pid

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "inductiva_top",
            "serve",
            "--port",
            "0",
            "--data-dir",
            str(self.data_dir),
            "--slots",
            str(self.slots),
            "--kill-grace",
            str(self.kill_grace),
            *self.extra_args,
        ]

    def start(self, timeout: float = START_TIMEOUT) -> ServerProcess:
        """Start the server and return once it answers ``GET /version``."""
        if self.running:
            raise RuntimeError("server already running")
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        url_file = self.data_dir / "server.url"
        url_file.unlink(missing_ok=True)
        with open(self.log_path, "ab") as log:
            # A session of its own: a Ctrl+C in the terminal reaches the
            # dashboard, which then stops the server in order.
            self.process = subprocess.Popen(
                self.command(),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerStartError(
                    f"server exited with {self.process.returncode}:\n{self.log()}"
                )
            if url_file.exists() and self._answers(url_file):
                return self
            time.sleep(_POLL)
        self.crash()
        raise ServerStartError(f"server did not start within {timeout:.0f} s:\n{self.log()}")

    def _answers(self, url_file: Path) -> bool:
        self.base_url = url_file.read_text(encoding="ascii").strip()
        try:
            response = httpx.get(f"{self.base_url}/version", headers=self.headers, timeout=2)
        except httpx.TransportError:
            return False
        return response.status_code == 200

    def log(self) -> str:
        """What the server printed so far."""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM (a clean shutdown) and wait; returns the exit status."""
        return self._signal(signal.SIGTERM, timeout)

    def crash(self) -> int:
        """SIGKILL: the server dies at once, leaving its tasks' processes behind."""
        return self._signal(signal.SIGKILL, 30.0)

    def _signal(self, signum: signal.Signals, timeout: float) -> int:
        process = self.process
        if process is None:
            return 0
        if process.poll() is not None:
            return process.returncode
        os.kill(process.pid, signum)
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            return process.wait()

    def restart(self) -> ServerProcess:
        """Stop cleanly (if running) and start again on the same data dir."""
        self.stop()
        return self.start()
