"""The failures view (``T`` from the table, the board, the sweep): failed tasks by what went wrong.

The failed tasks of the view (the table's filters, or one project from the
board and the sweep table) grouped by signature: status, exit code, error
detail and the last line of stderr, with numbers, paths and ids set aside
(:mod:`~inductiva_top.monitor.batch.triage`), the largest group first. A
group's line: its count, its signature and its newest task; the pane below
shows that task's stderr. Enter lists the group's tasks (the pane follows
the cursor's task), Enter again opens a task's detail, Esc goes back up.
Under the info line, what happened to the group's tasks and what to do
about it, in words (:func:`~inductiva_top.monitor.fleet.why.task_why`, as
the detail screen says it; its tasks share status and error, so the newest
speaks for them all).

From a group (or the group listed): ``k`` kills the tasks still waiting or
running that share every parameter the group's tasks share (the part of the
sweep that fails), ``d`` downloads every stderr of the group into one folder,
``m`` tags the group's tasks in their metadata (``PATCH``). Each confirms with
the count; kill and tag are refused in read-only mode.

Refreshed by its own poll loop (:class:`~inductiva_top.monitor.batch.feeds.FailuresFeed`).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widget import Widget
from textual.widgets import Label

from inductiva_top.api.errors import ApiError, NotFound
from inductiva_top.api.models import Task
from inductiva_top.monitor import fmt
from inductiva_top.monitor.batch.feeds import FailuresFeed
from inductiva_top.monitor.batch.source import BatchSource
from inductiva_top.monitor.batch.triage import FailureGroup, shared_parameters, siblings
from inductiva_top.monitor.fleet.why import task_why
from inductiva_top.monitor.names import task_label, task_name
from inductiva_top.monitor.rows.window import TaskQuery
from inductiva_top.monitor.sanitize import sanitize_name
from inductiva_top.monitor.statuses import StatusKind, display_alias, status_info
from inductiva_top.transfer.errors import TransferError
from inductiva_top.transfer.tail import tail_archived_file
from inductiva_top.ui.columns import short_id_length
from inductiva_top.ui.context import ScreenContext
from inductiva_top.ui.screens.confirm import ConfirmAction
from inductiva_top.ui.screens.detail import TaskDetailScreen
from inductiva_top.ui.screens.sheetoutput import SheetOutputScreen
from inductiva_top.ui.services import PaneServices
from inductiva_top.ui.widgets.header import update_if_changed
from inductiva_top.ui.widgets.sheet import Sheet, SheetColumn

__all__ = ["FailuresScreen", "read_stderr", "stderr_folder", "why_text"]

STDERR = "stderr.txt"
LAST_BYTES = 4096
"""Bytes of the end of a stderr read to find its last line."""
WHOLE_BYTES = 8 * 1024 * 1024
"""Most bytes of one stderr downloaded (its end, when it is longer)."""
GROUP_PREFIX = "group:"
WIDE_AT = 110
"""From this width the groups show their newest task's whole id."""
GROUP_KEYS = {
    "open": "its tasks",
    "kill_siblings": "kill alike",
    "download": "stderr",
    "tag": "tag",
}
"""What a group's keys do, by action, in the order the line under the groups says them."""


async def read_stderr(
    services: PaneServices, task: Task, max_bytes: int = LAST_BYTES
) -> str | None:
    """The end of a finished task's stderr from its output archive; None when there is none."""
    storage = task.storage_output_path or f"{task.task_id}/output.zip"
    try:
        data = await tail_archived_file(
            services.client, storage, STDERR, max_bytes, region=task.storage_region
        )
    except (ApiError, TransferError):
        return None
    return data.decode("utf-8", errors="replace")


def why_text(task: Task) -> Text:
    """What happened to ``task`` and what to do, as the detail screen says it, on one line.

    Its error detail is not quoted again: the group's signature beside it shows it.
    """
    why = task_why(task, quote=False)
    text = Text()
    text.append("What happened ", style="bold")
    text.append(why.what)
    text.append("  What to do ", style="bold")
    text.append(why.todo)
    return text


def _slug(text: str, most: int = 48) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.")[:most] or "group"


