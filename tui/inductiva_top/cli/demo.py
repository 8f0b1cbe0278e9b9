"""``inductiva-top demo``: watch real simulations run on an embedded server.

The session itself (server, workload, dashboard) is :mod:`inductiva_top.demo.session`.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from inductiva_top.cli.common import dashboard_config

if TYPE_CHECKING:
    from inductiva_top.cli.common import SubParsers

__all__ = ["register", "run"]


def register(subcommands: SubParsers) -> None:
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
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run the demo; returns the process exit code."""
    # The demo watches its own server, whatever the environment points at.
    for name in ("INDUCTIVA_TOP_PROFILE", "INDUCTIVA_API_URL", "INDUCTIVA_API_KEY"):
        os.environ.pop(name, None)
    config = dashboard_config(args)
    from inductiva_top.demo.session import run_demo

    return run_demo(config, data_dir=args.data_dir, slots=args.slots, workload=not args.no_workload)
