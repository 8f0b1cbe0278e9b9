"""``inductiva-top demo``: the dashboard on an embedded server running real work.

Starts ``serve`` in the background on a free loopback port (a temporary data
dir unless ``--data-dir`` is given), submits the demo plan over time, opens the
dashboard on it, and stops the server when the dashboard exits.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path


def register(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``demo`` to the command line."""
    parser = subcommands.add_parser(
        "demo",
        help="watch real simulations run on an embedded server (no account needed)",
        description=(
            "Start an embedded server in the background, submit a small realistic "
            "workload to it, and open the dashboard on it. The server stops when "
            "the dashboard exits."
        ),
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        help="keep the server's data here (default: a temporary dir, removed on exit)",
    )
    parser.add_argument(
        "--slots",
        type=int,
        default=3,
        help="tasks the default machine group runs at once (default 3)",
    )
    parser.add_argument(
        "--no-workload", action="store_true", help="start the server but submit nothing"
    )
    parser.add_argument(
        "--config",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="YAML config file for the dashboard's settings (theme, keys, columns)",
    )
    parser.set_defaults(handler=run_demo)


def _exit_on_hangup(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def run_demo(args: argparse.Namespace) -> int:
    """Run the demo; returns the process exit code."""
    from inductiva_top.cli import config_from_args
    from inductiva_top.config import Secret
    from inductiva_top.demo.driver import DemoDriver
    from inductiva_top.server.launcher import ServerProcess, ServerStartError
    from inductiva_top.ui.app import run_dashboard

    # The demo watches its own server, whatever the environment points at.
    for name in ("INDUCTIVA_TOP_PROFILE", "INDUCTIVA_API_URL", "INDUCTIVA_API_KEY"):
        os.environ.pop(name, None)
    config = config_from_args(args)
    temporary = args.data_dir is None
    root = Path(tempfile.mkdtemp(prefix="inductiva-top-demo-")) if temporary else args.data_dir
    data_dir = root / "server" if temporary else root
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    server = ServerProcess(
        data_dir,
        slots=args.slots,
        log_path=data_dir / "server.log",
        extra_args=("--exit-with-parent",),
    )
    print(f"starting the embedded server (data in {data_dir}) ...", file=sys.stderr)
    try:
        server.start()
    except ServerStartError as exc:
        print(f"inductiva-top demo: the embedded server did not start: {exc}", file=sys.stderr)
        return 1
    driver: DemoDriver | None = None
    log = open(data_dir / "demo.log", "a", encoding="utf-8")  # noqa: SIM115 - closed below
    try:
        if not args.no_workload:
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
