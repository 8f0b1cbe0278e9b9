"""The official ``inductiva`` client from PyPI, in a throwaway venv, run as a subprocess.

The venv is made once per machine and version and reused: under the pytest
cache dir (``tests/e2e/conftest.py``), or the interpreter named by
``INDUCTIVA_OFFICIAL_PYTHON``. A failed ``pip install`` (no route to PyPI)
raises :class:`OfficialClientUnavailable`, and the tests that need the client
are skipped with its one-line reason.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import venv
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

OFFICIAL_VERSION = "0.18.12"
PYTHON_ENV = "INDUCTIVA_OFFICIAL_PYTHON"
INSTALL_TIMEOUT = 600.0
RUN_TIMEOUT = 90.0
_READY = "installed-ok"


class OfficialClientUnavailable(RuntimeError):
    """The official client could not be installed; the message holds pip's output."""

    @property
    def reason(self) -> str:
        """One line: the last thing pip said (or the whole message when pip said nothing)."""
        lines = [line.strip() for line in str(self).splitlines() if line.strip()]
        return lines[-1] if lines else "pip failed"


@contextlib.contextmanager
def _locked(lock_file: Path) -> Iterator[None]:
    # pytest-xdist workers may all ask for the venv at once: one builds it.
    with open(lock_file, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def official_python(cache_dir: Path) -> Path:
    """The interpreter of a venv where ``import inductiva`` gives the official client.

    ``cache_dir`` holds the venv (``<cache_dir>/venv``); it is built on first
    use only. Raises :class:`OfficialClientUnavailable` when pip fails.
    """
    named = os.environ.get(PYTHON_ENV)
    if named:
        python = Path(named)
        if not python.exists():
            raise OfficialClientUnavailable(f"{PYTHON_ENV}={named} does not exist")
        return python
    cache_dir.mkdir(parents=True, exist_ok=True)
    env_dir = cache_dir / "venv"
    python = env_dir / "bin" / "python"
    with _locked(cache_dir / "lock"):
        if not (cache_dir / _READY).exists():
            venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
            pip = subprocess.run(
                # Few, short retries: without a route to PyPI, say so soon.
                [
                    str(python),
                    "-m",
                    "pip",
                    "install",
                    "-q",
                    "--retries",
                    "2",
                    "--timeout",
                    "15",
                    f"inductiva=={OFFICIAL_VERSION}",
                ],
                capture_output=True,
                text=True,
                timeout=INSTALL_TIMEOUT,
                env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
            )
            if pip.returncode != 0:
                raise OfficialClientUnavailable(
                    f"pip install inductiva=={OFFICIAL_VERSION} failed "
                    f"(exit {pip.returncode}):\n{pip.stdout}\n{pip.stderr}"
                )
            (cache_dir / _READY).write_text(OFFICIAL_VERSION + "\n", encoding="ascii")
    return python


def client_env(base_url: str, api_key: str, home: Path) -> dict[str, str]:
    """The environment of a user whose only configuration points at our server.

    ``HOME`` is a scratch dir, so the client's ``~/.inductiva`` (key file, log)
    is never the real one. ``GITHUB_ACTIONS`` is dropped: the client behaves
    differently under it (skips its key set-up and the account summary).
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("INDUCTIVA", "XDG_")) and k != "GITHUB_ACTIONS"
    }
    env.update(
        HOME=str(home),
        INDUCTIVA_API_URL=base_url,
        INDUCTIVA_API_KEY=api_key,
        INDUCTIVA_DISABLE_ANSI="true",
    )
    return env


@dataclass(frozen=True)
class Run:
    """A finished run of the official client."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def explain(self) -> str:
        """Everything it printed, for an assertion message."""
        return f"{' '.join(self.args)} -> exit {self.returncode}\n{self.stdout}\n{self.stderr}"


def start(
    command: Sequence[str | os.PathLike[str]], env: Mapping[str, str], cwd: Path
) -> subprocess.Popen[str]:
    """Start one run of the official client (see :func:`cli` and :func:`script`)."""
    return subprocess.Popen(
        [os.fspath(part) for part in command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=dict(env),
        cwd=cwd,
    )


def finish(process: subprocess.Popen[str]) -> Run:
    """Wait for a process from :func:`start` and collect what it printed."""
    try:
        stdout, stderr = process.communicate(timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
    args = process.args
    assert isinstance(args, list)
    return Run(tuple(str(a) for a in args), process.returncode, stdout, stderr)


def cli(python: Path, *args: str) -> list[str]:
    """The official CLI's command line: its venv's ``inductiva`` script.

    The client tells CLI from library use by ``sys.argv[0]`` ending in
    ``inductiva``, so the script is run by path, not through ``-c``.
    """
    return [str(python), str(python.parent / "inductiva"), *args]


def script(python: Path, code: str, *args: str) -> list[str]:
    """A Python program run under the official client's interpreter."""
    return [str(python), "-c", code, *args]


__all__ = [
    "OFFICIAL_VERSION",
    "OfficialClientUnavailable",
    "Run",
    "cli",
    "client_env",
    "finish",
    "official_python",
    "script",
    "start",
]
