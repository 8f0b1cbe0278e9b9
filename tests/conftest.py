"""Shared fixtures: a real embedded server in a subprocess.

``live_server`` is one running server (2 slots, 1 s kill grace) on an
ephemeral loopback port with a fresh data dir. ``server_factory`` starts more
(other slot counts, a shared data dir) and every server it made is stopped at
the end of the test. A :class:`ServerProcess` can be SIGKILLed (a crash),
stopped cleanly (SIGTERM) and restarted on the same data dir.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

API_KEY_HEADER = "X-API-Key"
START_TIMEOUT = 30.0


class ServerProcess:
    """One ``inductiva-top serve`` subprocess over a data dir."""

    def __init__(
        self,
        data_dir: Path,
        *,
        slots: int = 2,
        kill_grace: float = 1.0,
        env: dict[str, str] | None = None,
        args: list[str] | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.args = list(args or [])
        self.slots = slots
        self.kill_grace = kill_grace
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None
        self.base_url = ""
        self.log_path = data_dir.parent / f"{data_dir.name}-server.log"

    def __repr__(self) -> str:  # never the API key
        return f"ServerProcess(base_url={self.base_url!r}, data_dir={str(self.data_dir)!r})"

    @property
    def api_key(self) -> str:
        """The server's API key (read from its data dir)."""
        return (self.data_dir / "api_key").read_text(encoding="ascii").strip()

    @property
    def headers(self) -> dict[str, str]:
        return {API_KEY_HEADER: self.api_key}

    @property
    def pid(self) -> int:
        assert self.process is not None, "server not started"
        return self.process.pid

    def client(self, **kwargs: object) -> httpx.Client:
        """An httpx client with the base URL and the API key set."""
        return httpx.Client(base_url=self.base_url, headers=self.headers, timeout=10.0, **kwargs)  # type: ignore[arg-type]

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
            *self.args,
        ]

    def start(self) -> ServerProcess:
        """Start the server and return once it answers ``/version``."""
        assert self.process is None or self.process.poll() is not None, "already running"
        url_file = self.data_dir / "server.url"
        url_file.unlink(missing_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child
        try:
            self.process = subprocess.Popen(
                self.command(),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **(self.env or {})},
            )
        finally:
            log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log()}")
            if url_file.exists():
                self.base_url = url_file.read_text(encoding="ascii").strip()
                try:
                    response = httpx.get(f"{self.base_url}/version", headers=self.headers)
                except httpx.TransportError:
                    response = None
                if response is not None and response.status_code == 200:
                    return self
            time.sleep(0.05)
        self.crash()
        raise RuntimeError(f"server did not start within {START_TIMEOUT} s:\n{self.log()}")

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
        if process is None or process.poll() is not None:
            return process.returncode if process is not None else 0
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


ServerFactory = Callable[..., ServerProcess]


@contextlib.contextmanager
def _servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerFactory]:
    made: list[ServerProcess] = []

    def make(
        *,
        slots: int = 2,
        kill_grace: float = 1.0,
        data_dir: Path | None = None,
        env: dict[str, str] | None = None,
        args: list[str] | None = None,
    ) -> ServerProcess:
        root = data_dir or tmp_path_factory.mktemp("server") / "data"
        server = ServerProcess(root, slots=slots, kill_grace=kill_grace, env=env, args=args)
        made.append(server)
        return server.start()

    try:
        yield make
    finally:
        for server in made:
            server.stop()


@pytest.fixture
def server_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerFactory]:
    """``make(slots=2, kill_grace=1.0, data_dir=None, env=None, args=None)`` -> a started server.

    ``env`` adds variables to the server's environment, ``args`` arguments to ``serve``.

    Every server it started is stopped at the end of the test.
    """
    with _servers(tmp_path_factory) as make:
        yield make


@pytest.fixture
def live_server(server_factory: ServerFactory) -> ServerProcess:
    """A running server: 2 slots, 1 s kill grace, fresh data dir, ephemeral loopback port."""
    return server_factory()


@pytest.fixture(scope="module")
def module_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server shared by a test module (4 slots): for tests that need no fresh state.

    Starting a server costs a second or more; tests that only submit their own
    tasks and look at those can share one.
    """
    with _servers(tmp_path_factory) as make:
        yield make(slots=4)
