"""The one entry point: ``inductiva-top [SUBCOMMAND]``.

No subcommand opens the dashboard. Each subcommand lives in the module that
does its job; this file only parses arguments, loads configuration and
dispatches, importing the heavy modules lazily so ``--version`` stays fast.

A subcommand is registered here only once it is built.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from inductiva_top import __version__

Handler = Callable[[argparse.Namespace], int]

EXIT_OK = 0
EXIT_USAGE = 2


def _add_config_flags(parser: argparse.ArgumentParser) -> None:
    """Flags that override configuration (flag > environment > file > default)."""
    group = parser.add_argument_group("configuration")
    group.add_argument("--config", metavar="PATH", help="YAML config file to read")
    group.add_argument("--profile", metavar="NAME", help="named profile from the config file")
    group.add_argument("--api-url", metavar="URL", help="API base URL (env INDUCTIVA_API_URL)")


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, subcommands included."""
    parser = argparse.ArgumentParser(
        prog="inductiva-top",
        description="top for Inductiva simulation tasks.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"inductiva-top {__version__}")
    _add_config_flags(parser)
    parser.set_defaults(handler=None)
    subcommands = parser.add_subparsers(title="subcommands", metavar="SUBCOMMAND")
    for register in _SUBCOMMANDS:
        register(subcommands)
    return parser


# Each entry adds one built subcommand to the parser.
_SUBCOMMANDS: list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]] = []


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = args.handler
    if handler is None:
        parser.print_help()
        return EXIT_OK
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
