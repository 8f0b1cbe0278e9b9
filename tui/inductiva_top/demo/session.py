"""The demo session: the dashboard on an embedded server running real work.

Starts ``serve`` in the background on a free loopback port (a temporary data
dir unless one is given), submits the demo plan over time, opens the
dashboard on it, and stops the server when the dashboard exits. The
``demo`` command (``cli/demo.py``) runs it.
"""

from __future__ import annotations

import dataclasses
import shutil
import signal
import sys
import tempfile
from pathlib import Path

from inductiva_top.config import Config, Secret
from inductiva_top.demo.driver import DemoDriver
from inductiva_top.demo.plan import CREDITS, CREDITS_THRESHOLD
from inductiva_top.server.launcher import ServerProcess, ServerStartError
from inductiva_top.ui.app import run_dashboard


def _exit_on_hangup(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def demo_server(data_dir: Path, slots: int) -> ServerProcess:
    """The demo's embedded server on ``data_dir`` (not started yet): its account has credits."""
    return ServerProcess(
        data_dir,
        slots=slots,
        log_path=data_dir / "server.log",
        extra_args=(
            "--exit-with-parent",
            "--credits",
            f"{CREDITS:g}",
            "--credits-threshold",
            f"{CREDITS_THRESHOLD:g}",
        ),
    )


def run_demo(config: Config, *, data_dir: Path | None, slots: int, workload: bool) -> int:
    """Run the demo with ``config``'s dashboard settings; returns the process exit code.

    ``data_dir`` None means a temporary one, removed on exit; ``workload``
    False starts the server but submits nothing.
    """
    temporary = data_dir is None
    root = Path(tempfile.mkdtemp(prefix="inductiva-top-demo-")) if data_dir is None else data_dir
    data_dir = root / "server" if temporary else root
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    server = demo_server(data_dir, slots)
    print(f"starting the embedded server (data in {data_dir}) ...", file=sys.stderr)
    try:
        server.start()
    except ServerStartError as exc:
        print(f"inductiva-top demo: the embedded server did not start: {exc}", file=sys.stderr)
        return 1
    driver: DemoDriver | None = None
    log = open(data_dir / "demo.log", "a", encoding="utf-8")  # noqa: SIM115 - closed below
    try:
        if workload:
            driver = DemoDriver(server.base_url, server.api_key, log)
            driver.start()
        demo_config = dataclasses.replace(
            config,
            api_url=server.base_url,
            api_key=Secret(server.api_key),
            api_key_source=f"the demo server's key file {server.api_key_file}",
            profile="demo",
        )
        # A hang-up (terminal closed, SSH dropped) would end the process with
        # no clean-up; turn it into an exit so the server is stopped and the
        # temporary data dir removed.
        signal.signal(signal.SIGHUP, _exit_on_hangup)
        return run_dashboard(demo_config)
    finally:
        if driver is not None:
            driver.stop()
        log.close()
        server.stop()
        if temporary:
            shutil.rmtree(root, ignore_errors=True)
        else:
            print(f"demo data kept in {data_dir}", file=sys.stderr)
