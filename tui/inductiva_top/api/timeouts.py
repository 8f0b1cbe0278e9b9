"""Every timeout and connection-pool limit of the API client, in one place."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

__all__ = ["DEFAULT_TIMEOUTS", "Timeouts", "pool_limits"]


@dataclass(frozen=True)
class Timeouts:
    """Named timeouts, in seconds.

    ``connect``: TCP + TLS handshake. ``read``: longest silence while waiting
    for an API answer. ``write``: longest stall while sending a request body.
    ``pool``: longest wait for a free pooled connection. ``storage_read`` and
    ``storage_write`` apply to signed-URL transfers, where a slow storage host
    may pause longer mid-stream than the API ever should.
    """

    connect: float = 5.0
    read: float = 20.0
    write: float = 20.0
    pool: float = 10.0
    storage_read: float = 60.0
    storage_write: float = 120.0

    def api(self) -> httpx.Timeout:
        """The timeout of an API request."""
        return httpx.Timeout(connect=self.connect, read=self.read, write=self.write, pool=self.pool)

    def stream(self) -> httpx.Timeout:
        """The timeout of an API answer read as it arrives: no read timeout (it may stay quiet)."""
        return httpx.Timeout(connect=self.connect, read=None, write=self.write, pool=self.pool)

    def storage(self) -> httpx.Timeout:
        """The timeout of a signed-URL download or upload."""
        return httpx.Timeout(
            connect=self.connect,
            read=self.storage_read,
            write=self.storage_write,
            pool=self.pool,
        )


DEFAULT_TIMEOUTS = Timeouts()

KEEPALIVE_MARGIN_SECONDS = 15.0
"""How much longer than one poll interval an idle connection is kept."""


def pool_limits(poll_interval: float) -> httpx.Limits:
    """Pool limits whose keep-alive outlives the poll interval.

    An idle connection must survive from one refresh to the next, or every
    refresh pays a new TCP and TLS handshake.
    """
    return httpx.Limits(
        max_connections=20,
        max_keepalive_connections=10,
        keepalive_expiry=max(0.0, poll_interval) * 2 + KEEPALIVE_MARGIN_SECONDS,
    )
