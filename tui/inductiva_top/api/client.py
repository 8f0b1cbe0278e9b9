"""The async client of the Inductiva task API (see ``shared/api-contract.md``).

One :class:`InductivaClient` holds one ``httpx.AsyncClient`` for the life of
the application, so connections are reused from one refresh to the next.
Every call returns a typed model or raises an
:class:`~inductiva_top.api.errors.ApiError`; GETs are retried per the
:class:`~inductiva_top.api.retry.RetryPolicy`, writes never.

The API key goes in ``X-API-Key`` on requests to the API's own origin only.
Signed storage URLs carry their own authorization; :meth:`storage_stream` and
:meth:`storage_put` never send the key, whatever host the URL names.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections.abc import AsyncIterable, AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Any

import httpx
from pydantic import TypeAdapter

from inductiva_top import __version__
from inductiva_top.api.errors import BadResponse
from inductiva_top.api.models import (
    ApiVersion,
    MachineGroup,
    Project,
    ProjectTaskInfo,
    StorageContents,
    TaskPage,
    TaskStatus,
    TaskSubmittedInfo,
    TaskWithStatusHistory,
    UserInfo,
    ZipArchiveInfo,
    ZipFileRange,
)
from inductiva_top.api.retry import NO_RETRY, Clock, RetryPolicy, Sleep, run_with_retries
from inductiva_top.api.shapes import (
    BUILT_ON_FIRST_USE,
    Query,
    segment,
    validate,
    validate_model,
)
from inductiva_top.api.timeouts import DEFAULT_TIMEOUTS, Timeouts, pool_limits
from inductiva_top.api.wire import ClientStats, StreamedResponse, Wire, describe_url

__all__ = ["ClientStats", "InductivaClient", "StreamedResponse"]

_PROJECTS: TypeAdapter[list[Project]] = TypeAdapter(list[Project], config=BUILT_ON_FIRST_USE)
_TASKS_INFO: TypeAdapter[list[ProjectTaskInfo]] = TypeAdapter(
    list[ProjectTaskInfo], config=BUILT_ON_FIRST_USE
)
_GROUPS: TypeAdapter[list[MachineGroup]] = TypeAdapter(
    list[MachineGroup], config=BUILT_ON_FIRST_USE
)
_SIGNED_URLS: TypeAdapter[list[str | None]] = TypeAdapter(
    list[str | None], config=BUILT_ON_FIRST_USE
)
_METADATA: TypeAdapter[dict[str, str]] = TypeAdapter(dict[str, str], config=BUILT_ON_FIRST_USE)

_DEFAULT_PORTS = {"http": 80, "https": 443}
_HEADER_SAFE = re.compile(r"[\x21-\x7e]+")  # visible ASCII, no spaces or line breaks


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    """Scheme, host and port, with the scheme's default port made explicit."""
    scheme = url.scheme.lower()
    return scheme, url.host.lower(), url.port or _DEFAULT_PORTS.get(scheme)


def _flag(value: bool) -> str:
    return "true" if value else "false"