def stderr_folder(output_dir: Path, scope: str, group: FailureGroup) -> Path:
    """Where a group's stderr files go: ``<output_dir>/failures/<scope>-<signature>``."""
    signature = group.signature
    name = f"{scope}-exit{signature.exit_code}" if signature.exit_code is not None else scope
    return output_dir / "failures" / _slug(f"{name}-{signature.stderr or signature.detail}", 64)


def _parameters(task: Task, name_keys: Sequence[str]) -> str:
    """``alpha=0.30 resolution=12``: the task's metadata but the keys that name it."""
    metadata = (task.task_metadata or {}).items()
    return " ".join(f"{k}={v}" for k, v in metadata if k not in name_keys)


@dataclass(frozen=True)
class _Level:
    """What the sheet lists: the groups, or the tasks of the group keyed ``drilled``."""

    drilled: str | None = None


class FailuresScreen(SheetOutputScreen):
    """Failed tasks of a view by signature, their stderr, and what to do about a group."""

    feed: FailuresFeed

    PREFIX = "failures"
    OUTPUT_TITLE = "stderr"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open", id="failures.open"),
        Binding("k", "kill_siblings", "Kill alike", id="failures.kill_siblings"),
        Binding("d", "download", "Stderr", id="failures.download"),
        Binding("m", "tag", "Tag", id="failures.tag"),
        Binding("escape,q", "back", "Back", id="failures.back"),
        Binding("o", "tail_mode", "Output", show=False, id="failures.tail_mode"),
        Binding("f5", "refresh", "Refresh", show=False, id="failures.refresh"),
    ]

    HELP_SECTIONS: ClassVar[dict[str, tuple[str, ...]]] = {
        "Failures": (
            "sheet.cursor_down",
            "sheet.cursor_up",
            "failures.open",
            "failures.back",
            "failures.kill_siblings",
            "failures.download",
            "failures.tag",
            "failures.tail_mode",
            "failures.refresh",
        ),
    }

    WRITES: ClassVar[frozenset[str]] = frozenset({"kill_siblings", "tag"})

    def __init__(
        self, context: ScreenContext, source: BatchSource, query: TaskQuery, *, scope: str
    ) -> None:
        super().__init__(context, source)
        self.scope = scope
        """What the view is, in words: ``project plate-sweep``, ``all tasks``."""
        self.feed = FailuresFeed(source, query, self._read)
        self.level = _Level()
        self._id_width = 25

    DEFAULT_CSS = """
    FailuresScreen #failures-why { width: 100%; height: auto; max-height: 3; }
    """

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            yield widget
            if isinstance(widget, Widget) and widget.id == f"{self.PREFIX}-info":
                yield Label("", id="failures-why")

    async def _read(self, task: Task) -> str | None:
        return (
            await read_stderr(self.context.services, task)
            if self.context.services is not None
            else None
        )

    def header_counts(self) -> Mapping[str, int]:
        counts: dict[str, int] = {}
        for task in self.feed.tasks or ():
            counts[task.status] = counts.get(task.status, 0) + 1
        return counts

    # -- what the sheet lists ---------------------------------------------------------

    def _group(self, key: str | None) -> FailureGroup | None:
        if key is None:
            return None
        wanted = key.removeprefix(GROUP_PREFIX)
        return next((g for g in self.feed.groups if g.key == wanted), None)

    def current_group(self) -> FailureGroup | None:
        """The group listed, or the group under the cursor."""
        if self.level.drilled is not None:
            return self._group(self.level.drilled)
        return self._group(self.query_one(Sheet).cursor_key)

    def _tasks_of_level(self) -> Sequence[Task] | None:
        if self.level.drilled is None:
            return None
        group = self._group(self.level.drilled)
        return group.tasks if group is not None else ()

    def show_data(self) -> None:
        sheet = self.query_one(Sheet)
        width = self.size.width or 80
        tasks = self._tasks_of_level()
        empty = "reading the failed tasks…" if self.feed.tasks is None else "nothing failed here"
        if tasks is None:
            groups = self.feed.groups
            examples = [g.example.task_id for g in groups]
            # Wide: whole ids; narrow: the shortest prefix that tells them apart, as the table.
            id_width = 25 if width >= WIDE_AT else max(6, short_id_length(examples))
            self._id_width = id_width
            newest = max(id_width, self._names_width(groups))
            columns = [
                SheetColumn("count", "TASKS", 5, "right"),
                SheetColumn("signature", "WHAT WENT WRONG", max(20, width - 5 - newest - 6)),
                SheetColumn("example", "NEWEST", newest),
            ]
            sheet.show(
                columns,
                [GROUP_PREFIX + g.key for g in groups],
                lambda i: self._group_cells(groups[i]),
                empty=empty,
            )
        else:
            shown = list(tasks)
            ids = [task.task_id for task in shown]
            id_width = 25 if width >= WIDE_AT else max(6, short_id_length(ids))
            self._id_width = id_width
            names = [len(task_name(task, self.context.name_keys) or "") for task in shown]
            name_width = max(4, min(24, max(names, default=0)))
            rest = width - id_width - name_width - 16 - 10 - 8
            columns = [
                SheetColumn("id", "ID", id_width),
                SheetColumn("name", "NAME", name_width),
                SheetColumn("status", "STATUS", 16),
                SheetColumn("parameters", "PARAMETERS", max(12, rest)),
                SheetColumn("ended", "ENDED", 10, "right"),
            ]
            sheet.show(
                columns,
                [t.task_id for t in shown],
                lambda i: self._task_cells(shown[i]),
                empty="this group has no task any more",
            )
        self._summary()
        self._follow_cursor(sheet.cursor_key)
        self.refresh_bindings()  # k, d and m apply once there is a group

    def _names_width(self, groups: Sequence[FailureGroup]) -> int:
        names = [len(task_name(g.example, self.context.name_keys) or "") for g in groups]
        return min(24, max(names, default=0))

    def _group_cells(self, group: FailureGroup) -> list[Text]:
        style = self.query_one(Sheet).kind_style(StatusKind.FAILED)
        return [
            Text(fmt.count(group.count), style),
            Text(sanitize_name(group.signature.label)),
            Text(self._who(group.example)),
        ]

    def _who(self, task: Task) -> str:
        """A task's name (the ``name_keys`` setting), else its id as wide as the column."""
        return (
            task_name(task, self.context.name_keys) or sanitize_name(task.task_id)[: self._id_width]
        )

    def _task_cells(self, task: Task) -> list[Text]:
        info = status_info(task.status)
        style = self.query_one(Sheet).kind_style(info.kind)
        ended = (
            self.context.formatter.ago(task.end_time) if task.end_time is not None else fmt.MISSING
        )
        return [
            Text(task.task_id[: self._id_width]),
            Text(task_name(task, self.context.name_keys) or fmt.MISSING),
            Text(f"{info.symbol} {display_alias(task.status)}", style),
            Text(sanitize_name(_parameters(task, self.context.name_keys))),
            Text(ended),
        ]

    def _summary(self) -> None:
        feed = self.feed
        summary = Text(f"Failures · {sanitize_name(self.scope)}", style="bold")
        if feed.tasks is not None:
            noun = "task" if feed.total == 1 else "tasks"
            summary.append(f"  {fmt.count(feed.total)} failed {noun}")
            if feed.total > len(feed.tasks):
                summary.append(f" (the newest {fmt.count(len(feed.tasks))} read)")
            groups = len(feed.groups)
            summary.append(f" in {fmt.count(groups)} group{'s' if groups != 1 else ''}")
            if groups > 1:
                summary.append(", largest first")
        update_if_changed(self.query_one("#failures-summary", Label), summary)
        info = Text()
        if feed.tasks is not None and feed.unread:
            info.append(f"reading stderr: {fmt.count(feed.unread)} left · ")
        group = self.current_group()
        if self.level.drilled is not None and group is not None:
            info.append(
                f"{fmt.count(group.count)} tasks of: {sanitize_name(group.signature.label)}"
            )
            info.append(" · Esc: every group")
        elif group is not None:
            shared = shared_parameters(group.tasks, self.context.name_keys)
            if shared:
                alike = " ".join(f"{k}={v}" for k, v in shared.items())
                info.append(f"all have {sanitize_name(alike)} · ")
            info.append(" · ".join(self._group_keys()))
        update_if_changed(self.query_one("#failures-info", Label), info)
        why_label = self.query_one("#failures-why", Label)
        update_if_changed(why_label, why_text(group.example) if group is not None else Text())
        why_label.display = group is not None

    # -- the pane: the stderr of the cursor's task, or of a group's newest -----------------

    @on(Sheet.CursorMoved)
    def _cursor_moved(self, event: Sheet.CursorMoved) -> None:
        self._follow_cursor(event.key)
        self._summary()

    def _follow_cursor(self, key: str | None) -> None:
        if key is None:
            return
        group = self._group(key) if key.startswith(GROUP_PREFIX) else None
        task_id = group.example.task_id if group is not None else key
        what = f"{sanitize_name(task_id)} (its newest)" if group is not None else task_id
        self.show_output(task_id, what)

    # -- keys ---------------------------------------------------------------------------

    def action_open(self) -> None:
        """Enter: a group lists its tasks; a task opens its detail."""
        key = self.query_one(Sheet).cursor_key
        if key is None:
            return
        if key.startswith(GROUP_PREFIX):
            self.level = _Level(key.removeprefix(GROUP_PREFIX))
            self.show_data()
            self.query_one(Sheet).move_to(0)
            return
        self.app.push_screen(TaskDetailScreen(self.context, key))

    def action_back(self) -> None:
        """Esc: from a group's tasks to the groups; else back to where the view opened."""
        drilled = self.level.drilled
        if drilled is None:
            self.dismiss(None)
            return
        self.level = _Level()
        self.show_data()
        self.query_one(Sheet).move_to_key(GROUP_PREFIX + drilled)

    def _group_keys(self) -> list[str]:
        """``⏎: its tasks · k: kill alike ...``: the keys that work on a group, as pressed now.

        From the screen's live bindings, so a key a keymap moved shows moved,
        and one that read-only mode switches off (kill, tag) is not offered.
        """
        keys: dict[str, str] = {}
        for active in self.active_bindings.values():
            action = active.binding.action
            if active.node is self and active.enabled and action in GROUP_KEYS:
                keys.setdefault(action, self.app.get_key_display(active.binding))
        return [
            f"{keys[action]}: {words}" for action, words in GROUP_KEYS.items() if action in keys
        ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.WRITES and self.context.read_only:
            return False
        if action in {"kill_siblings", "download", "tag"} and self.current_group() is None:
            return None
        return True

    def _refused(self) -> bool:
        if self.context.read_only:
            self.notify("Read-only mode: nothing is changed on the server.", severity="warning")
        return self.context.read_only

    # kill the running tasks alike

    def action_kill_siblings(self) -> None:
        """``k``: kill the waiting and running tasks that share the group's parameters."""
        group = self.current_group()
        if group is None or self._refused():
            return
        shared = shared_parameters(group.tasks, self.context.name_keys)
        if not shared:
            self.notify(
                "The group's tasks share no parameter in their metadata: nothing to match.",
                title="Nothing to kill",
                severity="warning",
            )
            return
        self._find_siblings(group, shared)

    @work(exclusive=True, group="siblings", exit_on_error=False)
    async def _find_siblings(self, group: FailureGroup, shared: dict[str, str]) -> None:
        found: list[str] = []
        try:
            for project in sorted(group.projects):
                rows = await self.source.project_tasks_info(project, select="all")
                found += siblings(rows, shared)
        except NotFound:
            self.notify("This API cannot list a project's runs.", severity="warning")
            return
        except ApiError as error:
            self.notify(str(error), title="Could not list the project's runs", severity="error")
            return
        alike = " ".join(f"{k}={v}" for k, v in shared.items())
        if not found:
            self.notify(f"No task with {alike} is waiting or running.", title="Nothing to kill")
            return

        def confirmed(answer: str | None) -> None:
            if answer is not None:
                self._kill(found)

        count = len(found)
        self.app.push_screen(
            ConfirmAction(
                f"Kill {count} task{'s' if count != 1 else ''} with {alike}?",
                found,
                confirm=f"Kill {count}",
                note="They share what the failed ones share; work in progress is lost.",
                danger=True,
            ),
            confirmed,
        )

    @work(group="kill", exit_on_error=False)
    async def _kill(self, task_ids: list[str]) -> None:
        results = await asyncio.gather(
            *(self.source.kill(task_id) for task_id in task_ids), return_exceptions=True
        )
        failed = [r for r in results if isinstance(r, BaseException)]
        done = len(results) - len(failed)
        self.notify(f"Kill requested for {done} task{'s' if done != 1 else ''}.")
        if failed:
            self.notify(str(failed[0]), title=f"{len(failed)} kills failed", severity="error")
        self.loop.poke(now=True)

    # download every stderr

    def action_download(self) -> None:
        """``d``: every stderr of the group into one folder."""
        group = self.current_group()
        if group is None or self.context.services is None:
            return
        folder = stderr_folder(self.context.services.output_dir, _slug(self.scope), group)
        count = group.count

        def confirmed(answer: str | None) -> None:
            if answer is not None:
                self._download(group.tasks, folder)

        self.app.push_screen(
            ConfirmAction(
                f"Download the stderr of {count} task{'s' if count != 1 else ''}?",
                [task_label(task, self.context.name_keys) for task in group.tasks],
                confirm="Download",
                note=f"Into {folder} (one file per task: <id>.stderr.txt).",
            ),
            confirmed,
        )

    @work(group="download", exit_on_error=False)
    async def _download(self, tasks: Sequence[Task], folder: Path) -> None:
        assert self.context.services is not None
        services = self.context.services
        gate = asyncio.Semaphore(4)

        async def one(task: Task) -> bool:
            async with gate:
                text = await read_stderr(services, task, WHOLE_BYTES)
            if text is None:
                return False
            await asyncio.to_thread((folder / f"{task.task_id}.stderr.txt").write_text, text)
            return True

        try:
            await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
            written = sum(await asyncio.gather(*(one(task) for task in tasks)))
        except OSError as error:
            self.notify(f"Cannot write: {error}", title="Download failed", severity="error")
            return
        missing = len(tasks) - written
        note = f" ({missing} had no stderr to read)" if missing else ""
        self.notify(f"{written} stderr files in {folder}{note}.", title="Downloaded")

    # tag in metadata

    def action_tag(self) -> None:
        """``m``: tag the group's tasks in their metadata (``key=value``, merged)."""
        group = self.current_group()
        if group is None or self._refused():
            return
        count = group.count
        signature = group.signature
        default = f"failure=exit{signature.exit_code}" if signature.exit_code is not None else ""
        default = default or f"failure={_slug(signature.stderr or signature.detail, 24)}"

        def confirmed(answer: str | None) -> None:
            if answer is None:
                return
            key, sep, value = answer.partition("=")
            if not sep or not key.strip():
                self.notify("A tag is key=value.", severity="warning")
                return
            self._tag(group.tasks, key.strip(), value.strip())

        self.app.push_screen(
            ConfirmAction(
                f"Tag {count} task{'s' if count != 1 else ''} in their metadata?",
                [task_label(task, self.context.name_keys) for task in group.tasks],
                confirm=f"Tag {count}",
                note="key=value, merged into each task's metadata (PATCH).",
                field=default,
            ),
            confirmed,
        )

    @work(group="tag", exit_on_error=False)
    async def _tag(self, tasks: Sequence[Task], key: str, value: str) -> None:
        client = self.context.services.client if self.context.services is not None else None
        if client is None:
            return
        results = await asyncio.gather(
            *(client.patch_metadata(task.task_id, {key: value}) for task in tasks),
            return_exceptions=True,
        )
        failed = [r for r in results if isinstance(r, BaseException)]
        done = len(results) - len(failed)
        self.notify(f"Tagged {done} task{'s' if done != 1 else ''} {key}={value}.")
        if failed:
            self.notify(str(failed[0]), title=f"{len(failed)} tags failed", severity="error")
