"""A TCP proxy in front of a real server that can go away for a while and come back.

While it is down the port refuses connections and every connection it carried
is cut, as when the API's host restarts or the network drops; the server
behind it goes on (its tasks keep running). It runs on the test's own event
loop, so a Pilot test drives the dashboard and the outage together.
"""

from __future__ import annotations

import asyncio
import contextlib
from types import TracebackType

__all__ = ["Outage"]

CHUNK = 64 * 1024


class Outage:
    """Proxies ``127.0.0.1:<port>`` to ``target``; :meth:`go_down` and :meth:`come_back`."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()
        self._pipes: set[asyncio.Task[None]] = set()
        self.port = 0

    @property
    def url(self) -> str:
        """The proxy's base URL, for a client to use instead of the server's."""
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> Outage:
        await self.come_back()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.go_down()

    async def come_back(self) -> None:
        """Listen (again, on the same port)."""
        self._server = await asyncio.start_server(
            self._handle, "127.0.0.1", self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def go_down(self) -> None:
        """Refuse new connections and cut every open one."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for writer in list(self._open):
            writer.transport.abort()
        self._open.clear()
        for pipe in list(self._pipes):
            pipe.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.transport.abort()
            return
        self._open.update((writer, upstream_writer))
        pipes = [
            asyncio.create_task(self._pipe(reader, upstream_writer)),
            asyncio.create_task(self._pipe(upstream_reader, writer)),
        ]
        self._pipes.update(pipes)
        try:
            await asyncio.gather(*pipes, return_exceptions=True)
        finally:
            self._pipes.difference_update(pipes)
            for end in (writer, upstream_writer):
                self._open.discard(end)
                end.transport.abort()

    @staticmethod
    async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await source.read(CHUNK):
                sink.write(data)
                await sink.drain()
        # One side ended: the other end learns it by its own connection closing.
        with contextlib.suppress(ConnectionError, OSError, RuntimeError):
            sink.write_eof()
