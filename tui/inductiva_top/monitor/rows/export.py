"""Export a view of the task list to CSV or JSON.

:func:`fetch_all` walks every page of a view through the same page fetcher
the table uses (server-side filters and sort, multi-status views merged), so
the file holds exactly what the table would show if scrolled to the end.
:func:`write_export` writes the file atomically (a temporary file renamed into
place) and never replaces an existing file unless asked to; a failure (a full
disk, a missing permission) raises :class:`ExportError` with one readable line
and leaves no partial file behind. Each task is named as the table names it
(:func:`~inductiva_top.monitor.names.task_name`): a ``name`` column beside
``task_id`` in CSV, a ``name`` key in JSON. Nothing here knows about Textual.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import secrets
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Literal

from inductiva_top.api.models import Task, TaskPage
from inductiva_top.monitor.names import DEFAULT_NAME_KEYS, task_name

__all__ = [
    "CSV_FIELDS",
    "ExportError",
    "ExportFormat",
    "Progress",
    "default_export_path",
    "fetch_all",
    "render_csv",
    "render_json",
    "task_record",
    "write_export",
]

ExportFormat = Literal["csv", "json"]

Progress = Callable[[int, int | None], None]
"""Called after each page with (tasks fetched so far, total the server reported)."""

PageFetcher = Callable[[int], Awaitable[TaskPage]]
"""Page ``n`` (1-based) of the view being exported."""

CSV_FIELDS: tuple[str, ...] = (
    "task_id",
    "name",
    "status",
    "simulator",
    "project",
    "create_time",
    "start_time",
    "end_time",
    "duration_seconds",
    "machine_group_name",
    "host_type",
    "vm_type",
    "estimated_computation_cost",
    "storage_path",
    "error_detail",
)
"""The CSV columns, in order (the JSON export keeps every field the API sent, and the name)."""

MAX_PAGES = 100_000
"""A guard against a server whose pages never run out."""


class ExportError(Exception):
    """An export could not be written; the message is one line for the user."""


async def fetch_all(
    fetch_page: PageFetcher, per_page: int, *, on_progress: Progress | None = None
) -> list[Task]:
    """Every task of a view, page by page, each task once.

    Tasks that move between pages while the export runs (a new task pushes
    the rest down) would appear twice; the first copy wins. The walk stops at
    the first short or empty page, or when the server's total is reached.
    """
    tasks: list[Task] = []
    seen: set[str] = set()
    for page_number in range(1, MAX_PAGES + 1):
        page = await fetch_page(page_number)
        for task in page.tasks:
            if task.task_id not in seen:
                seen.add(task.task_id)
                tasks.append(task)
        total = page.total_size
        if on_progress is not None:
            on_progress(len(tasks), total)
        if len(page.tasks) < per_page or page_number * per_page >= total:
            break
    return tasks


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value is not None else ""


def task_record(task: Task, name_keys: Sequence[str] = DEFAULT_NAME_KEYS) -> dict[str, str]:
    """One CSV row: the :data:`CSV_FIELDS` of ``task`` as text ('' for missing)."""
    executer = task.executer
    values: dict[str, object] = {
        "task_id": task.task_id,
        "name": task_name(task, name_keys),
        "status": task.status,
        "simulator": task.simulator,
        "project": task.project,
        "create_time": _iso(task.create_time),
        "start_time": _iso(task.start_time),
        "end_time": _iso(task.end_time),
        "duration_seconds": task.duration_seconds,
        "machine_group_name": task.machine_group_name,
        "host_type": executer.host_type if executer else None,
        "vm_type": executer.vm_type if executer else None,
        "estimated_computation_cost": task.estimated_computation_cost,
        "storage_path": task.storage_path,
        "error_detail": task.error_detail,
    }
    return {key: "" if value is None else str(value) for key, value in values.items()}


def render_csv(tasks: Iterable[Task], name_keys: Sequence[str] = DEFAULT_NAME_KEYS) -> str:
    """The tasks as CSV text with a header row."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(CSV_FIELDS), lineterminator="\n")
    writer.writeheader()
    for task in tasks:
        writer.writerow(task_record(task, name_keys))
    return buffer.getvalue()


def render_json(tasks: Sequence[Task], name_keys: Sequence[str] = DEFAULT_NAME_KEYS) -> str:
    """The tasks as a JSON array of the API's task objects (unset fields left out).

    A task with a name gets ``name`` (not an API field: the dashboard's, from its metadata).
    """
    items: list[dict[str, object]] = []
    for task in tasks:
        item = task.model_dump(mode="json", exclude_none=True)
        name = task_name(task, name_keys)
        if name is not None:
            item["name"] = name
        items.append(item)
    return json.dumps(items, indent=2, ensure_ascii=False) + "\n"


def default_export_path(output_dir: Path, fmt: ExportFormat, now: datetime) -> Path:
    """``<output_dir>/tasks-YYYYmmdd-HHMMSS.<fmt>``."""
    return output_dir / f"tasks-{now.strftime('%Y%m%d-%H%M%S')}.{fmt}"


def _reason(error: OSError) -> str:
    return error.strerror or type(error).__name__


def write_export(
    tasks: Sequence[Task],
    path: Path,
    fmt: ExportFormat,
    *,
    overwrite: bool = False,
    name_keys: Sequence[str] = DEFAULT_NAME_KEYS,
) -> Path:
    """Write ``tasks`` to ``path`` as ``fmt``; returns the path written.

    Missing parent directories are created. An existing ``path`` is an
    :class:`ExportError` unless ``overwrite``. The text goes to a temporary
    file in the same directory first, so a failure never leaves half a file.
    """
    text = render_csv(tasks, name_keys) if fmt == "csv" else render_json(tasks, name_keys)
    path = path.expanduser()
    if path.is_dir():
        raise ExportError(f"{path} is a directory; give a file name")
    if path.exists() and not overwrite:
        raise ExportError(f"{path} already exists")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ExportError(f"cannot create {path.parent}: {_reason(error)}") from None
    # Not tempfile.mkstemp: its 0600 would stick to the export; this honours the umask.
    temporary = str(path.parent / f".{path.name}.{secrets.token_hex(4)}.part")
    try:
        descriptor = os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
    except OSError as error:
        raise ExportError(f"cannot write in {path.parent}: {_reason(error)}") from None
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        if overwrite:
            os.replace(temporary, path)
        else:
            # link + unlink: fails (instead of replacing) if the file appeared meanwhile.
            os.link(temporary, path)
            os.unlink(temporary)
    except FileExistsError:
        os.unlink(temporary)
        raise ExportError(f"{path} already exists") from None
    except OSError as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise ExportError(f"cannot write {path}: {_reason(error)}") from None
    return path
