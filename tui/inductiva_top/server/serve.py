"""Running the embedded server with uvicorn (the ``serve`` command line is in ``cli/serve.py``).

The listening socket is bound here, before uvicorn starts, so ``--port 0``
works: the port the kernel picked is printed and written to
``<data dir>/server.url``. The API key itself is never printed: the export
line reads it from its 0600 file, so it does not end up in terminal
scrollback or logs.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import shlex
import socket
import sys
import threading
import time
from typing import TYPE_CHECKING

from inductiva_top.server.layout import DataDir

if TYPE_CHECKING:
    import uvicorn

    from inductiva_top.server.app import ServerConfig

EXIT_OK = 0
EXIT_FAILURE = 1


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


def _announce(url: str, data: DataDir) -> None:
    key_file = shlex.quote(str(data.api_key_file))
    print(f"inductiva-top server listening on {url}")
    print(f"data dir: {data.root}")
    print("point a client at it with:")
    print(f"  export INDUCTIVA_API_URL={url}")
    print(f'  export INDUCTIVA_API_KEY="$(cat {key_file})"', flush=True)


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
    from inductiva_top.server.runtime import DataDirBusy
    from inductiva_top.server.tasks.db import DatabaseTooNew

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
