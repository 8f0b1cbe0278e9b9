"""The FastAPI application of the embedded server.

:func:`create_app` takes hold of a data dir (one server per data dir), opens
and migrates its task store, recovers from an unclean stop of a previous
server, and wires every router. The executor and the fleet's meter start with the
app's lifespan; when it ends (uvicorn's SIGINT/SIGTERM handling) the meter
stores what the machine groups cost, and the executor stops every running
task and records it, before the data dir is released.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import Depends, FastAPI, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from inductiva_top import __version__
from inductiva_top.server import runtime
from inductiva_top.server.auth import api_key_checker, load_or_create_api_key
from inductiva_top.server.errors import LiveError, error_responses
from inductiva_top.server.files.signing import UrlSigner, load_or_create_signing_key
from inductiva_top.server.fleet.account import Budget
from inductiva_top.server.fleet.meter import Meter
from inductiva_top.server.knobs import METRICS_INTERVAL, GroupSpec
from inductiva_top.server.layout import DataDir
from inductiva_top.server.live.rtc import RtcSessions
from inductiva_top.server.live.rtcops import TaskView
from inductiva_top.server.routes.compute import compute_router
from inductiva_top.server.routes.live import live_router
from inductiva_top.server.routes.projects import projects_router
from inductiva_top.server.routes.rtc import rtc_router
from inductiva_top.server.routes.storage import signed_router, storage_router
from inductiva_top.server.routes.tasks import tasks_router
from inductiva_top.server.routes.users import users_router
from inductiva_top.server.routes.version import version_router
from inductiva_top.server.tasks.executor import Executor
from inductiva_top.server.tasks.groups import MachineGroups
from inductiva_top.server.tasks.processes import MachineInfo
from inductiva_top.server.tasks.store import DEFAULT_GROUP, TaskNotFound, TaskStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServerConfig:
    """Knobs of one server."""

    slots: int | None = None
    """Slots of the ``default`` machine group; None means the CPU count."""
    machine_type: str = "local"
    """Machine-type label of the ``default`` group (shown as ``executer.vm_type``)."""
    kill_grace_seconds: float = 5.0
    """Time between SIGTERM and SIGKILL when a task is stopped."""
    url_ttl_seconds: int = 3600
    """Lifetime of signed storage URLs."""
    machine_groups: tuple[GroupSpec, ...] = ()
    """Extra machine groups created or updated at start."""
    credits: float | None = None
    """The account's budget in USD; None: credits are not counted."""
    credits_threshold: float = 0.0
    """Credits left below which billed machine groups are stopped."""
    metrics_interval: float = METRICS_INTERVAL
    """Seconds between rows of a running task's ``system_metrics.csv``."""


@dataclass(frozen=True)
class ServerParts:
    """The live parts of a created app (``app.state.parts``), for in-process callers."""

    data: DataDir
    store: TaskStore
    executor: Executor
    meter: Meter
    recovery: runtime.Recovery


async def _invalid_request(request: Request, error: Exception) -> Response:
    """FastAPI's 422, encoded ASCII-safe: an echoed input may hold a lone surrogate."""
    errors = error.errors() if isinstance(error, RequestValidationError) else []
    body = json.dumps({"detail": jsonable_encoder(errors)}, ensure_ascii=True)
    return Response(body, status_code=422, media_type="application/json")


async def _internal_error(request: Request, error: Exception) -> Response:
    """An unexpected failure: logged with its traceback, answered FastAPI-style."""
    log.error("%s %s failed", request.method, request.url.path, exc_info=error)
    return JSONResponse(
        {"detail": f"internal server error ({type(error).__name__}); see the server log"},
        status_code=500,
    )


def _put_groups(groups: MachineGroups, config: ServerConfig) -> None:
    """The configured groups: ``default`` (no idle limit, no rate) and the extra ones."""
    now = time.time()
    groups.put(DEFAULT_GROUP, config.slots or os.cpu_count() or 1, config.machine_type, now)
    for spec in config.machine_groups:
        groups.put(
            spec.name,
            spec.slots,
            spec.machine_type,
            now,
            cost_per_hour=spec.cost_per_hour,
            max_idle_time=spec.max_idle_time,
        )


