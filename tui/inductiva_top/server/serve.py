"""``inductiva-top serve``: run the embedded server with uvicorn.

The listening socket is bound here, before uvicorn starts, so ``--port 0``
works: the port the kernel picked is printed and written to
``<data dir>/server.url``. The API key itself is never printed: the export
line reads it from its 0600 file, so it does not end up in terminal
scrollback or logs.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import os
import re
import shlex
import socket
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from inductiva_top.server.layout import DataDir, default_data_dir

if TYPE_CHECKING:
    import uvicorn

    from inductiva_top.server.app import ServerConfig

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (``port`` 0: any free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.create_server((host, port), family=family, backlog=2048)
    # Accepted connections inherit this: a small response written in two parts
    # (headers, body) must not wait for the client's delayed ACK (~40 ms).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def base_url(sock: socket.socket) -> str:
    """``http://host:port`` of a bound socket (the machine's name for a wildcard bind)."""
    host, port = sock.getsockname()[:2]
    if ipaddress.ip_address(host).is_unspecified:
        host = socket.gethostname()
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


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


def _non_negative_float(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def register(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
        type=_positive_int,
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
        type=_non_negative_float,
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
    parser.set_defaults(handler=run_serve)


def _announce(url: str, data: DataDir) -> None:
    key_file = shlex.quote(str(data.api_key_file))
    print(f"inductiva-top server listening on {url}")
    print(f"data dir: {data.root}")
    print("point a client at it with:")
    print(f"  export INDUCTIVA_API_URL={url}")
    print(f'  export INDUCTIVA_API_KEY="$(cat {key_file})"', flush=True)


def run_serve(args: argparse.Namespace) -> int:
    """Handler of ``inductiva-top serve``."""
    from inductiva_top.server.app import ServerConfig

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


def serve(
    data: DataDir,
    config: ServerConfig,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    log_level: str = "warning",
    exit_with_parent: bool = False,
) -> int:
    """Run a server on ``data`` until SIGINT/SIGTERM; returns an exit code.

    With ``exit_with_parent`` it also shuts down cleanly when the process that
    started it goes away, however that process ended.
    """
    import sqlite3

    import uvicorn

    from inductiva_top.server.app import create_app
    from inductiva_top.server.auth import BadKeyFile
    from inductiva_top.server.db import DatabaseTooNew
    from inductiva_top.server.runtime import DataDirBusy

    if not is_loopback(host):
        print(
            f"inductiva-top serve: WARNING: serving {host}: anyone who can reach it and "
            "has the API key can run commands on this machine",
            file=sys.stderr,
        )
    try:
        sock = bind(host, port)
    except OSError as error:
        print(f"inductiva-top serve: cannot listen on {host}:{port}: {error}", file=sys.stderr)
        return EXIT_FAILURE
    url = base_url(sock)

    def forget_url() -> None:
        with contextlib.suppress(OSError):
            data.url_file.unlink()

    try:
        app = create_app(data, config, on_shutdown=forget_url)
    except (DataDirBusy, DatabaseTooNew, BadKeyFile, OSError) as error:
        sock.close()
        print(f"inductiva-top serve: {error}", file=sys.stderr)
        return EXIT_FAILURE
    except sqlite3.Error as error:
        sock.close()
        print(
            f"inductiva-top serve: cannot use the task database {data.database}: {error}",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    temp = data.url_file.with_name(data.url_file.name + f".{os.getpid()}")
    temp.write_text(url + "\n", encoding="ascii")
    os.replace(temp, data.url_file)
    _announce(url, data)
    server = uvicorn.Server(
        uvicorn.Config(app, log_level=log_level, timeout_graceful_shutdown=5, access_log=False)
    )
    if exit_with_parent:
        _watch_parent(server)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
    return EXIT_OK


def _watch_parent(server: uvicorn.Server) -> None:
    """Ask ``server`` to shut down once our parent process is gone.

    The demo starts the server in a session of its own, so a hang-up that
    kills the dashboard (a dropped SSH connection) never reaches the server:
    without this it would run on, orphaned. An orphan is re-parented, so a
    changed parent pid is the signal.
    """
    parent = os.getppid()

    def watch() -> None:
        while not server.should_exit:
            if os.getppid() != parent:
                server.should_exit = True
                return
            time.sleep(0.5)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
