"""Submitting a command as a task, through the API's real flow.

The flow is the official client's: ``POST /tasks/submit`` (the task waits in
``pending-input``), metadata set with ``PATCH /tasks/{id}/metadata``, the
input zip ``PUT`` to a signed upload URL for ``<task_id>/input.zip``, then
``POST /tasks/{id}/input_uploaded`` queues it. The ``submit`` command
(``cli/submit.py``) and the demo's driver both submit through :func:`submit`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

from inductiva_top.transfer.errors import printable_name

if TYPE_CHECKING:
    from inductiva_top.api.client import InductivaClient

# The API client (httpx, pydantic) is imported only when a submission runs:
# the ``submit`` command's parser reads this module, and ``--version`` stays fast.

__all__ = [
    "DEFAULT_MACHINE_GROUP",
    "SubmitError",
    "SubmitRequest",
    "submit",
    "task_request_body",
]

DEFAULT_MACHINE_GROUP = "default"

Report = Callable[[str], None]

_TASK_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


class SubmitError(Exception):
    """A submission that cannot go ahead; the message is one line for the user."""


@dataclass(frozen=True)
class SubmitRequest:
    """What to run and where: the parsed ``submit`` command line."""

    command: tuple[str, ...]
    machine_group: str = DEFAULT_MACHINE_GROUP
    project: str | None = None
    input_dir: Path | None = None
    ttl_seconds: float | None = None
    simulator: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)


def task_request_body(request: SubmitRequest) -> dict[str, Any]:
    """The ``TaskRequest`` JSON of a local command task.

    ``extra_params`` carries the command line and environment, the shape the
    embedded server runs: ``{"command": [...], "env": {...} | None}``.
    """
    simulator = request.simulator or PurePath(request.command[0]).name
    body: dict[str, Any] = {
        "simulator": simulator,
        "resource_pool": request.machine_group,
        "storage_path_prefix": "",
        "extra_params": {"command": list(request.command), "env": dict(request.env) or None},
    }
    if request.project is not None:
        body["project"] = request.project
    if request.ttl_seconds is not None:
        body["time_to_live_seconds"] = request.ttl_seconds
    return body


def _size(n_bytes: int) -> str:
    # Exact, as the rest of transfer/ says sizes (humanizing is the monitor's, a layer apart).
    return f"{n_bytes:,} byte{'s' if n_bytes != 1 else ''}"


def _checked_id(task_id: str) -> str:
    """The new task's id, if it is safe to print alone on a line for scripts."""
    if not _TASK_ID.fullmatch(task_id):
        raise SubmitError(f"the API answered with an unusable task id {printable_name(task_id)!r}")
    return task_id


async def submit(client: InductivaClient, request: SubmitRequest, report: Report) -> str:
    """Submit ``request`` through the full flow; returns the new task's id.

    Raises :class:`~inductiva_top.api.errors.ApiError`,
    :class:`~inductiva_top.transfer.upload.InputError` or :class:`SubmitError`.
    A failure after the task was created names the task, which is left in
    ``pending-input`` (it never runs without its inputs).
    """
    from inductiva_top.api.errors import ApiError
    from inductiva_top.transfer.upload import InputError, input_zip_path, packed_input, upload_file

    # Pack first: a bad input dir must fail before a task exists on the server.
    async with packed_input(request.input_dir) as archive:
        if request.input_dir is None:
            report("no input directory: the command starts in an empty directory")
        else:
            files = f"{archive.files} file{'s' if archive.files != 1 else ''}"
            report(f"packed {files} ({_size(archive.input_bytes)}) from {request.input_dir}")
        info = await client.submit_task(task_request_body(request))
        task_id = _checked_id(info.id)
        report(f"task {task_id} created ({printable_name(info.status)})")
        try:
            if request.metadata:
                await client.patch_metadata(task_id, request.metadata)
            (url,) = await client.signed_urls(
                [input_zip_path(task_id)], operation="upload", region=info.storage_region
            )
            if not url:
                raise SubmitError("the API gave no upload URL for the inputs")
            report(f"uploading inputs ({_size(archive.size)})")
            await upload_file(client, url, archive.path)
            await client.input_uploaded(task_id)
        except (ApiError, InputError, SubmitError) as exc:
            raise SubmitError(f"task {task_id} was created but not queued: {exc}") from None
    report(f"task {task_id} submitted to machine group {request.machine_group!r}")
    return task_id
