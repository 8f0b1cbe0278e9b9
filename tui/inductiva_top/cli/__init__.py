"""The command line, ``inductiva-top [SUBCOMMAND]``: one module per subcommand.

No subcommand opens the dashboard (:mod:`.dashboard`); the others are
:mod:`.serve`, :mod:`.submit`, :mod:`.download`, :mod:`.seed`, :mod:`.demo`
and :mod:`.web`, each a ``register`` (its parser) and a handler.
:mod:`.common` holds what they share: the exit codes and the configuration
and dashboard flags, derived from the settings' declarations. This module
only builds the parser from :data:`_SUBCOMMANDS` and dispatches. Subcommand
modules import their heavy modules (pydantic, httpx, textual, the server)
inside the handler, so ``--version`` and ``--help`` stay fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from inductiva_top import __version__
from inductiva_top.cli import dashboard, demo, download, seed, serve, submit, web
from inductiva_top.cli.common import (
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    add_config_flags,
    add_dashboard_flags,
)

if TYPE_CHECKING:
    from inductiva_top.cli.common import SubParsers

__all__ = ["build_parser", "main"]

Handler = Callable[[argparse.Namespace], int]

_SUBCOMMANDS: list[Callable[[SubParsers], None]] = [
    serve.register,
    submit.register,
    download.register,
    seed.register,
    demo.register,
    web.register,
]
"""Each adds one subcommand to the parser, in the order ``--help`` lists them."""


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, subcommands included."""
    parser = argparse.ArgumentParser(
        prog="inductiva-top",
        description="top for Inductiva simulation tasks.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"inductiva-top {__version__}")
    add_config_flags(parser)
    add_dashboard_flags(parser)
    parser.set_defaults(handler=None)
    subcommands = parser.add_subparsers(title="subcommands", metavar="SUBCOMMAND")
    for register in _SUBCOMMANDS:
        register(subcommands)
    return parser


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler or dashboard.run
    # Imported only now, so --version and --help stay fast.
    from inductiva_top.config import ConfigError

    try:
        return handler(args)
    except ConfigError as exc:
        print(f"inductiva-top: {exc}", file=sys.stderr)
        return EXIT_USAGE


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code.

    Bad configuration is one line on stderr and exit code 2; Ctrl+C is a
    quiet exit code 130.
    """
    try:
        return _run(argv)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
