"""``inductiva-top submit``: run a command as a task (:mod:`inductiva_top.transfer.submit`).

Progress goes to stderr; the task id alone is stdout's last line, so
``id=$(inductiva-top submit ...)`` works. Bad usage is exit code 2; any
failure of the submission is one line on stderr and exit code 1.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from inductiva_top.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    add_config_flags,
    config_from_args,
)
from inductiva_top.transfer.submit import DEFAULT_MACHINE_GROUP, SubmitError, SubmitRequest

if TYPE_CHECKING:
    from inductiva_top.cli.common import SubParsers

__all__ = ["parse_pairs", "register", "run"]


def parse_pairs(items: Sequence[str], what: str) -> dict[str, str]:
    """``["k=v", ...]`` as a dict; a malformed item raises :class:`SubmitError`."""
    pairs: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise SubmitError(f"{what} {item!r} is not of the form NAME=VALUE")
        pairs[name.strip()] = value
    return pairs


def register(subcommands: SubParsers) -> None:
    """Add ``submit`` to the command line."""
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
    parser.set_defaults(handler=run)


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


def run(args: argparse.Namespace, *, stdout: TextIO | None = None) -> int:
    """The ``submit`` handler: returns the exit code."""
    from inductiva_top.api.client import InductivaClient
    from inductiva_top.api.errors import ApiError
    from inductiva_top.transfer.submit import submit
    from inductiva_top.transfer.upload import InputError

    out = stdout or sys.stdout

    def report(line: str) -> None:
        print(f"inductiva-top: {line}", file=sys.stderr, flush=True)

    try:
        request = _request_from_args(args)
    except SubmitError as exc:
        print(f"inductiva-top submit: {exc}", file=sys.stderr)
        return EXIT_USAGE
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
    return EXIT_OK
