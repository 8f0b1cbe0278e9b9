"""Decompressing one zip member while checking it, whatever the headers claim.

:class:`MemberDecoder` is fed the member's compressed bytes and hands back
its content in bounded pieces, so a member that inflates far beyond its
declared size is stopped after at most ``declared + piece`` bytes instead of
filling memory or disk. At the end it checks the size and the CRC-32 against
the central directory.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Protocol

from inductiva_top.transfer.errors import BadArchive, UnsupportedCompression, printable_name
from inductiva_top.transfer.zipindex import ZipMember

try:
    import bz2
except ImportError:  # Python built without libbz2
    bz2 = None  # type: ignore[assignment]
try:
    import lzma
except ImportError:  # Python built without liblzma
    lzma = None  # type: ignore[assignment]

__all__ = ["METHOD_NAMES", "MemberDecoder", "RawDecoder", "check_supported", "make_decoder"]

STORED, DEFLATED, BZIP2, LZMA = 0, 8, 12, 14
METHOD_NAMES = {
    STORED: "stored",
    DEFLATED: "deflate",
    9: "deflate64",
    BZIP2: "bzip2",
    LZMA: "lzma",
    93: "zstandard",
    95: "xz",
    98: "ppmd",
}
PIECE = 1024 * 1024
"""Largest piece of output produced at once from one input chunk."""


class RawDecoder(Protocol):
    """Decompresses a stream piece by piece (the stdlib decompressor shapes, unified)."""

    def pieces(self, data: bytes) -> Iterator[bytes]:
        """Output for ``data``, in pieces of at most :data:`PIECE` bytes."""
        ...

    def finish(self) -> bytes:
        """Whatever output is still buffered once the input has ended."""
        ...

    @property
    def complete(self) -> bool:
        """Whether the compressed stream reached its own end marker."""
        ...


class _Stored:
    complete = True

    def pieces(self, data: bytes) -> Iterator[bytes]:
        for pos in range(0, len(data), PIECE):
            yield data[pos : pos + PIECE]

    def finish(self) -> bytes:
        return b""


class _Deflate:
    def __init__(self) -> None:
        self._z = zlib.decompressobj(-15)

    @property
    def complete(self) -> bool:
        return self._z.eof

    def pieces(self, data: bytes) -> Iterator[bytes]:
        while data and not self._z.eof:
            out = self._z.decompress(data, PIECE)
            data = self._z.unconsumed_tail
            if out:
                yield out
            elif not data:
                break

    def finish(self) -> bytes:
        return self._z.flush()


class _Bounded:
    """bz2/lzma decompressors: ``decompress(data, max_length)`` plus ``needs_input``."""

    def __init__(self, decompressor: bz2.BZ2Decompressor | lzma.LZMADecompressor) -> None:
        self._d = decompressor

    @property
    def complete(self) -> bool:
        return self._d.eof

    def pieces(self, data: bytes) -> Iterator[bytes]:
        while not self._d.eof:
            out = self._d.decompress(data, PIECE)
            data = b""
            if out:
                yield out
            if self._d.needs_input:
                break

    def finish(self) -> bytes:
        return b""


class _Lzma:
    """The zip flavour of LZMA: a 4-byte header and 5 LZMA1 property bytes, then raw LZMA1."""

    _HEADER = 9

    def __init__(self) -> None:
        self._header = b""
        self._inner: _Bounded | None = None

    @property
    def complete(self) -> bool:
        return self._inner is not None and self._inner.complete

    def pieces(self, data: bytes) -> Iterator[bytes]:
        if self._inner is None:
            self._header += data
            if len(self._header) < self._HEADER:
                return
            self._inner = self._open(self._header[: self._HEADER])
            data = self._header[self._HEADER :]
        yield from self._inner.pieces(data)

    def finish(self) -> bytes:
        return b""

    @staticmethod
    def _open(header: bytes) -> _Bounded:
        props = header[4:9]
        if int.from_bytes(header[2:4], "little") != 5 or props[0] >= 9 * 5 * 5:
            raise BadArchive("corrupt zip: bad LZMA properties")
        filters = [
            {
                "id": lzma.FILTER_LZMA1,
                "dict_size": int.from_bytes(props[1:5], "little"),
                "lc": props[0] % 9,
                "lp": (props[0] // 9) % 5,
                "pb": props[0] // 45,
            }
        ]
        return _Bounded(lzma.LZMADecompressor(format=lzma.FORMAT_RAW, filters=filters))


def make_decoder(method: int, name: str) -> RawDecoder:
    """A decoder for ``method``; :class:`UnsupportedCompression` names ``name`` otherwise."""
    if method == STORED:
        return _Stored()
    if method == DEFLATED:
        return _Deflate()
    if method == BZIP2 and bz2 is not None:
        return _Bounded(bz2.BZ2Decompressor())
    if method == LZMA and lzma is not None:
        return _Lzma()
    label = METHOD_NAMES.get(method, f"method {method}")
    raise UnsupportedCompression(
        f"{printable_name(name)} is compressed with {label}, which this Python cannot decompress"
    )


def check_supported(member: ZipMember) -> None:
    """Raise :class:`UnsupportedCompression` now for a member that could not be decoded later."""
    if member.is_encrypted:
        raise UnsupportedCompression(f"{printable_name(member.name)} is encrypted")
    make_decoder(member.method, member.name)


class MemberDecoder:
    """Decode one member's compressed bytes, checking size and CRC-32 as it goes.

    ``limit`` caps the output (default: the declared size); going past it
    raises :class:`BadArchive` before the excess is handed out.
    """

    def __init__(self, member: ZipMember, *, limit: int | None = None) -> None:
        check_supported(member)
        self.member = member
        self._decoder = make_decoder(member.method, member.name)
        self._limit = member.size if limit is None else limit
        self._crc = 0
        self.produced = 0
        """Bytes of content produced so far."""

    def feed(self, data: bytes) -> Iterator[bytes]:
        """Content for the next compressed bytes, in bounded pieces."""
        for piece in self._decoder.pieces(data):
            yield self._account(piece)

    def finish(self) -> bytes:
        """The last content; then checks that the member decoded whole and intact."""
        name = printable_name(self.member.name)
        tail = self._account(self._decoder.finish())
        if not self._decoder.complete:
            raise BadArchive(f"corrupt zip: the compressed data of {name} is cut short")
        if self.produced != self.member.size:
            raise BadArchive(
                f"corrupt zip: {name} decoded to {self.produced} bytes, "
                f"not the {self.member.size} its header declares"
            )
        if self._crc != self.member.crc32:
            raise BadArchive(f"corrupt zip: {name} fails its CRC-32 check")
        return tail

    def _account(self, piece: bytes) -> bytes:
        if not piece:
            return piece
        self.produced += len(piece)
        if self.produced > self._limit:
            raise BadArchive(
                f"{printable_name(self.member.name)} decodes to more than the "
                f"{self._limit} bytes allowed by its header (a zip bomb?)"
            )
        self._crc = zlib.crc32(piece, self._crc)
        return piece
