"""Unit tests of URL signing and of the signing key file."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from inductiva_top.server.files.signing import SignatureError, UrlSigner, load_or_create_signing_key
from inductiva_top.server.layout import DataDir

KEY = b"s" * 32
NOW = 1_800_000_000.0


def parts(url: str) -> tuple[str, dict[str, str]]:
    split = urlsplit(url)
    return split.path, {k: v[0] for k, v in parse_qs(split.query).items()}


def test_a_signed_url_verifies_until_it_expires() -> None:
    signer = UrlSigner(KEY, ttl_seconds=60)
    url = signer.sign("t1/output.zip", "download", "http://127.0.0.1:8000/", now=NOW)
    path, query = parts(url)
    assert path == "/local/storage/signed/t1/output.zip"
    assert query["operation"] == "download" and int(query["expires"]) == int(NOW) + 60
    signer.verify("t1/output.zip", "download", query["expires"], query["signature"], now=NOW + 59)
    with pytest.raises(SignatureError, match="expired"):
        signer.verify(
            "t1/output.zip", "download", query["expires"], query["signature"], now=NOW + 60
        )


@pytest.mark.parametrize(
    ("path", "operation", "key"),
    [
        ("t2/output.zip", "download", KEY),
        ("t1/output.zip", "upload", KEY),
        ("t1/output.zip", "download", b"o" * 32),
    ],
)
def test_a_signature_binds_path_operation_and_key(path: str, operation: str, key: bytes) -> None:
    _, query = parts(UrlSigner(KEY).sign("t1/output.zip", "download", "http://h", now=NOW))
    with pytest.raises(SignatureError, match="not valid"):
        UrlSigner(key).verify(path, operation, query["expires"], query["signature"], now=NOW)


def test_names_are_quoted_and_garbage_is_refused() -> None:
    signer = UrlSigner(KEY)
    url = signer.sign("t1/a b#c.zip", "download", "http://h/", now=NOW)
    assert parts(url)[0] == "/local/storage/signed/t1/a%20b%23c.zip"
    with pytest.raises(SignatureError, match="not a number"):
        signer.verify("t1/x", "download", "soon", "00", now=NOW)
    with pytest.raises(SignatureError, match="unknown operation"):
        signer.verify("t1/x", "delete", "1", "00", now=NOW)


def test_the_key_never_shows() -> None:
    signer = UrlSigner(KEY)
    assert "sss" not in repr(signer) and "sss" not in str(signer)
    with pytest.raises(ValueError, match="at least 16"):
        UrlSigner(b"short")


def test_a_signing_key_is_created_private_and_kept(tmp_path: Path) -> None:
    data = DataDir(tmp_path / "fresh")
    key = load_or_create_signing_key(data)
    assert len(key) >= 32
    assert data.signing_key_file.stat().st_mode & 0o777 == 0o600
    assert load_or_create_signing_key(data) == key
    assert [p.name for p in data.root.iterdir()] == ["signing_key"]


def test_a_truncated_key_is_replaced(tmp_path: Path) -> None:
    data = DataDir(tmp_path)
    data.signing_key_file.write_bytes(b"short")
    key = load_or_create_signing_key(data)
    assert len(key) >= 32 and data.signing_key_file.read_bytes() == key
