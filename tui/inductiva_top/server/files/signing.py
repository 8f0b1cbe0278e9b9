"""Signed, expiring URLs to the server's own storage routes.

A signed URL carries its own authorization, like a cloud storage signed URL,
so a client can hand it to any HTTP library without the API key::

    <base>/local/storage/signed/<path>?operation=download&expires=<unix>&signature=<hex>

The signature is HMAC-SHA256, keyed by the data dir's ``signing_key``, over the
operation, the normalized storage path and the expiry time; it is compared in
constant time. The storage path sits at the end of the URL's path, as in a
cloud signed URL, because the official client finds the local file name there.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from typing import Literal
from urllib.parse import quote, urlencode

from inductiva_top.server.layout import DataDir

SIGNED_ROUTE_PREFIX = "/local/storage/signed"
"""Where :func:`inductiva_top.server.routes.storage.signed_router` serves signed URLs."""

Operation = Literal["download", "upload"]
_OPERATIONS: tuple[str, ...] = ("download", "upload")
_KEY_BYTES = 32


class SignatureError(Exception):
    """A signed URL was refused; the message says why (never the key or signature)."""


class UrlSigner:
    """Signs and verifies storage URLs with one secret key."""

    def __init__(self, key: bytes, ttl_seconds: int = 3600) -> None:
        if len(key) < 16:
            raise ValueError("the signing key must be at least 16 bytes")
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        self._key = key
        self.ttl_seconds = ttl_seconds

    def __repr__(self) -> str:
        return f"UrlSigner(ttl_seconds={self.ttl_seconds})"

    def signature(self, path: str, operation: str, expires: int) -> str:
        """The hex signature of one (operation, path, expiry) triple."""
        message = f"{operation}\n{expires}\n{path}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def sign(
        self,
        path: str,
        operation: Operation,
        base_url: str,
        now: float | None = None,
    ) -> str:
        """An absolute URL that allows ``operation`` on ``path`` until the TTL runs out.

        ``path`` must already be normalized (no leading slash); ``base_url`` is
        the server's own base URL, e.g. ``str(request.base_url)``.
        """
        if operation not in _OPERATIONS:
            raise ValueError(f"unknown operation {operation!r}")
        expires = int(time.time() if now is None else now) + self.ttl_seconds
        query = urlencode(
            {
                "operation": operation,
                "expires": str(expires),
                "signature": self.signature(path, operation, expires),
            }
        )
        return f"{base_url.rstrip('/')}{SIGNED_ROUTE_PREFIX}/{quote(path, safe='/')}?{query}"

    def verify(
        self,
        path: str,
        operation: str,
        expires: str,
        signature: str,
        now: float | None = None,
    ) -> None:
        """Raise :class:`SignatureError` unless the signature is valid and unexpired."""
        if operation not in _OPERATIONS:
            raise SignatureError(f"unknown operation {operation!r}")
        try:
            expiry = int(expires)
        except ValueError:
            raise SignatureError("the URL's expiry time is not a number") from None
        expected = self.signature(path, operation, expiry)
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            raise SignatureError("the URL's signature is not valid for this path and operation")
        current = time.time() if now is None else now
        if current >= expiry:
            raise SignatureError("the signed URL has expired; ask for a new one")


def load_or_create_signing_key(data: DataDir) -> bytes:
    """The data dir's signing key, created (random, mode 0600) on first use."""
    path = data.signing_key_file
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        key = b""
    if len(key) >= _KEY_BYTES:
        return key
    data.root.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = secrets.token_bytes(_KEY_BYTES)
    # Written aside then hard-linked: link() refuses to replace an existing key, so two
    # servers starting together end up with the same one.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, key)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)
    except FileExistsError:
        existing = path.read_bytes()
        if len(existing) >= _KEY_BYTES:
            key = existing
        else:
            os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    os.chmod(path, 0o600)
    return key
