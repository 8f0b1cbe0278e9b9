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
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inductiva_top import __version__

if TYPE_CHECKING:
    from inductiva_top.config import CliOverrides, Config

Handler = Callable[[argparse.Namespace], int]

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def add_config_flags(parser: argparse.ArgumentParser, *, subcommand: bool = False) -> None:
    """Add --config, --profile and --api-url (flag > environment > file > default).

    They are on the top-level parser already; a subcommand that talks to the
    API calls this with ``subcommand=True`` so they may also follow its name,
    without its defaults hiding values given before it.
    """
    default = argparse.SUPPRESS if subcommand else None
    group = parser.add_argument_group("configuration")
    group.add_argument(
        "--config",
        metavar="PATH",
        default=default,
        help="YAML config file to read (env INDUCTIVA_TOP_CONFIG)",
    )
    group.add_argument(
        "--profile",
        metavar="NAME",
        default=default,
        help="profile from the config file: its API URL and key (env INDUCTIVA_TOP_PROFILE)",
    )
    group.add_argument(
        "--api-url",
        metavar="URL",
        default=default,
        help="API base URL (env INDUCTIVA_API_URL; default https://api.inductiva.ai)",
    )


def _add_dashboard_flags(parser: argparse.ArgumentParser) -> None:
    """Flags that set the dashboard's starting state (each also a config key)."""
    group = parser.add_argument_group("dashboard")
    group.add_argument(
        "--refresh", metavar="SECONDS", type=float, help="refresh interval (default 2, minimum 1)"
    )
    group.add_argument("--project", metavar="NAME", help="show only this project ('' for all)")
    group.add_argument(
        "--status",
        metavar="CODE",
        action="append",
        help="show only tasks with this status (repeatable or comma-separated; '' for all)",
    )
    group.add_argument(
        "--active",
        action=argparse.BooleanOptionalAction,
        help="show only tasks that have not finished",
    )
    group.add_argument(
        "--read-only",
        action=argparse.BooleanOptionalAction,
        help="never change anything on the server (no kill)",
    )
    group.add_argument(
        "--output-dir",
        metavar="PATH",
        help="where downloads go (default inductiva_output)",
    )
    group.add_argument("--theme", metavar="NAME", help="colour theme")
    group.add_argument(
        "--notify",
        action=argparse.BooleanOptionalAction,
        help="watch every task: a toast and the terminal bell when one finishes",
    )


def _overrides(args: argparse.Namespace) -> CliOverrides:
    from inductiva_top.config import CliOverrides

    def given(name: str) -> Any:
        return getattr(args, name, None)

    statuses = given("status")
    config, output_dir = given("config"), given("output_dir")
    return CliOverrides(
        config=Path(config) if config is not None else None,
        profile=given("profile"),
        api_url=given("api_url"),
        refresh=given("refresh"),
        project=given("project"),
        statuses=None
        if statuses is None
        else tuple(part for value in statuses for part in value.split(",")),
        active=given("active"),
        read_only=given("read_only"),
        output_dir=Path(output_dir) if output_dir is not None else None,
        theme=given("theme"),
        notify=given("notify"),
    )


def config_from_args(args: argparse.Namespace) -> Config:
    """The configuration for a parsed command line; prints its warnings to stderr.

    Raises :class:`~inductiva_top.config.ConfigError`, which :func:`main`
    reports as one line with exit code 2.
    """
    from inductiva_top.config import load_config

    config = load_config(_overrides(args))
    for warning in config.warnings:
        print(f"inductiva-top: warning: {warning}", file=sys.stderr)
    return config


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, subcommands included."""
    parser = argparse.ArgumentParser(
        prog="inductiva-top",
        description="top for Inductiva simulation tasks.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"inductiva-top {__version__}")
    add_config_flags(parser)
    _add_dashboard_flags(parser)
    parser.set_defaults(handler=None)
    subcommands = parser.add_subparsers(title="subcommands", metavar="SUBCOMMAND")
    for register in _SUBCOMMANDS:
        register(subcommands)
    return parser


# Each entry adds one built subcommand to the parser.
_SUBCOMMANDS: list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]] = []


def _register_serve(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from inductiva_top.server.serve import register

    register(subcommands)


_SUBCOMMANDS.append(_register_serve)


def _register_submit(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from inductiva_top.submit import register

    register(subcommands)


_SUBCOMMANDS.append(_register_submit)


def _register_download(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from inductiva_top.download_cmd import register

    register(subcommands)


_SUBCOMMANDS.append(_register_download)


def _register_seed(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from inductiva_top.server.seed_cmd import register

    register(subcommands)


_SUBCOMMANDS.append(_register_seed)


def _register_demo(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from inductiva_top.demo.command import register

    register(subcommands)


_SUBCOMMANDS.append(_register_demo)


def _register_web(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from inductiva_top.web import register

    register(subcommands)


_SUBCOMMANDS.append(_register_web)


def _dashboard(args: argparse.Namespace) -> int:
    """No subcommand: the full-screen dashboard on the configured API."""
    config = config_from_args(args)
    from inductiva_top.ui.app import run_dashboard

    return run_dashboard(config)


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler or _dashboard
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


if __name__ == "__main__":
    sys.exit(main())
