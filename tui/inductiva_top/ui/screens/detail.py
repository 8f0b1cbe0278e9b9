"""Everything ``inductiva tasks info`` shows about one task, on its own screen.

Timestamps, the status timeline with its operations, sizes and times,
the executor, metadata (``m`` edits it: :mod:`~inductiva_top.ui.screens.metadata`,
refused in read-only mode), error detail, cost and storage paths; what is foreseen
(when it should start or end and from what, how old its output is: the
dashboard's :class:`~inductiva_top.monitor.foresight.tracker.Foresight`);
while the task computes, its CPU and memory sparklines
(:class:`~inductiva_top.ui.widgets.usage.UsageLine`), ``top`` and its newest
file from its machine (through :mod:`~inductiva_top.api.live`, over
whichever transport reaches it). Every value from the API is sanitized and
shown as plain text.

The screen reloads the task while it can still change. A reload that fails
is asked again by itself at the poll loop's pace
(:class:`~inductiva_top.monitor.retrying.Retrying`); the error shows under
the title, in full, only while it lasts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Label, Static

from inductiva_top.api.client import InductivaClient
from inductiva_top.api.errors import ApiError
from inductiva_top.api.live import LiveAccess
from inductiva_top.api.models import TaskWithStatusHistory
from inductiva_top.monitor import fmt
from inductiva_top.monitor.fleet.why import start_why, task_why
from inductiva_top.monitor.foresight.tracker import Foresight
from inductiva_top.monitor.foresight.wording import ends_sentence, starts_sentence
from inductiva_top.monitor.names import task_label
from inductiva_top.monitor.retrying import Retrying, waiting_text
from inductiva_top.monitor.sanitize import sanitize_name
from inductiva_top.monitor.statuses import display_alias, is_terminal, status_info
from inductiva_top.monitor.task.metadata import MetadataSource
from inductiva_top.ui.context import ScreenContext
from inductiva_top.ui.screens.metadata import MetadataForm
from inductiva_top.ui.widgets.footer import KeysFooter
from inductiva_top.ui.widgets.liveinfo import LiveInfo
from inductiva_top.ui.widgets.trouble import Trouble
from inductiva_top.ui.widgets.usage import UsageLine

__all__ = ["TaskDetailScreen", "detail_sections"]

Row = tuple[str, str]


def _text(value: object) -> str:
    if value is None or value == "":
        return fmt.MISSING
    return sanitize_name(str(value))


def _seconds(value: float | None) -> str:
    return fmt.MISSING if value is None else f"{fmt.duration(value)} ({value:.1f}s)"


def _summary(task: TaskWithStatusHistory, formatter: fmt.Formatter) -> list[Row]:
    info = status_info(task.status)
    why = task_why(task)
    rows: list[Row] = [
        ("Task ID", _text(task.task_id)),
        ("Status", f"{info.symbol} {display_alias(task.status, task.status_alias)}"),
        ("What happened", why.what),
        ("What to do", why.todo),
        ("Simulator", _text(task.simulator)),
        ("Project", _text(task.project)),
        ("Container image", _text(task.container_image)),
        ("Machine group", _text(task.machine_group)),
        ("Machine", fmt.machine_label(task) or fmt.MISSING),
        ("Run (computing)", formatter.run_time(task)),
        ("Total (since submitted)", formatter.total_time(task)),
        ("Waited in queue", formatter.queue_wait(task)),
        ("Retries", _text(task.num_retries)),
    ]
    if task.error_detail:
        rows.append(("Error detail", _text(task.error_detail)))
    if task.executer is not None and task.executer.error_detail:
        rows.append(("Status detail", _text(task.executer.error_detail)))
    return rows


def _timestamps(task: TaskWithStatusHistory, formatter: fmt.Formatter) -> list[Row]:
    moments: list[tuple[str, datetime | None]] = [
        ("Created", task.create_time),
        ("Input submitted", task.input_submit_time),
        ("Started", task.start_time),
        ("Computation started", task.computation_start_time),
        ("Computation ended", task.computation_end_time),
        ("Ended", task.end_time),
    ]
    return [
        (label, f"{formatter.timestamp_full(when)}  ({formatter.natural_ago(when)})")
        for label, when in moments
        if when is not None
    ]


def _timeline(task: TaskWithStatusHistory, formatter: fmt.Formatter) -> list[Row]:
    rows: list[Row] = []
    now = formatter.now()
    for entry in task.status_history:
        if entry.timestamp and entry.end_timestamp:
            took = fmt.duration((entry.end_timestamp - entry.timestamp).total_seconds())
        elif entry.timestamp and not status_info(entry.status).terminal:
            took = f"{fmt.duration((now - entry.timestamp).total_seconds())} (ongoing)"
        else:
            took = ""
        label = f"{status_info(entry.status).symbol} {display_alias(entry.status, entry.alias)}"
        rows.append((label, f"{formatter.timestamp(entry.timestamp)}  {took}".rstrip()))
        for index, op in enumerate(entry.operations):
            branch = "└" if index == len(entry.operations) - 1 else "├"
            end = op.end_timestamp or now
            spent = ""
            if op.start_timestamp is not None:
                spent = fmt.duration((end - op.start_timestamp).total_seconds())
            what = op.attributes.get("command") or op.alias or op.name
            rows.append((f"  {branch}> {_text(op.name)}", f"{spent:<10} {_text(what)}".rstrip()))
    return rows


def _metrics(task: TaskWithStatusHistory) -> list[Row]:
    m = task.metrics
    if m is None:
        return []
    return [
        ("Input size", fmt.size(m.input_size_bytes)),
        ("Input zipped", fmt.size(m.input_zipped_size_bytes)),
        ("Output size", fmt.size(m.output_size_bytes)),
        ("Output zipped", fmt.size(m.output_zipped_size_bytes)),
        ("Output files", fmt.count(m.output_total_files)),
        ("Total time", _seconds(m.total_seconds)),
        ("Queue time", _seconds(m.queue_time_seconds)),
        ("Computation", _seconds(m.computation_seconds)),
        ("Input upload", _seconds(m.input_upload_seconds)),
        ("Input download", _seconds(m.input_download_seconds)),
        ("Input decompression", _seconds(m.input_decompression_seconds)),
        ("Output compression", _seconds(m.output_compression_seconds)),
        ("Output upload", _seconds(m.output_upload_seconds)),
        ("Container download", _seconds(m.container_image_download_seconds)),
        ("Container size", fmt.size(m.container_image_size_bytes)),
    ]


def _executer(task: TaskWithStatusHistory) -> list[Row]:
    e = task.executer
    if e is None:
        return []
    return [
        ("Host type", _text(e.host_type)),
        ("VM type", _text(e.vm_type)),
        ("VM name", _text(e.vm_name)),
        ("CPUs (logical/physical)", f"{_text(e.cpu_count_logical)}/{_text(e.cpu_count_physical)}"),
        ("Memory", fmt.size(e.memory)),
        ("MPI hosts", _text(e.n_mpi_hosts)),
        ("Executor id", _text(e.uuid)),
    ]


def _cost(task: TaskWithStatusHistory) -> list[Row]:
    rows: list[Row] = [("Estimated computation", fmt.cost(task.estimated_computation_cost))]
    fee = task.orchestration_fee
    if fee is not None and fee.amount is not None:
        charged = fee.amount if fee.charged else 0.0
        state = "charged" if fee.charged else "not charged"
        total = (task.estimated_computation_cost or 0.0) + charged
        rows.append(("Orchestration fee", f"{fmt.cost(charged)} ({state})"))
        rows.append(("Total estimated", fmt.cost(total)))
    return rows


def _storage(task: TaskWithStatusHistory) -> list[Row]:
    return [
        ("Storage path", _text(task.storage_path)),
        ("Input", _text(task.storage_input_path)),
        ("Output", _text(task.storage_output_path)),
        ("Region", _text(task.storage_region)),
    ]


def _metadata(task: TaskWithStatusHistory) -> list[Row]:
    return [(_text(k), _text(v)) for k, v in sorted((task.task_metadata or {}).items())]


def _foreseen(
    task: TaskWithStatusHistory, formatter: fmt.Formatter, foresight: Foresight | None
) -> list[Row]:
    if foresight is None:
        return []
    now = formatter.now()
    rows: list[Row] = []
    start = foresight.starts.get(task.task_id)
    if start is not None:
        rows.append(("Starts", starts_sentence(start, now)))
        rows.append(("Why it waits", start_why(start)))
    finish = foresight.finishes.get(task.task_id)
    if finish is not None:
        rows.append(("Ends", ends_sentence(finish, now)))
    age = foresight.output_age(task.task_id, now)
    if age is not None:
        stalled = " (stalled)" if foresight.stalled(task, now) else ""
        rows.append(("Last output", f"{fmt.age(age)}{stalled}"))
    return rows


def detail_sections(
    task: TaskWithStatusHistory, formatter: fmt.Formatter, foresight: Foresight | None = None
) -> list[tuple[str, list[Row]]]:
    """The detail screen's sections, in order; empty sections are left out."""
    builders: list[tuple[str, Callable[[], list[Row]]]] = [
        ("Task", lambda: _summary(task, formatter)),
        ("Foreseen", lambda: _foreseen(task, formatter, foresight)),
        ("Timestamps", lambda: _timestamps(task, formatter)),
        ("Timeline", lambda: _timeline(task, formatter)),
        ("Sizes and times", lambda: _metrics(task)),
        ("Machine", lambda: _executer(task)),
        ("Cost (US$)", lambda: _cost(task)),
        ("Storage", lambda: _storage(task)),
        ("Metadata", lambda: _metadata(task)),
    ]
    sections = [(title, build()) for title, build in builders]
    return [(title, rows) for title, rows in sections if rows]


