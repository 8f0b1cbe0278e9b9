"""The server's API key: created once, kept private, checked on every API route.

The key never leaves this module except to the owner's file (mode 0600); it
is not logged, not put in exception texts and not shown by ``repr``.
"""

from __future__ import annotations

import contextlib
import hmac
import os
import re
import secrets
from collections.abc import Awaitable, Callable

from fastapi import HTTPException, Security, status
from fastapi.security import APIKeyHeader

from inductiva_top.server.layout import DataDir

API_KEY_HEADER = "X-API-Key"
KEY_PATTERN = re.compile(r"^[A-Za-z0-9._-]+$")
"""The key format the official client accepts."""


class BadKeyFile(RuntimeError):
    """The key file exists but does not hold a usable key."""


def _write_private(path: os.PathLike[str], text: str) -> None:
    # O_EXCL: two servers starting at once never both write a key.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(text + "\n")


def load_or_create_api_key(data: DataDir) -> str:
    """The data dir's API key, generated (``secrets.token_urlsafe``) on first use."""
    path = data.api_key_file
    if not path.exists():
        data.create()
        with contextlib.suppress(FileExistsError):
            _write_private(path, secrets.token_urlsafe(32))
    key = path.read_text(encoding="ascii", errors="replace").strip()
    if not KEY_PATTERN.fullmatch(key):
        raise BadKeyFile(
            f"{path} does not hold a valid API key (expected letters, digits, '.', '_', '-'); "
            "delete it to have a new key generated"
        )
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)
    return key


_HEADER = APIKeyHeader(name=API_KEY_HEADER, auto_error=False)


def api_key_checker(key: str) -> Callable[[str | None], Awaitable[None]]:
    """A FastAPI dependency that answers 401 unless ``X-API-Key`` is ``key``.

    Declared through :class:`APIKeyHeader` so the OpenAPI schema states the
    security scheme (fuzzers and generated clients then send the header).
    ``async`` although it never awaits: FastAPI runs a plain ``def`` dependency
    in its thread pool, a hand-off to a thread and back on every request.
    """
    expected = key.encode("ascii")

    async def require_api_key(given: str | None = Security(_HEADER)) -> None:
        if not given:
            raise HTTPException(
                status_code=status.HTTP_401_UNAUTHORIZED,
                detail=f"missing {API_KEY_HEADER} header",
            )
        if not hmac.compare_digest(given.encode("utf-8", errors="replace"), expected):
            raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED, detail="invalid API key")

    return require_api_key