def create_app(
    data: DataDir,
    config: ServerConfig | None = None,
    *,
    on_shutdown: Callable[[], None] | None = None,
) -> FastAPI:
    """An app serving ``data``; it holds the data dir until its lifespan ends.

    ``on_shutdown`` runs at the very end of the lifespan, after every task is
    stopped and recorded.

    Raises :class:`~inductiva_top.server.runtime.DataDirBusy` (another server
    holds the data dir), :class:`~inductiva_top.server.tasks.db.DatabaseTooNew`,
    :class:`~inductiva_top.server.auth.BadKeyFile` or :class:`OSError`.
    """
    config = config or ServerConfig()
    lock = runtime.DataDirLock(data)
    lock.acquire()
    try:
        api_key = load_or_create_api_key(data)
        signer = UrlSigner(load_or_create_signing_key(data), ttl_seconds=config.url_ttl_seconds)
        store = TaskStore(data.database)
    except BaseException:
        lock.release()
        raise
    executor = Executor(
        store,
        data,
        MachineInfo.detect(),
        kill_grace_seconds=config.kill_grace_seconds,
        metrics_interval=config.metrics_interval,
    )
    try:
        recovery = runtime.recover(store, data)
        _put_groups(executor.groups, config)
    except BaseException:
        store.close()
        lock.release()
        raise
    budget = (
        Budget(config.credits, config.credits_threshold) if config.credits is not None else None
    )
    meter = Meter(store, executor, budget)
    sessions = RtcSessions(TaskView(data, executor.is_running, executor.pid_of))

    def task_exists(task_id: str) -> bool:
        try:
            store.get(task_id)
        except TaskNotFound:
            return False
        return True

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        executor.start()
        meter.start()
        try:
            yield
        finally:
            try:
                # Peers first: their follow streams would otherwise outlive the tasks.
                with contextlib.suppress(Exception):
                    await sessions.aclose()
                with contextlib.suppress(Exception):
                    await meter.stop()
                await executor.shutdown()
            finally:
                store.close()
                lock.release()
                if on_shutdown is not None:
                    on_shutdown()

    app = FastAPI(
        title="inductiva-top embedded server",
        version=__version__,
        description="A local server speaking the Inductiva task API; it runs tasks for real.",
        lifespan=lifespan,
    )
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(Exception, _internal_error)
    app.state.parts = ServerParts(
        data=data, store=store, executor=executor, meter=meter, recovery=recovery
    )
    protected = [Depends(api_key_checker(api_key))]
    # Public, as in the real API: the official client probes the version at
    # import time, before it sends any API key.
    app.include_router(version_router(__version__))
    # Each router's error codes are documented so the schema states every
    # status a route can answer: 401 on all key-protected ones, 400 for a
    # body that is not JSON (FastAPI's own answer).
    for router, codes in [
        (tasks_router(store, executor), (400, 401, 404, 409)),
        (projects_router(store), (400, 401, 404, 409)),
        (users_router(data, meter), (401,)),
        (compute_router(store, executor, meter, data), (400, 401, 404, 409)),
        (storage_router(data, signer), (400, 401, 403, 404)),
        (rtc_router(sessions, task_exists), (400, 401, 404, 409, 429, 501, 503)),
    ]:
        app.include_router(router, dependencies=protected, responses=error_responses(*codes))
    app.include_router(
        live_router(data, executor.is_running, executor.pid_of),
        dependencies=protected,
        responses={
            **error_responses(401),
            **error_responses(400, 403, 404, 409, model=LiveError),
        },
    )
    app.include_router(
        signed_router(data, signer, on_upload=None),
        responses=error_responses(400, 403, 404, 413, 416, 507),
    )
    return app
