"""The gate in front of ``inductiva-top web``'s textual-serve server.

A visitor of the page drives a dashboard holding the user's API key, so:

* Off loopback a secret token is required (random per start and printed once
  as a URL, as Jupyter does, or given with ``--token`` or
  ``INDUCTIVA_TOP_WEB_TOKEN``). The first visit brings it as ``?token=``; the
  answer keeps it in an HttpOnly, SameSite=Strict cookie (a keyed hash of the
  token, never the token) and sends the browser back to the same page without
  it in the address bar. Both are compared in constant time. Without them every
  route answers 403, the websocket included, so no dashboard process starts.
* Always: a websocket opened from another site's page is refused (its
  ``Origin`` must be this server), and without a token the ``Host`` must be a
  loopback name (a DNS-rebound name cannot reach the dashboard).

The page tells the browser to open the websocket at the address the browser
used, not at the listening address (``0.0.0.0`` means nothing to a browser).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import aiohttp_jinja2
from aiohttp import web
from textual_serve.server import Server

__all__ = ["COOKIE", "GuardedServer", "session_cookie"]

COOKIE = "inductiva_top_web"
FORBIDDEN = (
    "403 Forbidden: this dashboard needs its token. Open the URL that "
    "'inductiva-top web' printed (it ends in ?token=...).\n"
)
_LOOPBACK_NAMES = ("localhost",)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def session_cookie(token: str) -> str:
    """The cookie's value for ``token``: a keyed hash, so the cookie never holds the token."""
    return hmac.new(token.encode(), b"inductiva-top web session", hashlib.sha256).hexdigest()


def _matches(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _loopback_host(host_header: str) -> bool:
    host = urlsplit(f"//{host_header}").hostname or ""
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _same_origin(request: web.Request) -> bool:
    """True unless the request carries an ``Origin`` other than this server (a browser's CSWSH)."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc == request.host


class GuardedServer(Server):
    """textual-serve's server behind the gate (see the module doc); ``token`` None: no token."""

    def __init__(self, command: str, *, token: str | None, **kwargs: Any) -> None:
        super().__init__(command, **kwargs)
        self._token = token
        self._cookie = session_cookie(token) if token is not None else None

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(self._gate)
        return app

    @web.middleware
    async def _gate(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path == "/ws" and not _same_origin(request):
            return web.Response(status=403, text="403 Forbidden: opened from another site\n")
        if self._token is None:
            if not _loopback_host(request.host):
                return web.Response(status=403, text="403 Forbidden: not a loopback address\n")
            return await handler(request)
        assert self._cookie is not None
        if _matches(request.cookies.get(COOKIE, ""), self._cookie):
            return await handler(request)
        given = request.query.get("token")
        if given is None or not _matches(given, self._token):
            return web.Response(status=403, text=FORBIDDEN)
        if request.path != "/":
            return await handler(request)
        # The first visit: keep the token in the cookie, drop it from the address bar.
        query = {key: value for key, value in request.query.items() if key != "token"}
        response = web.Response(
            status=303, headers={"Location": str(request.rel_url.with_query(query))}
        )
        response.set_cookie(
            COOKIE,
            self._cookie,
            path="/",
            httponly=True,
            samesite="Strict",
            secure=request.secure,
        )
        return response

    @aiohttp_jinja2.template("app_index.html")
    async def handle_index(self, request: web.Request) -> dict[str, Any]:
        """The page, pointing the browser's websocket at the address it came by."""
        self.public_url = f"{request.scheme}://{request.host}"
        page: dict[str, Any] = await Server.handle_index.__wrapped__(self, request)  # type: ignore[attr-defined]
        return page