class InductivaClient:
    """Typed async access to the Inductiva API and to its signed storage URLs.

    Use as ``async with InductivaClient(url, key) as client:`` or call
    :meth:`aclose`. ``key_source`` says where the key came from (for example
    ``"the environment variable INDUCTIVA_API_KEY"``); authentication errors
    name it, never the key. ``transport`` lets tests inject faults; ``sleep``,
    ``clock`` and ``rng`` make retry timing deterministic. JSON answers above
    ``max_json_bytes`` are refused without being read whole.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        key_source: str = "",
        timeouts: Timeouts = DEFAULT_TIMEOUTS,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        poll_interval: float = 2.0,
        max_json_bytes: int = 32 * 1024 * 1024,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
        rng: Callable[[], float] = random.random,
    ) -> None:
        try:
            base = httpx.URL(base_url.strip().rstrip("/"))
        except httpx.InvalidURL:
            base = httpx.URL()
        if base.scheme not in _DEFAULT_PORTS or not base.host:
            raise ValueError(f"the API URL must be an http(s) URL, not {base_url!r}")
        if api_key and not _HEADER_SAFE.fullmatch(api_key):
            where = f" from {key_source}" if key_source else ""
            raise ValueError(f"the API key{where} holds characters an HTTP header cannot carry")
        self._base = base
        self._origin = _origin(base)
        self._api_key = api_key or None
        self.key_source = key_source
        self._timeouts = timeouts
        self._retry = retry if retry is not None else RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        self._rng = rng
        self.stats = ClientStats()
        self._http = httpx.AsyncClient(
            timeout=timeouts.api(),
            limits=pool_limits(poll_interval),
            transport=transport,
            follow_redirects=False,
            headers={"User-Agent": f"inductiva-top/{__version__} httpx/{httpx.__version__}"},
        )
        self._wire = Wire(
            self._http,
            stats=self.stats,
            redact=self._redact,
            key_source=key_source,
            max_json_bytes=max_json_bytes,
        )

    # -- lifecycle -----------------------------------------------------------------

    async def __aenter__(self) -> InductivaClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close every pooled connection."""
        await self._http.aclose()

    def __repr__(self) -> str:
        key = "set" if self._api_key else "unset"
        return (
            f"{type(self).__name__}(base_url={str(self._base)!r}, key={key}, "
            f"key_source={self.key_source!r})"
        )

    @property
    def base_url(self) -> str:
        """The API's base URL."""
        return str(self._base)

    # -- plumbing ------------------------------------------------------------------

    def _redact(self, text: str) -> str:
        if self._api_key and self._api_key in text:
            return text.replace(self._api_key, "[API key]")
        return text

    def _api_request(
        self, method: str, path: str, params: Query | None, json: Any | None
    ) -> httpx.Request:
        url = self._base.copy_with(raw_path=self._base.raw_path.rstrip(b"/") + path.encode())
        headers = {"Accept": "application/json"}
        # Defence in depth: the URL is built from the base, but the key is
        # attached only after checking, so no future path can carry it away.
        if self._api_key and _origin(url) == self._origin:
            headers["X-API-Key"] = self._api_key
        query = httpx.QueryParams(tuple(params)) if params else None
        return self._http.build_request(method, url, params=query, headers=headers, json=json)

    # -- any API call ----------------------------------------------------------------

    async def request_json(
        self,
        method: str,
        path: str,
        *,
        params: Query | None = None,
        json: Any | None = None,
    ) -> Any:
        """One call to the API; returns its decoded JSON answer (``None`` when empty, as a 204).

        ``path`` is below the base URL, its ids escaped with
        :func:`~inductiva_top.api.shapes.segment`. Only GETs go through the
        retry policy. Every failure is an :class:`~inductiva_top.api.errors.ApiError`;
        requests and bytes are counted in :attr:`stats`.
        """
        what = f"{method} {path}"
        policy = self._retry if method == "GET" else NO_RETRY

        async def attempt() -> Any:
            return await self._wire.json(self._api_request(method, path, params, json), what)

        return await run_with_retries(
            attempt, policy, sleep=self._sleep, clock=self._clock, rng=self._rng
        )

    @asynccontextmanager
    async def stream(
        self, method: str, path: str, *, params: Query | None = None
    ) -> AsyncIterator[StreamedResponse]:
        """One call to the API whose answer is read as it arrives (a follow stream).

        Yields the response once its status is 2xx (an error status raises the
        mapped :class:`~inductiva_top.api.errors.ApiError`); iterate its body
        with :meth:`StreamedResponse.aiter_bytes`. There is no read timeout,
        since a stream may stay quiet for long: cancel the consumer to stop.
        Sent once, never retried; the response closes when the block ends.
        """
        what = f"{method} {path}"
        request = self._api_request(method, path, params, None)
        request.extensions["timeout"] = self._timeouts.stream().as_dict()
        response = await self._wire.send(request, what)
        try:
            await self._wire.check(response, what, storage=False)
            yield StreamedResponse(response, self._wire, what)
        finally:
            await response.aclose()

    # -- tasks ---------------------------------------------------------------------

    async def list_tasks(
        self,
        *,
        page: int = 1,
        per_page: int = 50,
        status: str | Sequence[str] | None = None,
        project: str | None = None,
        active: bool | None = None,
        task_id_filter: str | None = None,
        sort: Sequence[str] = (),
    ) -> TaskPage:
        """``GET /tasks``: one page of tasks, newest first unless ``sort`` says otherwise.

        ``sort`` entries are ``field:asc|desc``, sent as repeated ``sort``
        parameters as the official client does. The API (real and embedded)
        filters by a single ``status`` code: a sequence may hold at most one,
        and more raise ``ValueError`` rather than be silently narrowed to one.
        """
        params: Query = [("page", str(page)), ("per_page", str(per_page))]
        statuses = [status] if isinstance(status, str) else list(status or ())
        if len(statuses) > 1:
            raise ValueError(f"the API filters by one status at a time, not {statuses}")
        params += [("status", code) for code in statuses]
        if project is not None:
            params.append(("project", project))
        if active is not None:
            params.append(("active", _flag(active)))
        if task_id_filter:
            params.append(("task_id_filter", task_id_filter))
        params += [("sort", key) for key in sort]
        return validate_model(
            TaskPage, await self.request_json("GET", "/tasks", params=params), "GET /tasks"
        )

    async def get_task(self, task_id: str) -> TaskWithStatusHistory:
        """``GET /tasks/{id}``: the task with its status history."""
        path = f"/tasks/{segment(task_id)}"
        return validate_model(
            TaskWithStatusHistory, await self.request_json("GET", path), f"GET {path}"
        )

    async def get_status(self, task_id: str) -> TaskStatus:
        """``GET /tasks/{id}/status``: status and queue position."""
        path = f"/tasks/{segment(task_id)}/status"
        return validate_model(TaskStatus, await self.request_json("GET", path), f"GET {path}")

    async def kill(self, task_id: str) -> TaskStatus:
        """``POST /tasks/{id}/kill``; sent once, never retried."""
        path = f"/tasks/{segment(task_id)}/kill"
        return validate_model(TaskStatus, await self.request_json("POST", path), f"POST {path}")

    async def get_metadata(self, task_id: str) -> dict[str, str]:
        """``GET /tasks/{id}/metadata``."""
        path = f"/tasks/{segment(task_id)}/metadata"
        payload = await self.request_json("GET", path)
        return validate(_METADATA, payload if payload is not None else {}, f"GET {path}")

    async def set_metadata(self, task_id: str, metadata: Mapping[str, str]) -> None:
        """``PUT /tasks/{id}/metadata``: replace all of the task's metadata."""
        await self.request_json("PUT", f"/tasks/{segment(task_id)}/metadata", json=dict(metadata))

    async def patch_metadata(self, task_id: str, metadata: Mapping[str, str]) -> None:
        """``PATCH /tasks/{id}/metadata``: merge into the task's metadata."""
        await self.request_json("PATCH", f"/tasks/{segment(task_id)}/metadata", json=dict(metadata))

    async def submit_task(self, request: Mapping[str, Any]) -> TaskSubmittedInfo:
        """``POST /tasks/submit`` with a ``TaskRequest`` body; never retried."""
        payload = await self.request_json("POST", "/tasks/submit", json=dict(request))
        return validate_model(TaskSubmittedInfo, payload, "POST /tasks/submit")

    async def input_uploaded(self, task_id: str) -> None:
        """``POST /tasks/{id}/input_uploaded``: the task may now be queued."""
        await self.request_json("POST", f"/tasks/{segment(task_id)}/input_uploaded")

    # -- projects and machine groups -----------------------------------------------

    async def list_projects(
        self, *, page: int = 1, per_page: int = 100, project_type: str | None = None
    ) -> list[Project]:
        """``GET /projects``."""
        params: Query = [("page", str(page)), ("per_page", str(per_page))]
        if project_type is not None:
            params.append(("project_type", project_type))
        return validate(
            _PROJECTS, await self.request_json("GET", "/projects", params=params), "GET /projects"
        )

    async def get_project(self, name: str) -> Project:
        """``GET /projects/{name}``."""
        path = f"/projects/{segment(name)}"
        return validate_model(Project, await self.request_json("GET", path), f"GET {path}")

    async def project_tasks_info(
        self, name: str, *, select: str = "all", status: str | None = None
    ) -> list[ProjectTaskInfo]:
        """``GET /projects/{name}/tasks_info``: one row per task of the project.

        ``select`` is ``"all"`` or ``"distinct"`` (only the columns whose value
        varies between rows); ``status`` keeps the tasks of one status code.
        """
        path = f"/projects/{segment(name)}/tasks_info"
        params: Query = [("select", select)]
        if status is not None:
            params.append(("status", status))
        payload = await self.request_json("GET", path, params=params)
        return validate(_TASKS_INFO, payload, f"GET {path}")

    async def get_project_metadata(self, name: str) -> dict[str, str]:
        """``GET /projects/{name}/metadata``."""
        path = f"/projects/{segment(name)}/metadata"
        payload = await self.request_json("GET", path)
        return validate(_METADATA, payload if payload is not None else {}, f"GET {path}")

    async def patch_project_metadata(self, name: str, metadata: Mapping[str, str]) -> None:
        """``PATCH /projects/{name}/metadata``: merge into the project's metadata."""
        path = f"/projects/{segment(name)}/metadata"
        await self.request_json("PATCH", path, json=dict(metadata))

    async def list_machine_groups(self) -> list[MachineGroup]:
        """``GET /compute/groups``: the active machine groups, with machines and costs."""
        payload = await self.request_json("GET", "/compute/groups")
        return validate(_GROUPS, payload, "GET /compute/groups")

    async def get_machine_group(self, name: str) -> MachineGroup:
        """``GET /compute/group/{name}``: one machine group (a terminated one too)."""
        path = f"/compute/group/{segment(name)}"
        return validate_model(MachineGroup, await self.request_json("GET", path), f"GET {path}")

    async def user_info(self) -> UserInfo:
        """``GET /users/info``: the account and its credits."""
        return validate_model(
            UserInfo, await self.request_json("GET", "/users/info"), "GET /users/info"
        )

    async def terminate_machine_group(self, machine_group_id: str) -> None:
        """``DELETE /compute/group?machine_group_id=...``; its waiting tasks become zombies."""
        await self.request_json(
            "DELETE", "/compute/group", params=[("machine_group_id", machine_group_id)]
        )

    async def put_local_machine_group(
        self,
        name: str,
        slots: int,
        machine_type: str,
        *,
        cost_per_hour: float = 0.0,
        max_idle_time: float | None = None,
    ) -> None:
        """``POST /local/machine-groups``: create or change a local machine group.

        ``cost_per_hour`` is USD per machine-hour; ``max_idle_time`` the seconds
        without a task after which the group terminates (None: never). An
        extension of the embedded server; the Inductiva cloud has no such route.
        """
        body: dict[str, Any] = {
            "name": name,
            "slots": slots,
            "machine_type": machine_type,
            "cost_per_hour": cost_per_hour,
            "max_idle_time": max_idle_time,
        }
        await self.request_json("POST", "/local/machine-groups", json=body)

    async def version(self) -> ApiVersion:
        """``GET /version``."""
        return validate_model(
            ApiVersion, await self.request_json("GET", "/version"), "GET /version"
        )

    # -- storage metadata ----------------------------------------------------------

    async def signed_urls(
        self, paths: Sequence[str], operation: str = "download", region: str | None = None
    ) -> list[str | None]:
        """``GET /storage/signed-urls``: one URL (or ``None``) per path, in order."""
        params: Query = [("operation", operation)] + [("paths", p) for p in paths]
        if region is not None:
            params.append(("region", region))
        what = "GET /storage/signed-urls"
        urls = validate(
            _SIGNED_URLS,
            await self.request_json("GET", "/storage/signed-urls", params=params),
            what,
        )
        if len(urls) != len(paths):
            raise BadResponse(f"{what} returned {len(urls)} URLs for {len(paths)} paths")
        return urls

    async def zip_contents(
        self, path: str, zip_relative_path: str = "", recursive: bool = False
    ) -> ZipArchiveInfo:
        """``GET /storage/zip-contents``: the members of a stored zip under a prefix."""
        params: Query = [
            ("path", path),
            ("zip_relative_path", zip_relative_path),
            ("recursive", _flag(recursive)),
        ]
        payload = await self.request_json("GET", "/storage/zip-contents", params=params)
        return validate_model(ZipArchiveInfo, payload, "GET /storage/zip-contents")

    async def zip_file_range(
        self, path: str, zip_relative_path: str, filename: str
    ) -> ZipFileRange:
        """``GET /storage/zip-file-range``: where one member's data lies in the zip."""
        params: Query = [
            ("path", path),
            ("zip_relative_path", zip_relative_path),
            ("filename", filename),
        ]
        payload = await self.request_json("GET", "/storage/zip-file-range", params=params)
        return validate_model(ZipFileRange, payload, "GET /storage/zip-file-range")

    async def storage_contents(
        self,
        path: str,
        *,
        recursive: bool = False,
        page: int | None = None,
        per_page: int | None = None,
        path_filter: str | None = None,
        sort_by: str | None = None,
        order: str | None = None,
    ) -> StorageContents:
        """``GET /storage/contents``: files stored under ``path``."""
        params: Query = [("path", path), ("recursive", _flag(recursive))]
        optional = {
            "page": page,
            "per_page": per_page,
            "path_filter": path_filter,
            "sort_by": sort_by,
            "order": order,
        }
        params += [(name, str(value)) for name, value in optional.items() if value is not None]
        payload = await self.request_json("GET", "/storage/contents", params=params)
        return validate_model(StorageContents, payload, "GET /storage/contents")

    # -- signed storage URLs (never with the API key) ------------------------------

    def _storage_request(
        self, method: str, url: str, headers: dict[str, str], content: Any = None
    ) -> httpx.Request:
        # Identity encoding: byte ranges and byte counts refer to the stored bytes.
        headers = {"Accept-Encoding": "identity", **headers}
        return self._http.build_request(
            method, url, headers=headers, content=content, timeout=self._timeouts.storage()
        )

    @asynccontextmanager
    async def storage_stream(
        self,
        url: str,
        *,
        byte_range: tuple[int, int | None] | None = None,
        if_range: str | None = None,
    ) -> AsyncIterator[StreamedResponse]:
        """Open a signed download URL; yields the response with its body unread.

        ``byte_range`` ``(start, end)`` asks for bytes ``start..end`` inclusive
        (``end`` ``None``: to the end); ``if_range`` (an ETag) makes the server
        send the whole file instead if it changed. Opening is retried like a
        GET; a 416 raises :class:`~inductiva_top.api.errors.ClientError`.
        """
        headers: dict[str, str] = {}
        if byte_range is not None:
            start, end = byte_range
            headers["Range"] = f"bytes={start}-{'' if end is None else end}"
        if if_range is not None:
            headers["If-Range"] = if_range
        what = f"GET {describe_url(httpx.URL(url))}"

        async def attempt() -> httpx.Response:
            request = self._storage_request("GET", url, headers)
            response = await self._wire.send(request, what, follow_redirects=True)
            await self._wire.check(response, what, storage=True)
            return response

        response = await run_with_retries(
            attempt, self._retry, sleep=self._sleep, clock=self._clock, rng=self._rng
        )
        try:
            yield StreamedResponse(response, self._wire, what)
        finally:
            await response.aclose()

    async def storage_put(
        self,
        url: str,
        body: AsyncIterable[bytes] | bytes,
        size: int,
        *,
        content_type: str = "application/octet-stream",
    ) -> None:
        """Upload ``size`` bytes to a signed upload URL with PUT; sent once.

        A streamed ``body`` must yield exactly ``size`` bytes.
        """
        if isinstance(body, bytes) and len(body) != size:
            raise ValueError(f"size {size} does not match the body's {len(body)} bytes")
        what = f"PUT {describe_url(httpx.URL(url))}"
        headers = {"Content-Type": content_type, "Content-Length": str(size)}
        response = await self._wire.send(self._storage_request("PUT", url, headers, body), what)
        await self._wire.check(response, what, storage=True)
        await self._wire.read(response, what, limit=64 * 1024)
        if not isinstance(body, bytes):  # a bytes body was counted when sent
            self.stats.bytes_sent += size
