"""``inductiva-top seed``: fill a server data dir (:mod:`inductiva_top.server.seed.fill`).

The seeding code is imported by the handler only, so building the argument
parser (which ``--version`` and ``--help`` do) loads none of the server's models.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from inductiva_top.cli.common import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, number_in
from inductiva_top.server.layout import DataDir, default_data_dir

if TYPE_CHECKING:
    from inductiva_top.cli.common import SubParsers

__all__ = ["MAX_TASKS", "register", "run"]

MAX_TASKS = 1_000_000
"""The plan of every task is held in memory while seeding (about 1 KB each)."""


def register(subcommands: SubParsers) -> None:
    """Add ``seed`` to the command line."""
    parser = subcommands.add_parser(
        "seed",
        help="fill a server data dir with finished example tasks (for demos and benchmarks)",
        description=(
            "Add finished tasks with realistic histories to a server data dir: every final "
            "state, resubmissions, several simulators, machine groups and projects, created "
            "over the last weeks. The server, the dashboard and the official client see them "
            "like real tasks, but they have no input or output files: their outputs are not "
            "available for download. Prints the seed used and the time taken. The data "
            "dir's server must not be running."
        ),
    )
    parser.add_argument(
        "--tasks",
        type=number_in(int, 1, MAX_TASKS),
        required=True,
        metavar="N",
        help="how many tasks to add",
    )
    parser.add_argument(
        "--projects",
        type=number_in(int, 1, 1000),
        default=8,
        metavar="K",
        help="how many projects they belong to (default 8)",
    )
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help=f"the server's data dir (default {default_data_dir()})",
    )
    parser.add_argument(
        "--seed",
        type=number_in(int, 0, 2**63 - 1),
        metavar="S",
        help="random seed: the same seed gives the same tasks (default: a random one, printed)",
    )
    parser.add_argument(
        "--days",
        type=number_in(float, 0.01, 3650.0),
        default=42.0,
        metavar="D",
        help="spread creation times over the last D days (default 42)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Handler of ``inductiva-top seed``."""
    from inductiva_top.server.seed.fill import SeedError, SeedInterrupted, seed

    data = DataDir(Path(args.data_dir).expanduser() if args.data_dir else default_data_dir())
    chosen = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    print(
        f"seeding {args.tasks:,} tasks in {args.projects} projects into {data.root} "
        f"(--seed {chosen}) ...",
        flush=True,
    )
    try:
        result = seed(data, tasks=args.tasks, projects=args.projects, seed=chosen, days=args.days)
    except SeedError as error:
        print(f"inductiva-top seed: {error}", file=sys.stderr)
        return EXIT_FAILED
    except SeedInterrupted as stop:
        print(
            f"inductiva-top seed: interrupted; {stop.written:,} tasks were added", file=sys.stderr
        )
        return EXIT_INTERRUPTED
    rate = result.tasks / result.seconds if result.seconds > 0 else 0.0
    print(
        f"added {result.tasks:,} finished tasks in {result.seconds:.1f} s "
        f"({rate:,.0f} tasks/s; {result.cpu_seconds:.1f} s of CPU)"
    )
    return EXIT_OK
