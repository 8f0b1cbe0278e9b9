"""``inductiva-top serve``: run the embedded server (:mod:`inductiva_top.server.serve`)."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from inductiva_top.cli.common import EXIT_USAGE, number_in
from inductiva_top.server.layout import DataDir, default_data_dir

if TYPE_CHECKING:
    from inductiva_top.cli.common import SubParsers

__all__ = ["parse_machine_group", "register", "run"]


_GROUP_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")


def parse_machine_group(text: str) -> tuple[str, int, str]:
    """``NAME=SLOTS[:MACHINE_TYPE]`` -> ``(name, slots, machine_type)``."""
    name, equals, rest = text.partition("=")
    slots_text, _, machine_type = rest.partition(":")
    if not equals or not _GROUP_NAME.fullmatch(name) or not slots_text.isdigit():
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected NAME=SLOTS[:MACHINE_TYPE], e.g. big=4:c2-standard-16"
        )
    if name == "default":
        raise argparse.ArgumentTypeError("use --slots for the default machine group")
    slots = int(slots_text)
    if slots < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: SLOTS must be at least 1")
    return name, slots, machine_type or "local"


def register(subcommands: SubParsers) -> None:
    """Add ``serve`` to the command line."""
    parser = subcommands.add_parser(
        "serve",
        help="run a local server that speaks the Inductiva task API and runs tasks",
        description=(
            "Run a local server that speaks the Inductiva task API and runs tasks as "
            "subprocesses. Prints the URL and the two export lines that point clients at it."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=8000, help="port to bind; 0 picks a free one (default 8000)"
    )
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help=f"where tasks, outputs and keys are kept (default {default_data_dir()})",
    )
    parser.add_argument(
        "--slots",
        type=number_in(int, 1),
        help="tasks the default machine group runs at once (default: CPU count)",
    )
    parser.add_argument(
        "--machine-group",
        type=parse_machine_group,
        action="append",
        default=[],
        metavar="NAME=SLOTS[:TYPE]",
        help="also run a machine group NAME with SLOTS slots, labelled TYPE (repeatable)",
    )
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow binding a non-loopback address (the API is then reachable from the network)",
    )
    parser.add_argument(
        "--kill-grace",
        type=number_in(float, 0.0),
        default=5.0,
        metavar="SECONDS",
        help="time between SIGTERM and SIGKILL when a task is stopped (default 5)",
    )
    parser.add_argument(
        "--log-level",
        default="warning",
        choices=["critical", "error", "warning", "info", "debug"],
        help="uvicorn log level (default warning)",
    )
    parser.add_argument(
        "--exit-with-parent",
        action="store_true",
        help="shut down cleanly when the process that started the server exits",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Handler of ``inductiva-top serve``."""
    from inductiva_top.server.app import ServerConfig
    from inductiva_top.server.serve import is_loopback, serve

    if not is_loopback(args.host) and not args.allow_remote:
        print(
            f"inductiva-top serve: refusing to bind {args.host}, which is not a loopback "
            "address; pass --allow-remote to serve the network",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if not 0 <= args.port <= 65535:
        print("inductiva-top serve: --port must be between 0 and 65535", file=sys.stderr)
        return EXIT_USAGE
    data = DataDir(Path(args.data_dir).expanduser() if args.data_dir else default_data_dir())
    config = ServerConfig(
        slots=args.slots,
        kill_grace_seconds=args.kill_grace,
        machine_groups=tuple(args.machine_group),
    )
    return serve(
        data,
        config,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        exit_with_parent=args.exit_with_parent,
    )
