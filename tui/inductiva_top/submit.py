"""``inductiva-top submit``: run a command as a task, through the API's real flow.

The flow is the official client's: ``POST /tasks/submit`` (the task waits in
``pending-input``), metadata set with ``PATCH /tasks/{id}/metadata``, the
input zip ``PUT`` to a signed upload URL for ``<task_id>/input.zip``, then
``POST /tasks/{id}/input_uploaded`` queues it. Progress goes to stderr; the
task id alone is stdout's last line, so ``id=$(inductiva-top submit ...)``
works. Any failure is one line on stderr and exit code 1.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from inductiva_top.api.client import InductivaClient

# The API client (httpx, pydantic) is imported only when a submission runs,
# so registering this subcommand keeps ``inductiva-top --version`` fast.

__all__ = [
    "DEFAULT_MACHINE_GROUP",
    "SubmitError",
    "SubmitRequest",
    "parse_pairs",
    "register",
    "run_submit",
    "submit",
    "task_request_body",
]

DEFAULT_MACHINE_GROUP = "default"
EXIT_FAILED = 1

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


def parse_pairs(items: Sequence[str], what: str) -> dict[str, str]:
    """``["k=v", ...]`` as a dict; a malformed item raises :class:`SubmitError`."""
    pairs: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise SubmitError(f"{what} {item!r} is not of the form NAME=VALUE")
        pairs[name.strip()] = value
    return pairs


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


def _clean(text: str) -> str:
    from inductiva_top.monitor.sanitize import sanitize_name

    return sanitize_name(text)


def _checked_id(task_id: str) -> str:
    """The new task's id, if it is safe to print alone on a line for scripts."""
    if not _TASK_ID.fullmatch(task_id):
        raise SubmitError(f"the API answered with an unusable task id {_clean(task_id)!r}")
    return task_id


async def submit(client: InductivaClient, request: SubmitRequest, report: Report) -> str:
    """Submit ``request`` through the full flow; returns the new task's id.

    Raises :class:`~inductiva_top.api.errors.ApiError`,
    :class:`~inductiva_top.transfer.upload.InputError` or :class:`SubmitError`.
    A failure after the task was created names the task, which is left in
    ``pending-input`` (it never runs without its inputs).
    """
    from inductiva_top.api.errors import ApiError
    from inductiva_top.monitor.fmt import size
    from inductiva_top.transfer.upload import InputError, input_zip_path, packed_input, upload_file

    # Pack first: a bad input dir must fail before a task exists on the server.
    async with packed_input(request.input_dir) as archive:
        if request.input_dir is None:
            report("no --input-dir: the command starts in an empty directory")
        else:
            files = f"{archive.files} file{'s' if archive.files != 1 else ''}"
            report(f"packed {files} ({size(archive.input_bytes)}) from {request.input_dir}")
        info = await client.submit_task(task_request_body(request))
        task_id = _checked_id(info.id)
        report(f"task {task_id} created ({_clean(info.status)})")
        try:
            if request.metadata:
                await client.patch_metadata(task_id, request.metadata)
            (url,) = await client.signed_urls(
                [input_zip_path(task_id)], operation="upload", region=info.storage_region
            )
            if not url:
                raise SubmitError("the API gave no upload URL for the inputs")
            report(f"uploading inputs ({size(archive.size)})")
            await upload_file(client, url, archive.path)
            await client.input_uploaded(task_id)
        except (ApiError, InputError, SubmitError) as exc:
            raise SubmitError(f"task {task_id} was created but not queued: {exc}") from None
    report(f"task {task_id} submitted to machine group {request.machine_group!r}")
    return task_id


def register(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``submit`` to the command line."""
    from inductiva_top.cli import add_config_flags

    parser = subcommands.add_parser(
        "submit",
        help="run a command as a task on the configured API",
        description=(
            "Submit COMMAND as a task: upload the input directory, queue the task, "
            "and print its id as the last line of stdout."
        ),
        usage="%(prog)s [options] -- COMMAND [ARGS...]",
    )
    parser.add_argument("--project", dest="submit_project", metavar="P", help="project name")
    parser.add_argument(
        "--machine-group",
        metavar="G",
        default=DEFAULT_MACHINE_GROUP,
        help=f"machine group to queue on (default {DEFAULT_MACHINE_GROUP!r})",
    )
    parser.add_argument("--input-dir", metavar="DIR", type=Path, help="directory to upload")
    parser.add_argument("--ttl", metavar="SECONDS", type=float, help="time to live in seconds")
    parser.add_argument(
        "--metadata", metavar="K=V", nargs="+", action="extend", default=[], help="task metadata"
    )
    parser.add_argument(
        "--env", metavar="K=V", action="append", default=[], help="environment for the command"
    )
    parser.add_argument("--simulator", metavar="NAME", help="simulator label (default: program)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the command line to run")
    add_config_flags(parser, subcommand=True)
    parser.set_defaults(handler=run_submit)


def _request_from_args(args: argparse.Namespace) -> SubmitRequest:
    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    if not command or not command[0]:
        raise SubmitError("no command given: inductiva-top submit [options] -- COMMAND [ARGS...]")
    ttl = args.ttl
    if ttl is not None and not ttl > 0:
        raise SubmitError(f"--ttl must be a positive number of seconds, not {ttl}")
    if not args.machine_group:
        raise SubmitError("--machine-group must not be empty")
    return SubmitRequest(
        command=tuple(command),
        machine_group=args.machine_group,
        project=args.submit_project,
        input_dir=args.input_dir,
        ttl_seconds=ttl,
        simulator=args.simulator,
        metadata=parse_pairs(args.metadata, "--metadata"),
        env=parse_pairs(args.env, "--env"),
    )


def run_submit(args: argparse.Namespace, *, stdout: TextIO | None = None) -> int:
    """The ``submit`` handler: returns the exit code."""
    from inductiva_top.api.client import InductivaClient
    from inductiva_top.api.errors import ApiError
    from inductiva_top.cli import config_from_args
    from inductiva_top.transfer.upload import InputError

    out = stdout or sys.stdout

    def report(line: str) -> None:
        print(f"inductiva-top: {line}", file=sys.stderr, flush=True)

    try:
        request = _request_from_args(args)
    except SubmitError as exc:
        print(f"inductiva-top submit: {exc}", file=sys.stderr)
        return 2
    config = config_from_args(args)

    async def go() -> str:
        key = config.api_key.reveal() if config.api_key is not None else None
        async with InductivaClient(config.api_url, key, key_source=config.api_key_source) as client:
            return await submit(client, request, report)

    try:
        task_id = asyncio.run(go())
    except (ApiError, InputError, SubmitError) as exc:
        print(f"inductiva-top submit: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except ValueError as exc:  # an API URL that is not http(s)
        print(f"inductiva-top submit: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(task_id, file=out, flush=True)
    return 0
