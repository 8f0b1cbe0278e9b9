"""``inductiva-top serve``: run the embedded server (:mod:`inductiva_top.server.serve`)."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from inductiva_top.cli.common import EXIT_USAGE, number_in
from inductiva_top.server.knobs import (
    MAX_IDLE_SECONDS,
    MAX_RATE,
    METRICS_INTERVAL,
    GroupSpec,
)
from inductiva_top.server.layout import DataDir, default_data_dir

if TYPE_CHECKING:
    from inductiva_top.cli.common import SubParsers

__all__ = ["parse_duration", "parse_machine_group", "register", "run"]


_GROUP_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")
_GROUP_FORM = "NAME=SLOTS[:TYPE[:RATE[:IDLE]]]"
_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smh]?)")
_UNIT_SECONDS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0}
_MAX_CREDITS = 1e9


def parse_duration(text: str) -> float:
    """``"180"``, ``"180s"``, ``"3m"`` or ``"1.5h"`` -> seconds (more than 0)."""
    match = _DURATION.fullmatch(text.strip().lower())
    seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)] if match else 0.0
    if not 0 < seconds <= MAX_IDLE_SECONDS:
        raise ValueError(f"{text!r} is not a duration such as 180s, 3m or 1h (at most 30 days)")
    return seconds


def parse_machine_group(text: str) -> GroupSpec:
    """``NAME=SLOTS[:TYPE[:RATE[:IDLE]]]`` -> the group's spec.

    RATE is USD per machine-hour; IDLE is the idle limit (``180``, ``180s``,
    ``3m``, ``1h``). An empty TYPE means ``local``.
    """
    name, equals, rest = text.partition("=")
    slots_text, _, rest = rest.partition(":")
    machine_type, _, rest = rest.partition(":")
    rate_text, _, idle_text = rest.partition(":")
    if not equals or not _GROUP_NAME.fullmatch(name) or not slots_text.isdigit():
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected {_GROUP_FORM}, e.g. big=4:c2-standard-16:0.85:3m"
        )
    if name == "default":
        raise argparse.ArgumentTypeError("use --slots for the default machine group")
    slots = int(slots_text)
    if slots < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: SLOTS must be at least 1")
    try:
        rate = float(rate_text) if rate_text else 0.0
    except ValueError:
        rate = -1.0
    if not 0 <= rate <= MAX_RATE:
        raise argparse.ArgumentTypeError(
            f"{text!r}: RATE must be USD per machine-hour, from 0 to {MAX_RATE:g}"
        )
    try:
        idle = parse_duration(idle_text) if idle_text else None
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r}: IDLE: {error}") from None
    return GroupSpec(name, slots, machine_type or "local", rate, idle)


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
        metavar=_GROUP_FORM,
        help=(
            "also run a machine group NAME with SLOTS machines labelled TYPE, each costing "
            "RATE USD per hour while up (default 0), terminated after IDLE without a task "
            "(e.g. 3m; default never) (repeatable)"
        ),
    )
    parser.add_argument(
        "--credits",
        type=number_in(float, 0.0, _MAX_CREDITS),
        metavar="USD",
        help="count credits: the account starts with USD, spent by the machine groups' rates "
        "(default: credits are not counted)",
    )
    parser.add_argument(
        "--credits-threshold",
        type=number_in(float, 0.0, _MAX_CREDITS),
        default=0.0,
        metavar="USD",
        help="with --credits: stop the billed machine groups when this much is left (default 0)",
    )
    parser.add_argument(
        "--metrics-interval",
        type=number_in(float, 0.05, 3600.0),
        default=METRICS_INTERVAL,
        metavar="SECONDS",
        help="seconds between rows of a running task's system_metrics.csv "
        f"(default {METRICS_INTERVAL:g}; the Inductiva task runner uses 30)",
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
        credits=args.credits,
        credits_threshold=args.credits_threshold,
        metrics_interval=args.metrics_interval,
    )
    return serve(
        data,
        config,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        exit_with_parent=args.exit_with_parent,
    )
