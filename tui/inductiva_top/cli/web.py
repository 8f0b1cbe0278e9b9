"""``inductiva-top web``: the dashboard in a browser, through textual-serve.

textual-serve runs one dashboard process per browser tab and streams it
over a websocket. Each process is ``python -m inductiva_top`` with the same
configuration flags this command got (``--config``, ``--profile``,
``--api-url`` and every dashboard flag: ``common.forwarded_flags``); the API
key travels in the environment or the key file, never on a command line. The configuration is
checked here first, so a bad flag fails in the terminal, not in a browser.

Anyone who can reach the port gets a dashboard with this key (kill
included, unless read-only), so the default host is loopback and any other
host gets a warning.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from typing import TYPE_CHECKING

from inductiva_top.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    add_config_flags,
    dashboard_config,
    forwarded_flags,
)

if TYPE_CHECKING:
    from inductiva_top.cli.common import SubParsers

__all__ = ["child_command", "register", "run"]

DEFAULT_PORT = 8000


def child_command(args: argparse.Namespace, python: str = sys.executable) -> str:
    """The shell command each browser session runs: the dashboard with ``args``' flags."""
    return shlex.join([python, "-m", "inductiva_top", *forwarded_flags(args)])


def register(subcommands: SubParsers) -> None:
    """Add the ``web`` subcommand."""
    parser = subcommands.add_parser(
        "web",
        help="serve the dashboard to a web browser (textual-serve)",
        description=(
            "Serve the dashboard at http://HOST:PORT; every browser tab gets its own "
            "dashboard, run with this command's configuration. Dashboard flags "
            "(--project, --status, --read-only ...) go before 'web'."
        ),
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default %(default)s)"
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="port to listen on (default %(default)s)"
    )
    add_config_flags(parser, subcommand=True)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted; returns the exit code."""
    dashboard_config(args)  # a bad configuration is reported here, once
    if not 0 < args.port < 65536:
        print(f"inductiva-top: --port {args.port} is not a port (1-65535)", file=sys.stderr)
        return EXIT_USAGE
    from inductiva_top.server.serve import is_loopback

    if not is_loopback(args.host):
        print(
            f"inductiva-top: warning: listening on {args.host}: anyone who can reach it "
            "uses your API key (consider --read-only)",
            file=sys.stderr,
        )
    from textual_serve.server import Server

    server = Server(child_command(args), host=args.host, port=args.port, title="inductiva-top")
    print(
        f"inductiva-top: serving the dashboard at http://{args.host}:{args.port}", file=sys.stderr
    )
    try:
        server.serve()
    except OSError as error:
        print(
            f"inductiva-top: cannot listen on {args.host}:{args.port}: {error.strerror}",
            file=sys.stderr,
        )
        return EXIT_FAILED
    return EXIT_OK
