"""``inductiva-top web``: the dashboard in a browser, through textual-serve.

textual-serve runs one dashboard process per browser tab and streams it
over a websocket. Each process is ``python -m inductiva_top`` with the same
configuration flags this command got (``--config``, ``--profile``,
``--api-url`` and the dashboard flags); the API key travels in the
environment or the key file, never on a command line. The configuration is
checked here first, so a bad flag fails in the terminal, not in a browser.

Anyone who can reach the port gets a dashboard with this key (kill
included, unless read-only), so the default host is loopback and any other
host gets a warning.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Iterator

__all__ = ["child_command", "register", "run"]

DEFAULT_PORT = 8000

_VALUE_FLAGS = (
    ("config", "--config"),
    ("profile", "--profile"),
    ("api_url", "--api-url"),
    ("refresh", "--refresh"),
    ("project", "--project"),
    ("output_dir", "--output-dir"),
    ("theme", "--theme"),
)
_SWITCHES = (
    ("active", "--active", "--no-active"),
    ("read_only", "--read-only", "--no-read-only"),
    ("notify", "--notify", "--no-notify"),
)


def _flags(args: argparse.Namespace) -> Iterator[str]:
    for attr, flag in _VALUE_FLAGS:
        value = getattr(args, attr, None)
        if value is not None:
            yield f"{flag}={value}"
    for status in getattr(args, "status", None) or ():
        yield f"--status={status}"
    for attr, on, off in _SWITCHES:
        value = getattr(args, attr, None)
        if value is not None:
            yield on if value else off


def child_command(args: argparse.Namespace, python: str = sys.executable) -> str:
    """The shell command each browser session runs: the dashboard with ``args``' flags."""
    return shlex.join([python, "-m", "inductiva_top", *_flags(args)])


def register(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``web`` subcommand."""
    from inductiva_top.cli import add_config_flags

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
    from inductiva_top.cli import EXIT_USAGE, config_from_args

    config_from_args(args)  # a bad configuration is reported here, once
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
        return 1
    return 0
