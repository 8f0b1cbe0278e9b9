"""``serve --exit-with-parent``: no orphaned server when its starter dies.

The demo starts its server in a session of its own; if the dashboard is
killed (a dropped SSH connection hangs it up), the server must notice and
shut down cleanly instead of running on.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil

STARTER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from inductiva_top.server.launcher import ServerProcess

    server = ServerProcess(Path(sys.argv[1]), slots=1, extra_args=("--exit-with-parent",))
    server.start()
    print(server.pid, flush=True)
    time.sleep(600)
    """
)


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.1)
    return False


def test_server_shuts_down_cleanly_when_its_starter_is_killed(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    starter = subprocess.Popen(
        [sys.executable, "-c", STARTER, str(data_dir)], stdout=subprocess.PIPE, text=True
    )
    assert starter.stdout is not None
    server_pid = int(starter.stdout.readline())
    try:
        assert psutil.pid_exists(server_pid)
        os.kill(starter.pid, signal.SIGKILL)
        starter.wait()
        assert _wait_gone(server_pid, timeout=30), "the server outlived its starter"
        # A clean shutdown forgets the URL; a crash would leave it behind.
        assert not (data_dir / "server.url").exists()
    finally:
        if psutil.pid_exists(server_pid):
            os.kill(server_pid, signal.SIGKILL)