def _table(rows: Iterable[Row]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for label, value in rows:
        table.add_row(Text(label), Text(value))
    return table


class TaskDetailScreen(Screen[None]):
    """One task in full; refreshes on ``r``, closes on Esc.

    The context's ``policy`` is the poll loop's: the screen reloads every
    ``interval`` while the task can change, and waits as the loop would after a
    failure. ``live`` reaches the running task's machine; by default one is
    made for the context's source when it is an API client (nothing live
    otherwise). ``foresight``: the dashboard's estimates of the tasks it holds.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "app.pop_screen", "Back", id="detail.back"),
        Binding("r", "reload", "Reload", id="detail.reload"),
        Binding("m", "metadata", "Metadata", id="detail.metadata"),
    ]

    def __init__(
        self,
        context: ScreenContext,
        task_id: str,
        *,
        live: LiveAccess | None = None,
        foresight: Foresight | None = None,
    ) -> None:
        super().__init__()
        self.context = context
        """The app's source and settings; read-only means no metadata change."""
        self.task_id = task_id
        self.loaded: TaskWithStatusHistory | None = None
        """The task as last loaded."""
        if live is None and isinstance(context.source, InductivaClient):
            live = LiveAccess(context.source)
        self._live_access = live
        self._foresight = foresight
        self.trouble = ""
        """Why the task cannot be loaded right now (shown while it lasts)."""

    def compose(self) -> ComposeResult:
        yield Label(Text(f"Task {sanitize_name(self.task_id)}", style="bold"), id="detail-title")
        yield Trouble(id="detail-trouble")
        yield UsageLine(
            self._live_access,
            self._foresight,
            self.context.formatter,
            policy=self.context.policy,
            id="detail-usage",
        )
        yield VerticalScroll(Static("loading…", id="detail-loading"), id="detail-body")
        yield KeysFooter()

    def on_mount(self) -> None:
        self._watch()

    def action_reload(self) -> None:
        """``r``: load the task now (and go on reloading while it can change)."""
        self._watch()

    @work(exclusive=True, group="detail", exit_on_error=False)
    async def _watch(self) -> None:
        """Load the task, then again every interval until it can no longer change."""

        async def shown(task: TaskWithStatusHistory) -> bool:
            self.loaded = task
            title = Text(f"Task {task_label(task, self.context.name_keys)}", style="bold")
            self.query_one("#detail-title", Label).update(title)
            self._show_trouble("")
            await self._show(task)
            return not is_terminal(task.status, task.is_terminated)

        try:
            await Retrying(self.context.policy).repeat(
                lambda: self.context.source.get_task(self.task_id),
                shown,
                self._waiting,
                every=self.context.policy.interval,
            )
        except ApiError as error:  # asking again cannot help (gone, refused): until ``r``
            self._show_trouble(f"Could not load the task: {error} (r tries again)")

    def action_metadata(self) -> None:
        """``m``: the form that adds, changes or removes a metadata key; says why it cannot."""
        source, task = self.context.source, self.loaded
        if self.context.read_only:
            refusal = "Read-only mode: the task's metadata is not changed on the server."
        elif not isinstance(source, MetadataSource):
            refusal = "This dashboard's source cannot change metadata."
        elif task is None:
            refusal = "The task has not loaded yet."
        else:

            def closed(changed: bool | None) -> None:
                if changed:
                    self._watch()

            label = task_label(task, self.context.name_keys)
            form = MetadataForm(source, task.task_id, label, task.task_metadata or {})
            self.app.push_screen(form, closed)
            return
        self.notify(refusal, title="Metadata", severity="warning", markup=False)

    def _waiting(self, error: ApiError, seconds_left: float) -> None:
        self._show_trouble(f"Could not load the task: {waiting_text(error, seconds_left)}")

    def _show_trouble(self, text: str) -> None:
        self.trouble = text
        self.query_one(Trouble).say(text)

    async def _show(self, task: TaskWithStatusHistory) -> None:
        body = self.query_one("#detail-body", VerticalScroll)
        self.query_one(UsageLine).selected = task
        sections = detail_sections(task, self.context.formatter, self._foresight)
        headings = list(body.query(".detail-heading").results(Static))
        tables = list(body.query(".detail-section").results(Static))
        if [str(h.content) for h in headings] == [title for title, _ in sections]:
            # Same sections as shown: update in place, keeping the scroll position.
            for table, (_, rows) in zip(tables, sections, strict=True):
                table.update(_table(rows))
        else:
            await body.remove_children()
            widgets: list[Static] = []
            for title, rows in sections:
                widgets.append(
                    Static(Text(title, style="bold underline"), classes="detail-heading")
                )
                widgets.append(Static(_table(rows), classes="detail-section"))
            await body.mount_all(widgets)
        await self._live(task, body)

    async def _live(self, task: TaskWithStatusHistory, body: VerticalScroll) -> None:
        """While the task computes, ``top`` and its newest file from its machine."""
        shown = list(body.query(LiveInfo).results(LiveInfo))
        access = self._live_access
        if task.status != "computation-started" or access is None:
            for widget in shown:
                await widget.remove()  # its worker, and with it the connection, ends
        elif not shown:
            try:
                live = await access.live_for(task.task_id)
            except ApiError:
                return  # the server did not say how to reach the task: asked at the next reload
            await body.mount(LiveInfo(live, policy=self.context.policy))
