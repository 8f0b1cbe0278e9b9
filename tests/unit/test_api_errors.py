"""HTTP statuses map onto the one error tree with readable one-line messages."""

from __future__ import annotations

import json

import pytest

from inductiva_top.api.errors import (
    ApiError,
    BadResponse,
    ClientError,
    Conflict,
    NotFound,
    RateLimited,
    ServerError,
    TimedOut,
    Unauthorized,
    error_for_status,
    render_detail,
    sanitize_excerpt,
)


def body(payload: object) -> bytes:
    return json.dumps(payload).encode()


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, ClientError),
        (401, Unauthorized),
        (403, Unauthorized),
        (404, NotFound),
        (408, TimedOut),
        (409, Conflict),
        (410, ClientError),
        (416, ClientError),
        (422, ClientError),
        (429, RateLimited),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
        (599, ServerError),
    ],
)
def test_status_mapping(status: int, kind: type[ApiError]) -> None:
    error = error_for_status(status, what="GET /tasks", body=b"", key_source="the env")
    assert type(error) is kind
    assert isinstance(error, ApiError)
    assert error.status == status
    assert "\n" not in str(error)
    assert "GET /tasks" in str(error) or status in (401, 403)


def test_unauthorized_names_the_key_source() -> None:
    error = error_for_status(
        401,
        what="GET /tasks",
        body=body({"detail": "Invalid API key"}),
        key_source="the file ~/.inductiva/api_key",
    )
    assert isinstance(error, Unauthorized)
    assert "the file ~/.inductiva/api_key" in str(error)
    assert "Invalid API key" in str(error)
    assert error.key_source == "the file ~/.inductiva/api_key"


def test_unauthorized_without_a_key() -> None:
    error = error_for_status(401, what="GET /tasks", body=b"", key_source="")
    assert "none is set" in str(error)


def test_storage_refusal_is_not_blamed_on_the_key() -> None:
    error = error_for_status(
        403, what="GET storage/x", body=b"", key_source="the env", storage=True
    )
    assert isinstance(error, Unauthorized)
    assert "signed URL" in str(error)
    assert "the env" not in str(error)


def test_rate_limited_carries_retry_after() -> None:
    error = error_for_status(429, what="GET /tasks", body=b"", key_source="", retry_after=7.0)
    assert isinstance(error, RateLimited)
    assert error.retry_after == 7.0
    assert "retry in 7s" in str(error)


def test_string_detail() -> None:
    error = error_for_status(
        409, what="POST /tasks/x/kill", body=body({"detail": "task is busy"}), key_source=""
    )
    assert isinstance(error, Conflict)
    assert error.detail == "task is busy"
    assert str(error) == "conflict: POST /tasks/x/kill (HTTP 409): task is busy"


def test_validation_detail_list_is_readable() -> None:
    payload = {
        "detail": [
            {"loc": ["query", "per_page"], "msg": "ensure this value is <= 500", "type": "x"},
            {"loc": ["body", "resource_pool"], "msg": "field required", "type": "missing"},
        ]
    }
    assert render_detail(body(payload)) == (
        "per_page: ensure this value is <= 500; resource_pool: field required"
    )


def test_detail_of_non_json_or_odd_bodies() -> None:
    assert render_detail(b"") == ""
    assert render_detail(b"<html>Bad Gateway</html>") == "<html>Bad Gateway</html>"
    assert render_detail(body({"detail": {"code": 3}})) == '{"code": 3}'
    assert render_detail(body(["a", "b"])) == "a; b"


def test_the_live_routes_error_shape_gives_its_message() -> None:
    refusal = body({"status": "error", "message": "no file 'x' in the work dir"})
    assert render_detail(refusal) == "no file 'x' in the work dir"
    error = error_for_status(404, what="GET /local/tasks/t/tail", body=refusal, key_source="")
    assert isinstance(error, NotFound) and error.detail == "no file 'x' in the work dir"
    assert str(error) == "not found: GET /local/tasks/t/tail: no file 'x' in the work dir"


def test_server_text_is_sanitized_and_short() -> None:
    nasty = "\x1b[31mred\x1b]0;title\x07\u202eevil\r\nline" + "x" * 1000
    text = sanitize_excerpt(nasty)
    assert "\x1b" not in text and "\n" not in text and "\u202e" not in text
    assert len(text) <= 200
    error = error_for_status(500, what="GET /tasks", body=body({"detail": nasty}), key_source="")
    assert "\x1b" not in str(error) and len(str(error)) < 300


def test_bad_response_keeps_an_excerpt() -> None:
    error = BadResponse("malformed JSON", excerpt="{oops")
    assert error.excerpt == "{oops"
    assert str(error) == "malformed JSON"
