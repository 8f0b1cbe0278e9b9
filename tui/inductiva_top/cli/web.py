"""``inductiva-top web``: the dashboard in a browser, through textual-serve.

textual-serve runs one dashboard process per browser tab and streams it
over a websocket. Each process is ``python -m inductiva_top`` with the same
configuration flags this command got (``--config``, ``--profile``,
``--api-url`` and every dashboard flag: ``common.forwarded_flags``); the API
key travels in the environment or the key file, never on a command line. The configuration is
checked here first, so a bad flag fails in the terminal, not in a browser.

Anyone who can reach the port gets a dashboard with this key, so the default
host is loopback. Any other host needs a secret token (random per start and
printed once in the URL to open, or ``--token`` / ``INDUCTIVA_TOP_WEB_TOKEN``),
and its dashboards are read-only unless ``--allow-write`` is given; see
:mod:`.webguard` for the gate itself.
"""

from __future__ import annotations

import argparse
import os
import secrets
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

__all__ = ["TOKEN_ENV", "child_command", "register", "run", "web_token"]

DEFAULT_PORT = 8000
TOKEN_ENV = "INDUCTIVA_TOP_WEB_TOKEN"  # noqa: S105 - the variable's name, not a secret
MIN_TOKEN_CHARS = 16


def child_command(
    args: argparse.Namespace, python: str = sys.executable, *, read_only: bool = False
) -> str:
    """The shell command each browser session runs: the dashboard with ``args``' flags.

    ``read_only`` forces read-only dashboards, whatever the flags say.
    """
    flags = list(forwarded_flags(args))
    if read_only:
        flags = [flag for flag in flags if flag not in ("--read-only", "--no-read-only")]
        flags.append("--read-only")
    return shlex.join([python, "-m", "inductiva_top", *flags])


def web_token(args: argparse.Namespace, loopback: bool) -> tuple[str | None, bool]:
    """The token visitors need and whether it was made here (then it is printed).

    ``--token`` or :data:`TOKEN_ENV` give one; off loopback a random one is
    made when none is given; on loopback none is needed. Raises
    :class:`ValueError` for a given token too short to be a secret.
    """
    given = args.token if args.token is not None else os.environ.get(TOKEN_ENV) or None
    if given is not None:
        if len(given) < MIN_TOKEN_CHARS:
            raise ValueError(f"the web token must be at least {MIN_TOKEN_CHARS} characters")
        return given, False
    if loopback:
        return None, False
    return secrets.token_urlsafe(32), True


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
    parser.add_argument(
        "--token",
        metavar="TOKEN",
        help=(
            f"the secret visitors need (default: ${TOKEN_ENV}, else a random one printed at "
            "start when HOST is not loopback)"
        ),
    )
    parser.add_argument(
        "--allow-write",
        action="store_true",
        help="off loopback, let visitors kill tasks too (dashboards are read-only otherwise)",
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

    loopback = is_loopback(args.host)
    try:
        token, made_here = web_token(args, loopback)
    except ValueError as error:
        print(f"inductiva-top: {error}", file=sys.stderr)
        return EXIT_USAGE
    from inductiva_top.cli.webguard import GuardedServer

    read_only = not loopback and not args.allow_write
    server = GuardedServer(
        child_command(args, read_only=read_only),
        token=token,
        host=args.host,
        port=args.port,
        title="inductiva-top",
    )
    address = f"http://{args.host}:{args.port}/"
    if token is None:
        print(f"inductiva-top: serving the dashboard at {address}", file=sys.stderr)
    elif made_here:
        print(
            f"inductiva-top: serving the dashboard; open it with its token (once per browser):\n"
            f"    {address}?token={token}",
            file=sys.stderr,
        )
    else:
        print(
            f"inductiva-top: serving the dashboard at {address}?token=<your token>",
            file=sys.stderr,
        )
    if read_only:
        print(
            "inductiva-top: visitors get read-only dashboards (--allow-write lets them kill)",
            file=sys.stderr,
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
