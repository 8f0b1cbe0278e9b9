"""``inductiva-top download TASK_ID``: the dashboard's downloads, headless, for scripts.

Files land where the official client puts them,
``<output_dir>/<task_id>/outputs/`` (``inputs/`` with ``--inputs``); the
directory is printed on stdout when done. Progress goes to stderr (a line
rewritten in place on a terminal, a line per phase otherwise). Archive members
whose names are legal but odd on a disk (a backslash, a control character) are
skipped and named on stderr, escaped, one a line; the rest is extracted and
the exit code is 0. A failure is one line on stderr with a non-zero exit code:

==== ==========================================================
0    done
1    the download failed (network, server, archive, disk)
2    bad usage or configuration
130  interrupted; the partial download is kept, run again to resume
==== ==========================================================
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
from typing import TYPE_CHECKING, TextIO

from inductiva_top.cli.common import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    add_config_flags,
    config_from_args,
)

if TYPE_CHECKING:
    from inductiva_top.cli.common import SubParsers
    from inductiva_top.config import Config
    from inductiva_top.transfer.outputs import Downloaded
    from inductiva_top.transfer.progress import Progress

__all__ = ["ProgressPrinter", "format_progress", "register", "run"]


def register(subcommands: SubParsers) -> None:
    """Add the ``download`` subcommand."""
    parser = subcommands.add_parser(
        "download",
        help="download a task's outputs (or inputs), as the official client does",
        description=(
            "Download the outputs of TASK_ID into <output_dir>/<task_id>/outputs/: all of them "
            "(one zip, resumable, extracted safely), or only --filenames, read from the remote "
            "zip with range requests. Existing files are never overwritten unless --overwrite."
        ),
    )
    parser.add_argument("task_id", metavar="TASK_ID", help="the task whose files to download")
    parser.add_argument(
        "--filenames",
        nargs="+",
        action="extend",
        metavar="F",
        help="only these files, relative to the outputs (a name ending in / takes a folder)",
    )
    parser.add_argument(
        "--output-dir",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help="root of the downloads (default: output_dir from the config, inductiva_output)",
    )
    parser.add_argument(
        "--no-uncompress",
        dest="uncompress",
        action="store_false",
        help="keep the zip as downloaded instead of extracting it",
    )
    parser.add_argument(
        "--inputs", action="store_true", help="download the task's inputs instead of its outputs"
    )
    parser.add_argument("--overwrite", action="store_true", help="replace files that already exist")
    parser.add_argument(
        "--keep-zip", action="store_true", help="keep the downloaded zip after extracting it"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    add_config_flags(parser, subcommand=True)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run the download described by ``args``; returns the exit code."""
    from inductiva_top.transfer.errors import TransferError
    from inductiva_top.transfer.outputs import check_task_id

    try:
        check_task_id(args.task_id)
    except TransferError as exc:
        print(f"inductiva-top: {exc}", file=sys.stderr)
        return EXIT_USAGE
    config = config_from_args(args)
    if args.filenames and not args.uncompress:
        print(
            "inductiva-top: note: --no-uncompress does not apply to --filenames "
            "(chosen files are always written as files)",
            file=sys.stderr,
        )
    printer = None if args.quiet else ProgressPrinter(sys.stderr)
    try:
        result = asyncio.run(_download(config, args, printer))
    except KeyboardInterrupt:
        if printer is not None:
            printer.end_line()
        print(
            "inductiva-top: interrupted; run the same command again to resume the download",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    except _Failed as failed:
        if printer is not None:
            printer.end_line()
        print(f"inductiva-top: {failed}", file=sys.stderr)
        return failed.code
    if printer is not None:
        printer.end_line()
    print(result.path)
    if result.skipped:
        from inductiva_top.transfer.errors import printable_name

        count = len(result.skipped)
        print(
            f"inductiva-top: skipped {count} file{'s' if count != 1 else ''} whose names "
            "are not safe to write here (a backslash or a control character):",
            file=sys.stderr,
        )
        for name in result.skipped:
            print(f"  {printable_name(name)}", file=sys.stderr)
    return EXIT_OK


class _Failed(Exception):
    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


async def _download(
    config: Config, args: argparse.Namespace, printer: ProgressPrinter | None
) -> Downloaded:
    from inductiva_top.api.client import InductivaClient
    from inductiva_top.api.errors import ApiError
    from inductiva_top.transfer.errors import DestinationExists, TransferError
    from inductiva_top.transfer.outputs import download_inputs, download_outputs

    key = config.api_key.reveal() if config.api_key is not None else None
    try:
        client = InductivaClient(config.api_url, key, key_source=config.api_key_source)
    except ValueError as exc:
        raise _Failed(str(exc), EXIT_USAGE) from None
    download = download_inputs if args.inputs else download_outputs
    try:
        async with client:
            result = await download(
                client,
                args.task_id,
                filenames=args.filenames,
                output_dir=config.output_dir,
                uncompress=args.uncompress,
                keep_zip=args.keep_zip,
                overwrite=args.overwrite,
                progress=printer.report if printer is not None else None,
            )
    except DestinationExists as exc:
        raise _Failed(f"{exc} (use --overwrite to replace it)", EXIT_FAILED) from None
    except (ApiError, TransferError) as exc:
        raise _Failed(str(exc), EXIT_FAILED) from None
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        raise _Failed(f"{exc.strerror or exc}{where}", EXIT_FAILED) from None
    return result


def format_progress(progress: Progress) -> str:
    """One line: ``download output.zip  3.1 MiB / 12.0 MiB  26%  1.2 MiB/s  ETA 8s``."""
    from inductiva_top.monitor import fmt  # humanize and pydantic: not at --version time

    parts = [progress.phase, progress.label] if progress.label else [progress.phase]
    if progress.total is not None:
        parts.append(f"{fmt.size(progress.done)} / {fmt.size(progress.total)}")
        fraction = progress.fraction
        parts.append(f"{fraction * 100:.0f}%" if fraction is not None else "")
    else:
        parts.append(fmt.size(progress.done))
    if progress.finished:
        parts.append("done")
    else:
        parts.append(fmt.rate(progress.rate))
        remaining = None if progress.total is None else progress.total - progress.done
        parts.append(fmt.eta(remaining, progress.rate))
    return "  ".join(part for part in parts if part)


class ProgressPrinter:
    """Writes progress to a stream: rewritten in place on a terminal, else one line per phase."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._tty = stream.isatty()
        self._width = 0
        self._phase: tuple[str, str] | None = None

    def report(self, progress: Progress) -> None:
        """Show ``progress``."""
        line = format_progress(progress)
        if self._tty:
            # A line longer than the terminal wraps, and \r would no longer rewrite it.
            line = line[: max(20, shutil.get_terminal_size().columns - 1)]
            padding = " " * max(0, self._width - len(line))
            self._stream.write(f"\r{line}{padding}")
            self._width = len(line)
            if progress.finished:
                self.end_line()
        elif progress.finished or (progress.phase, progress.label) != self._phase:
            self._stream.write(line + "\n")
        self._phase = (progress.phase, progress.label)
        self._stream.flush()

    def end_line(self) -> None:
        """Finish a line rewritten in place, so the next message starts on its own line."""
        if self._tty and self._width:
            self._stream.write("\n")
            self._stream.flush()
        self._width = 0
