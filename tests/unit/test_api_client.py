"""The client against fault-injecting mock transports: requests, errors, retries, the key.

httpx.MockTransport stands in for misbehaving servers here (fault injection);
the client is tested against the real embedded server in tests/server/.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from inductiva_top import __version__
from inductiva_top.api.client import InductivaClient
from inductiva_top.api.errors import (
    ApiError,
    BadResponse,
    ClientError,
    ConnectionFailed,
    NotFound,
    RateLimited,
    ServerError,
    TimedOut,
    Unauthorized,
)
from inductiva_top.api.retry import RetryPolicy
from inductiva_top.api.timeouts import pool_limits

FIXTURES = Path(__file__).parent / "fixtures"
KEY = "s3cr3t-KEY.value_0123456789"
API = "https://api.example.test"
STORAGE = "https://storage.example.test"

Handler = Callable[[httpx.Request], httpx.Response]


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


class Recorder:
    """A mock transport that records requests and answers from a script."""

    def __init__(self, *answers: httpx.Response | Exception | Handler) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []
        self.transport = httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(request)
        return answer


class FakeSleep:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def make_client(
    recorder: Recorder, sleeper: FakeSleep | None = None, **kwargs: Any
) -> InductivaClient:
    sleeper = sleeper or FakeSleep()
    kwargs.setdefault("retry", RetryPolicy(max_attempts=3, base_delay=1.0, jitter=False))
    return InductivaClient(
        kwargs.pop("base_url", API),
        kwargs.pop("api_key", KEY),
        key_source="the environment variable INDUCTIVA_API_KEY",
        transport=recorder.transport,
        sleep=sleeper.sleep,
        clock=sleeper.clock,
        **kwargs,
    )


def ok(payload: Any, status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=payload, headers=headers)


# -- requests as the real API takes them ----------------------------------------------


async def test_list_tasks_query_and_headers() -> None:
    recorder = Recorder(ok(fixture("tasks_page.json")))
    async with make_client(recorder) as client:
        page = await client.list_tasks(
            page=2,
            per_page=100,
            status="computation-started",
            project="wave study",
            active=True,
            task_id_filter="k0",
            sort=["create_time:desc", "status:asc"],
        )
    assert page.total_size == 1234
    request = recorder.requests[0]
    assert request.method == "GET"
    assert request.url.path == "/tasks"
    assert request.url.params.multi_items() == [
        ("page", "2"),
        ("per_page", "100"),
        ("status", "computation-started"),
        ("project", "wave study"),
        ("active", "true"),
        ("task_id_filter", "k0"),
        ("sort", "create_time:desc"),
        ("sort", "status:asc"),
    ]
    assert request.headers["X-API-Key"] == KEY
    assert request.headers["User-Agent"] == f"inductiva-top/{__version__} httpx/{httpx.__version__}"


async def test_status_is_one_code_at_most() -> None:
    recorder = Recorder(ok({"total_size": 0, "tasks": []}))
    async with make_client(recorder) as client:
        await client.list_tasks(status=["submitted"], active=False)
        await client.list_tasks(status=[])
        with pytest.raises(ValueError, match="one status"):
            await client.list_tasks(status=["submitted", "started"])
    first, second = (request.url.params for request in recorder.requests)
    assert first.get_list("status") == ["submitted"]
    assert first["active"] == "false"
    assert "status" not in second


async def test_task_calls_paths_and_models() -> None:
    recorder = Recorder(
        ok(fixture("task_detail.json")),
        ok(fixture("task_status.json")),
        ok({"id": "t", "status": "pending-kill", "is_terminated": False}),
        ok({"a": "1"}),
        ok({}),
        ok({}),
        ok(fixture("task_submitted.json"), status=202),
        ok({}),
        ok({}, status=202),
        ok(fixture("version.json")),
    )
    async with make_client(recorder) as client:
        detail = await client.get_task("abc")
        status = await client.get_status("abc")
        killed = await client.kill("abc")
        metadata = await client.get_metadata("abc")
        await client.set_metadata("abc", {"k": "v"})
        await client.patch_metadata("abc", {"k2": "v2"})
        submitted = await client.submit_task({"simulator": "x", "resource_pool": "default"})
        await client.input_uploaded(submitted.id)
        await client.terminate_machine_group("group-1")
        version = await client.version()
    assert detail.status_history[0].status == "pending-input"
    assert status.position_in_queue is not None
    assert killed.status == "pending-kill"
    assert metadata == {"a": "1"}
    assert submitted.status == "pending-input"
    assert version.version == "1.42.0"
    seen = [(r.method, r.url.path) for r in recorder.requests]
    assert seen == [
        ("GET", "/tasks/abc"),
        ("GET", "/tasks/abc/status"),
        ("POST", "/tasks/abc/kill"),
        ("GET", "/tasks/abc/metadata"),
        ("PUT", "/tasks/abc/metadata"),
        ("PATCH", "/tasks/abc/metadata"),
        ("POST", "/tasks/submit"),
        ("POST", f"/tasks/{submitted.id}/input_uploaded"),
        ("DELETE", "/compute/group"),
        ("GET", "/version"),
    ]
    assert json.loads(recorder.requests[4].content) == {"k": "v"}
    assert json.loads(recorder.requests[6].content)["resource_pool"] == "default"
    assert recorder.requests[8].url.params["machine_group_id"] == "group-1"


async def test_project_and_storage_calls() -> None:
    recorder = Recorder(
        ok(fixture("projects.json")),
        ok(fixture("projects.json")[0]),
        ok(["https://storage.example.test/a?sig=1", None]),
        ok(fixture("zip_contents.json")),
        ok(fixture("zip_file_range.json")),
        ok(fixture("storage_contents.json")),
    )
    async with make_client(recorder) as client:
        projects = await client.list_projects(per_page=20, project_type="benchmark")
        project = await client.get_project("wave-study")
        urls = await client.signed_urls(["t/output.zip", "t/missing.zip"], region="eu")
        archive = await client.zip_contents("t/output.zip", "artifacts/", recursive=True)
        member = await client.zip_file_range("t/output.zip", "artifacts/", "stdout.txt")
        contents = await client.storage_contents("t/", recursive=True, per_page=10)
    assert [p.name for p in projects] == ["wave-study", "default"]
    assert project.num_tasks == 42
    assert urls == ["https://storage.example.test/a?sig=1", None]
    assert archive.contents[0].name == "artifacts/stdout.txt"
    assert member.range_start == 4300
    assert contents.total_files == 2
    params = [r.url.params for r in recorder.requests]
    assert params[0].multi_items() == [
        ("page", "1"),
        ("per_page", "20"),
        ("project_type", "benchmark"),
    ]
    assert params[2].multi_items() == [
        ("operation", "download"),
        ("paths", "t/output.zip"),
        ("paths", "t/missing.zip"),
        ("region", "eu"),
    ]
    assert params[3].multi_items() == [
        ("path", "t/output.zip"),
        ("zip_relative_path", "artifacts/"),
        ("recursive", "true"),
    ]
    assert params[4]["filename"] == "stdout.txt"
    assert params[5].multi_items() == [("path", "t/"), ("recursive", "true"), ("per_page", "10")]


async def test_fleet_board_and_account_calls() -> None:
    recorder = Recorder(
        ok(fixture("tasks_info.json")),
        ok({"owner": "ana"}),
        ok({}),
        ok(fixture("machine_groups.json")),
        ok(fixture("machine_groups.json")[0]),
        ok(fixture("user_info.json")),
        ok({}),
    )
    async with make_client(recorder) as client:
        rows = await client.project_tasks_info("wave study", select="distinct", status="failed")
        metadata = await client.get_project_metadata("wave study")
        await client.patch_project_metadata("wave study", {"owner": "bo"})
        groups = await client.list_machine_groups()
        group = await client.get_machine_group("api-7x2kq9d3p0s8v1b4n6m5c2z7")
        user = await client.user_info()
        await client.put_local_machine_group(
            "burst", 2, "local", cost_per_hour=0.3, max_idle_time=180
        )
    assert [row.parameters["n_cores"] for row in rows] == [16, 32]
    assert metadata == {"owner": "ana"}
    assert [g.name for g in groups] == [group.name, "api-elastic-1"]
    assert user.total_available_credits == 41.37
    seen = [(r.method, r.url.raw_path.split(b"?")[0]) for r in recorder.requests]
    assert seen == [
        ("GET", b"/projects/wave%20study/tasks_info"),
        ("GET", b"/projects/wave%20study/metadata"),
        ("PATCH", b"/projects/wave%20study/metadata"),
        ("GET", b"/compute/groups"),
        ("GET", b"/compute/group/api-7x2kq9d3p0s8v1b4n6m5c2z7"),
        ("GET", b"/users/info"),
        ("POST", b"/local/machine-groups"),
    ]
    assert recorder.requests[0].url.params.multi_items() == [
        ("select", "distinct"),
        ("status", "failed"),
    ]
    assert json.loads(recorder.requests[2].content) == {"owner": "bo"}
    assert json.loads(recorder.requests[6].content) == {
        "name": "burst",
        "slots": 2,
        "machine_type": "local",
        "cost_per_hour": 0.3,
        "max_idle_time": 180,
    }


async def test_path_segments_are_escaped() -> None:
    recorder = Recorder(ok(fixture("task_status.json")))
    async with make_client(recorder) as client:
        await client.get_status("../../storage/x y")
    assert recorder.requests[0].url.raw_path == b"/tasks/..%2F..%2Fstorage%2Fx%20y/status"


async def test_base_url_with_a_path_prefix() -> None:
    recorder = Recorder(ok(fixture("version.json")))
    async with make_client(recorder, base_url="http://127.0.0.1:8000/api/") as client:
        await client.version()
    assert str(recorder.requests[0].url) == "http://127.0.0.1:8000/api/version"
    assert recorder.requests[0].headers["X-API-Key"] == KEY


async def test_dot_segments_cannot_climb_out() -> None:
    recorder = Recorder(ok(fixture("task_status.json")))
    async with make_client(recorder) as client:
        await client.get_status("..")
        with pytest.raises(ValueError):
            await client.get_status("")
    assert recorder.requests[0].url.raw_path == b"/tasks/%2E%2E/status"


@pytest.mark.parametrize("url", ["ftp://example.test", "not a url", "http://", "https://[::1"])
def test_rejects_a_base_url_that_is_not_http(url: str) -> None:
    with pytest.raises(ValueError, match="http"):
        InductivaClient(url, None)


def test_rejects_a_key_that_cannot_be_a_header_without_showing_it() -> None:
    with pytest.raises(ValueError, match="from the file k") as caught:
        InductivaClient(API, "abc\ndef-secret", key_source="the file k")
    assert "secret" not in str(caught.value)


def test_keepalive_outlives_the_poll_interval() -> None:
    for interval in (1.0, 2.0, 30.0):
        expiry = pool_limits(interval).keepalive_expiry
        assert expiry is not None and expiry > interval


# -- error mapping -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "kind"),
    [
        (ok({"detail": "Task not found"}, status=404), NotFound),
        (ok({"detail": [{"loc": ["query", "page"], "msg": "bad", "type": "x"}]}, 422), ClientError),
        (httpx.Response(200, content=b"{not json"), BadResponse),
        (ok({"total_size": "many", "tasks": []}), BadResponse),
        (ok([1, 2, 3]), BadResponse),
        (httpx.Response(307, headers={"Location": "https://elsewhere.test/tasks"}), BadResponse),
        (ok({"detail": "no"}, status=401), Unauthorized),
    ],
)
async def test_error_mapping(response: httpx.Response, kind: type[ApiError]) -> None:
    recorder = Recorder(response)
    async with make_client(recorder) as client:
        with pytest.raises(kind) as caught:
            await client.list_tasks()
    assert len(recorder.requests) == 1  # none of these is retried, no redirect followed
    assert "\n" not in str(caught.value)


async def test_validation_errors_are_readable() -> None:
    detail = [{"loc": ["query", "per_page"], "msg": "must be <= 500", "type": "x"}]
    recorder = Recorder(ok({"detail": detail}, status=422))
    async with make_client(recorder) as client:
        with pytest.raises(ClientError, match=r"per_page: must be <= 500"):
            await client.list_tasks(per_page=9999)


async def test_bad_shape_names_the_field() -> None:
    recorder = Recorder(ok({"total_size": 1, "tasks": [{"status": "success"}]}))
    async with make_client(recorder) as client:
        with pytest.raises(BadResponse, match=r"tasks\.0\.task_id"):
            await client.list_tasks()


async def test_signed_urls_count_mismatch_is_a_bad_response() -> None:
    recorder = Recorder(ok(["https://a"]))
    async with make_client(recorder) as client:
        with pytest.raises(BadResponse):
            await client.signed_urls(["a", "b"])


async def test_transport_failures_map_to_the_tree() -> None:
    request = httpx.Request("GET", API)
    recorder = Recorder(httpx.ReadTimeout("slow", request=request))
    async with make_client(recorder, retry=RetryPolicy(max_attempts=1)) as client:
        with pytest.raises(TimedOut):
            await client.version()
    recorder = Recorder(httpx.ConnectError("refused", request=request))
    async with make_client(recorder, retry=RetryPolicy(max_attempts=1)) as client:
        with pytest.raises(ConnectionFailed, match="refused"):
            await client.version()
    recorder = Recorder(httpx.RemoteProtocolError("peer closed", request=request))
    async with make_client(recorder, retry=RetryPolicy(max_attempts=1)) as client:
        with pytest.raises(ConnectionFailed):
            await client.version()


# -- retries -------------------------------------------------------------------------------


async def test_gets_retry_on_transient_failures() -> None:
    request = httpx.Request("GET", API)
    sleeper = FakeSleep()
    recorder = Recorder(
        httpx.ConnectError("refused", request=request),
        ok({"detail": "busy"}, status=503),
        ok(fixture("version.json")),
    )
    async with make_client(recorder, sleeper) as client:
        version = await client.version()
    assert version.version == "1.42.0"
    assert len(recorder.requests) == 3
    assert sleeper.sleeps == [1.0, 2.0]


async def test_408_is_retried() -> None:
    sleeper = FakeSleep()
    recorder = Recorder(httpx.Response(408), ok(fixture("version.json")))
    async with make_client(recorder, sleeper) as client:
        await client.version()
    assert len(recorder.requests) == 2


async def test_gets_give_up_after_max_attempts() -> None:
    sleeper = FakeSleep()
    recorder = Recorder(ok({"detail": "down"}, status=502))
    async with make_client(recorder, sleeper) as client:
        with pytest.raises(ServerError) as caught:
            await client.list_tasks()
    assert caught.value.status == 502
    assert len(recorder.requests) == 3


async def test_retry_after_seconds_is_honoured() -> None:
    sleeper = FakeSleep()
    recorder = Recorder(
        ok({"detail": "slow down"}, status=429, **{"Retry-After": "7"}),
        ok(fixture("version.json")),
    )
    async with make_client(recorder, sleeper) as client:
        await client.version()
    assert sleeper.sleeps == [7.0]


async def test_retry_after_http_date_is_honoured() -> None:
    sleeper = FakeSleep()
    # A date in the past means "now": no wait at all.
    past = "Wed, 21 Oct 2015 07:28:00 GMT"
    recorder = Recorder(
        httpx.Response(503, headers={"Retry-After": past}), ok(fixture("version.json"))
    )
    async with make_client(recorder, sleeper) as client:
        await client.version()
    assert sleeper.sleeps == [0.0]


async def test_a_retry_after_beyond_the_budget_is_raised_to_the_caller() -> None:
    sleeper = FakeSleep()
    recorder = Recorder(ok({"detail": "later"}, status=429, **{"Retry-After": "3600"}))
    async with make_client(recorder, sleeper) as client:
        with pytest.raises(RateLimited) as caught:
            await client.list_tasks()
    assert caught.value.retry_after == 3600.0
    assert sleeper.sleeps == []
    assert len(recorder.requests) == 1


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.kill("t"),
        lambda c: c.set_metadata("t", {"a": "b"}),
        lambda c: c.patch_metadata("t", {"a": "b"}),
        lambda c: c.submit_task({"simulator": "x"}),
        lambda c: c.input_uploaded("t"),
        lambda c: c.terminate_machine_group("g"),
    ],
)
async def test_writes_are_never_retried(call: Callable[[InductivaClient], Any]) -> None:
    request = httpx.Request("POST", API)
    for failure in (
        ok({"detail": "busy"}, status=503),
        httpx.ConnectError("refused", request=request),
        httpx.ReadTimeout("slow", request=request),
    ):
        recorder = Recorder(failure)
        async with make_client(recorder) as client:
            with pytest.raises(ApiError):
                await call(client)
        assert len(recorder.requests) == 1


# -- the key -------------------------------------------------------------------------------


def test_repr_never_shows_the_key() -> None:
    client = InductivaClient(API, KEY, key_source="the file ~/.inductiva/api_key")
    assert KEY not in repr(client)
    assert "key=set" in repr(client)
    assert KEY not in str(vars(client).get("stats"))


async def test_the_key_never_leaks_into_errors_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    echo = ok({"detail": f"bad key {KEY} for you"}, status=401)
    server_echo = ok({"detail": [{"loc": ["header", "X-API-Key"], "msg": KEY}]}, status=422)
    request = httpx.Request("GET", API)
    failures: list[httpx.Response | Exception] = [
        echo,
        server_echo,
        ok({"detail": KEY}, status=500),
        httpx.Response(200, content=f"<html>{KEY}".encode()),
        httpx.ConnectError(f"could not connect with {KEY}", request=request),
    ]
    for failure in failures:
        recorder = Recorder(failure)
        async with make_client(recorder, retry=RetryPolicy(max_attempts=1)) as client:
            with pytest.raises(ApiError) as caught:
                await client.get_task("t")
        error = caught.value
        texts = [str(error), repr(error), *map(str, error.args), *map(str, vars(error).values())]
        assert all(KEY not in text for text in texts), texts
        assert error.__cause__ is None  # no httpx exception (holding the request) rides along
    assert KEY not in caplog.text


async def test_unauthorized_names_where_the_key_came_from() -> None:
    recorder = Recorder(ok({"detail": "Invalid API key"}, status=403))
    async with make_client(recorder) as client:
        with pytest.raises(Unauthorized, match="environment variable INDUCTIVA_API_KEY"):
            await client.list_tasks()


async def test_no_key_header_without_a_key() -> None:
    recorder = Recorder(ok(fixture("version.json")))
    async with make_client(recorder, api_key=None) as client:
        await client.version()
    assert "X-API-Key" not in recorder.requests[0].headers


async def test_the_key_goes_only_to_the_api_origin() -> None:
    def route(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/storage/signed-urls":
            return ok([f"{STORAGE}/bucket/t/output.zip?sig=abc", f"{API}/local/download?sig=d"])
        return httpx.Response(200, content=b"zip bytes")

    recorder = Recorder(route)
    async with make_client(recorder) as client:
        urls = await client.signed_urls(["t/output.zip", "t/input.zip"])
        for url in urls:
            assert url is not None
            async with client.storage_stream(url) as response:
                assert b"".join([c async for c in response.aiter_bytes()]) == b"zip bytes"
            await client.storage_put(url, b"abc", 3)
    api_call, *storage_calls = recorder.requests
    assert api_call.headers["X-API-Key"] == KEY
    assert len(storage_calls) == 4
    for request in storage_calls:  # other host, and even the API's own host
        assert "X-API-Key" not in request.headers
        assert KEY.encode() not in request.url.raw_path


async def test_api_redirects_are_not_followed_with_the_key() -> None:
    recorder = Recorder(httpx.Response(302, headers={"Location": "https://evil.test/x"}))
    async with make_client(recorder) as client:
        with pytest.raises(BadResponse, match=r"302 to evil\.test/x"):
            await client.version()
    assert [r.url.host for r in recorder.requests] == ["api.example.test"]


# -- size guard and stats --------------------------------------------------------------------


async def test_declared_oversize_json_is_refused_unread() -> None:
    pulled = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal pulled
        for _ in range(100):
            pulled += 1
            yield b"x" * 1024

    recorder = Recorder(
        lambda request: httpx.Response(200, headers={"Content-Length": "102400"}, content=body())
    )
    async with make_client(recorder, max_json_bytes=10_000) as client:
        with pytest.raises(BadResponse, match="too large"):
            await client.list_tasks()
    assert pulled == 0


async def test_streamed_oversize_json_stops_reading_at_the_cap() -> None:
    pulled = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal pulled
        for _ in range(1000):
            pulled += 1
            yield b"x" * 1024

    recorder = Recorder(lambda request: httpx.Response(200, content=body()))
    async with make_client(recorder, max_json_bytes=10_000) as client:
        with pytest.raises(BadResponse, match="larger than"):
            await client.list_tasks()
    assert pulled < 20


def streamed(status: int, data: bytes, **headers: str) -> Handler:
    """A response whose body arrives as a stream, as it does off a socket."""

    async def body() -> AsyncIterator[bytes]:
        yield data

    return lambda request: httpx.Response(status, headers=headers, content=body())


async def test_stats_count_requests_and_bytes() -> None:
    payload = json.dumps(fixture("version.json")).encode()
    recorder = Recorder(streamed(503, b'{"detail":"x"}'), streamed(200, payload))
    async with make_client(recorder) as client:
        before = client.stats.snapshot()
        await client.version()
        spent = client.stats - before
    assert spent.requests == 2
    assert spent.bytes_received == len(payload) + len(b'{"detail":"x"}')


async def test_request_json_is_the_public_call() -> None:
    recorder = Recorder(ok({"a": 1}), httpx.Response(204), httpx.Response(500))
    async with make_client(recorder, retry=RetryPolicy(max_attempts=1)) as client:
        assert await client.request_json("GET", "/x", params=[("k", "v")]) == {"a": 1}
        assert await client.request_json("POST", "/y", json={"b": 2}) is None
        with pytest.raises(ServerError):
            await client.request_json("GET", "/z")
    first, second, _ = recorder.requests
    assert first.url == f"{API}/x?k=v" and first.headers["X-API-Key"] == KEY
    assert json.loads(second.content) == {"b": 2}


async def test_an_api_stream_is_read_as_it_arrives_counted_and_mapped() -> None:
    lines = b'{"n": 1}\n{"n": 2}\n'
    recorder = Recorder(streamed(200, lines), streamed(404, b'{"detail": "no such task"}'))
    async with make_client(recorder) as client:
        async with client.stream("GET", "/follow", params=[("follow", "true")]) as response:
            assert response.status == 200
            body = b"".join([chunk async for chunk in response.aiter_bytes()])
        assert body == lines
        assert client.stats.bytes_received == len(lines)
        with pytest.raises(NotFound, match="no such task"):
            async with client.stream("GET", "/gone"):
                pass
    follow = recorder.requests[0]
    assert follow.url == f"{API}/follow?follow=true" and follow.headers["X-API-Key"] == KEY
    assert follow.extensions["timeout"]["read"] is None  # a quiet stream is not a dead one


# -- signed storage URLs -----------------------------------------------------------------------


async def test_storage_stream_ranges() -> None:
    partial = streamed(206, b"0123456789", **{"Content-Range": "bytes 10-19/100", "ETag": '"e1"'})
    recorder = Recorder(partial)
    async with make_client(recorder) as client:
        url = f"{STORAGE}/o.zip?sig=1"
        async with client.storage_stream(url, byte_range=(10, 19), if_range='"e1"') as response:
            assert response.status == 206
            assert response.headers["etag"] == '"e1"'
            data = b"".join([chunk async for chunk in response.aiter_bytes()])
        async with client.storage_stream(url, byte_range=(90, None)):
            pass
        assert client.stats.bytes_received == 10  # the second body was never read
    assert data == b"0123456789"
    first, second = recorder.requests
    assert first.headers["Range"] == "bytes=10-19"
    assert first.headers["If-Range"] == '"e1"'
    assert first.headers["Accept-Encoding"] == "identity"
    assert second.headers["Range"] == "bytes=90-"


async def test_storage_errors_map_to_the_tree_without_the_signature() -> None:
    recorder = Recorder(httpx.Response(416), httpx.Response(403), httpx.Response(404))
    url = f"{STORAGE}/o.zip?X-Goog-Signature=deadbeef"
    async with make_client(recorder) as client:
        with pytest.raises(ClientError) as range_error:
            async with client.storage_stream(url, byte_range=(500, None)):
                pass
        with pytest.raises(Unauthorized, match="signed URL") as refused:
            async with client.storage_stream(url):
                pass
        with pytest.raises(NotFound):
            async with client.storage_stream(url):
                pass
    assert range_error.value.status == 416
    assert "deadbeef" not in str(refused.value)


async def test_storage_stream_retries_opening() -> None:
    sleeper = FakeSleep()
    recorder = Recorder(httpx.Response(503), httpx.Response(200, content=b"ok"))
    client = make_client(recorder, sleeper)
    async with client, client.storage_stream(f"{STORAGE}/o.zip") as response:
        assert b"".join([c async for c in response.aiter_bytes()]) == b"ok"
    assert len(recorder.requests) == 2


async def test_storage_put_streams_with_a_length() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"hello "
        yield b"world"

    received: list[bytes] = []

    def store(request: httpx.Request) -> httpx.Response:
        received.append(request.read())
        return httpx.Response(200)

    recorder = Recorder(store)
    async with make_client(recorder) as client:
        await client.storage_put(f"{STORAGE}/t/input.zip?sig=1", chunks(), 11)
        assert client.stats.bytes_sent == 11
    request = recorder.requests[0]
    assert request.method == "PUT"
    assert request.headers["Content-Length"] == "11"
    assert request.headers["Content-Type"] == "application/octet-stream"
    assert "Transfer-Encoding" not in request.headers
    assert received == [b"hello world"]


async def test_storage_put_is_sent_once_and_mapped() -> None:
    recorder = Recorder(httpx.Response(503))
    async with make_client(recorder) as client:
        with pytest.raises(ServerError):
            await client.storage_put(f"{STORAGE}/x", b"abc", 3)
        with pytest.raises(ValueError):
            await client.storage_put(f"{STORAGE}/x", b"abc", 4)
    assert len(recorder.requests) == 1
