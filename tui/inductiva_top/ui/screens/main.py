"""The dashboard's main screen: header, filters, the task table and the task's panes.

The screen owns the poll loop (one worker, never overlapping itself) and
routes messages between its widgets: the table says where the cursor is and
which rows are on screen; the screen tells the state, pokes the loop and
hands fresh data back down.
"""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Footer, Input
from textual.worker import Worker, WorkerState

from inductiva_top.api.errors import ApiError, ClientError
from inductiva_top.api.models import Task
from inductiva_top.monitor import fmt
from inductiva_top.monitor.locate import locate
from inductiva_top.monitor.poller import Freshness, PollLoop, PollPolicy, PollSchedule
from inductiva_top.monitor.queue import queue_view
from inductiva_top.monitor.state import DashboardState
from inductiva_top.monitor.statuses import is_killable
from inductiva_top.monitor.window import TaskQuery
from inductiva_top.ui.columns import Column, RowContext, render_cell
from inductiva_top.ui.screens.detail import TaskDetailScreen
from inductiva_top.ui.screens.home import HomeActions
from inductiva_top.ui.screens.kill import ConfirmKill
from inductiva_top.ui.screens.project_picker import ProjectChoice, ProjectPicker
from inductiva_top.ui.screens.queue import QueueScreen
from inductiva_top.ui.screens.status_filter import StatusFilter
from inductiva_top.ui.services import PaneServices
from inductiva_top.ui.widgets.filter_bar import FilterBar
from inductiva_top.ui.widgets.header import StatusHeader
from inductiva_top.ui.widgets.panes import TaskPanes
from inductiva_top.ui.widgets.tail import TailPanel
from inductiva_top.ui.widgets.task_table import TableData, TaskTable

__all__ = ["MainScreen"]

RESTART_AFTER = 5.0
"""Seconds before the poll loop restarts after an unexpected error."""

WRITE_ACTIONS = frozenset({"kill", "mark_killable"})
"""Actions that change something on the server; read-only mode removes them."""


class MainScreen(HomeActions):
    """The dashboard."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter_id", "Find", id="main.filter_id"),
        Binding("escape", "clear", "Clear", show=False, id="main.clear"),
        Binding("s", "status_filter", "Status", id="main.status_filter"),
        Binding("p", "project_filter", "Project", id="main.project_filter"),
        Binding("a", "toggle_active", "Active", id="main.toggle_active"),
        Binding("greater_than_sign", "sort_step(1)", "Sort", id="main.sort_next"),
        Binding("less_than_sign", "sort_step(-1)", "Sort back", show=False, id="main.sort_prev"),
        Binding("r", "sort_reverse", "Reverse", show=False, id="main.sort_reverse"),
        Binding("k", "kill", "Kill", id="main.kill"),
        Binding("asterisk", "mark_killable", "Mark killable", show=False, id="main.mark_killable"),
        Binding("q", "queue", "Queue", id="main.queue"),
        Binding("f5", "refresh", "Refresh", show=False, id="main.refresh"),
        Binding("o", "tail_mode", "Output", show=False, id="main.tail_mode"),
    ]

    def __init__(
        self,
        state: DashboardState,
        *,
        api_label: str,
        columns: list[Column],
        formatter: fmt.Formatter,
        policy: PollPolicy,
        read_only: bool = False,
        services: PaneServices | None = None,
    ) -> None:
        super().__init__()
        self.state = state
        self.services = services
        self.api_label = api_label
        self.columns = columns
        self.formatter = formatter
        self.read_only = read_only
        self.loop = PollLoop(
            state.tick,
            PollSchedule(policy),
            on_update=self._after_tick,
            monotonic=self._monotonic,
        )
        self._last_error: str | None = None
        self._good_query: TaskQuery | None = None
        self._allowed_actions: tuple[tuple[str, bool | None], ...] = ()

    def _monotonic(self) -> float:
        # The injected clock drives data age too, so a frozen clock freezes it.
        return self.formatter.now().timestamp()

    # -- layout --------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield StatusHeader(self.api_label, id="header")
        yield FilterBar(id="filters")
        yield TaskTable(self.columns, render_cell, id="tasks")
        yield TaskPanes(
            tz=self.formatter.tz, services=self.services, formatter=self.formatter, id="panes"
        )
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(TaskTable)
        self._sync_sort()
        table.focus()
        self._show()
        self._poll()
        self.set_interval(1.0, self._second)

    @work(exclusive=True, group="poll", exit_on_error=False)
    async def _poll(self) -> None:
        await self.loop.run()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            error = event.worker.error
            self.notify(
                f"{type(error).__name__}: {error}", title="Internal error", severity="error"
            )
            if event.worker.group == "poll":
                # The dashboard keeps going, without spinning on a repeating bug.
                self.set_timer(RESTART_AFTER, self._poll)

    # -- attributes down -------------------------------------------------------

    def _row_context(self, task: Task) -> RowContext:
        status = self.state.row_status(task)
        return RowContext(
            now=self.formatter.now(),
            status=status,
            status_alias=task.status_alias if status == task.status else None,
            tasks_ahead=self.state.queue_ahead.get(task.task_id),
        )

    def _show(self) -> None:
        table = self.query_one(TaskTable)
        table.show(TableData(self.state.window, self._row_context))
        self._update_bars()
        selected = self.state.selected
        if selected is None and table.cursor_id is not None:
            self.query_one(TaskPanes).show_task(self.state.task(table.cursor_id))
        else:
            self.query_one(TaskPanes).show_task(selected)

    def _update_bars(self) -> None:
        self.query_one(StatusHeader).update_status(
            self.loop.freshness, self._monotonic(), self.state.counts
        )
        self.query_one(FilterBar).update_summary(
            self.state.window.query,
            self.state.window.total,
            len(self.query_one(TaskTable).marked),
            self.read_only,
        )

    def _after_tick(self, freshness: Freshness) -> None:
        error = freshness.last_error
        query, good = self.state.window.query, self._good_query
        if error is None:
            self._good_query = query
        elif isinstance(error, ClientError) and good is not None and good != query:
            # The server refused this filter or sort: say so and go back.
            self.notify(str(error), title="The server refused this view", severity="error")
            self._set_query(good)
            return
        self._show()
        self.check_watched()
        self._refresh_bindings_if_changed()
        if self.state.followup:
            self.state.followup = False
            self.loop.poke(now=True)
        message = str(error) if error is not None else None
        if error is not None and message != self._last_error:
            title = {
                "unauthorized": "The API refused the key",
                "offline": "The API is unreachable",
            }.get(freshness.connection_state(), "The API answered with an error")
            self.notify(message or "", title=title, severity="warning")
        self._last_error = message

    def _refresh_bindings_if_changed(self) -> None:
        """Rebuild the footer only when what the keys may do has changed.

        ``refresh_bindings`` redraws the whole footer; once per poll that is
        most of what a quiet dashboard would write to the terminal.
        """
        actions = {
            binding.action.partition("(")[0]
            for bindings in self._bindings.key_to_bindings.values()
            for binding in bindings
        }
        allowed = tuple((action, self.check_action(action, ())) for action in sorted(actions))
        if allowed != self._allowed_actions:
            self._allowed_actions = allowed
            self.refresh_bindings()

    def _second(self) -> None:
        """Tick the clock: running durations and the data age move every second."""
        self.query_one(TaskTable).refresh_changed()
        self._update_bars()

    # -- messages up -------------------------------------------------------------

    @on(TaskTable.RangeShown)
    def _range_shown(self, event: TaskTable.RangeShown) -> None:
        if self.state.set_visible(event.first, event.last):
            self.loop.poke(now=True)

    @on(TaskTable.CursorMoved)
    def _cursor_moved(self, event: TaskTable.CursorMoved) -> None:
        self.state.selected_id = event.task_id
        self.state.selected = None
        self.query_one(TaskPanes).show_task(
            self.state.task(event.task_id) if event.task_id else None
        )
        self.refresh_bindings()
        if event.task_id is not None:
            self._load_selected(event.task_id)

    @work(exclusive=True, group="selected", exit_on_error=False)
    async def _load_selected(self, task_id: str) -> None:
        """Fetch the cursor task at once; a newer cursor move cancels this one."""
        try:
            task = await self.state.source.get_task(task_id)
        except ApiError:
            return  # the poll loop reports API trouble; the next tick retries
        if self.state.selected_id == task_id:
            self.state.selected = task
            self.query_one(TaskPanes).show_task(task)

    @on(TaskTable.OpenRequested)
    def _open(self, event: TaskTable.OpenRequested) -> None:
        self.app.push_screen(
            TaskDetailScreen(
                event.task_id,
                self.state.source,
                self.formatter,
                refresh_every=self.loop.schedule.policy.interval,
            )
        )

    @on(TaskTable.SortRequested)
    def _sort_requested(self, event: TaskTable.SortRequested) -> None:
        self._set_query(self.state.window.query.sorted_by(event.sort_field))

    @on(TaskTable.MarksChanged)
    def _marks_changed(self) -> None:
        self._update_bars()
        self.refresh_bindings()

    def on_key(self, event: events.Key) -> None:
        self.loop.poke()

    # -- queries -------------------------------------------------------------------

    def _set_query(self, query: TaskQuery) -> None:
        old_sort = self.state.window.query.sort
        if self.state.set_query(query):
            table = self.query_one(TaskTable)
            task = self.state.task(table.cursor_id) if table.cursor_id else None
            if query.sort != old_sort and task is not None:
                table.hold_cursor = True
                self._locate(task, query)
            self._sync_sort()
            self._show()
            self.loop.poke(now=True)

    @work(exclusive=True, group="locate", exit_on_error=False)
    async def _locate(self, task: Task, query: TaskQuery) -> None:
        """Find the cursor task's row in the new order and fetch its page."""
        table = self.query_one(TaskTable)
        window = self.state.window
        try:
            index = await locate(self.state.source, query, task, page_size=window.page_size)
            if (
                index is not None
                and window.query == query
                and window.index_of(task.task_id) is None
            ):
                page = index // window.page_size + 1
                _, result = await self.state.fetch_page(query, page)
                window.store(query, page, result)
        except ApiError:
            pass  # the cursor falls back to a neighbour; the poll loop reports API trouble
        finally:
            table.hold_cursor = False
        if window.query == query:
            self._show()

    def _sync_sort(self) -> None:
        sort = self.state.window.query.sort
        first = sort[0] if sort else None
        self.query_one(TaskTable).set_sort(
            first.field if first else None, first.descending if first else False
        )

    def action_filter_id(self) -> None:
        self.query_one(FilterBar).open_search(self.state.window.query.id_filter)

    @on(Input.Changed, "#filter-input")
    def _id_filter_typed(self, event: Input.Changed) -> None:
        query = self.state.window.query
        self._set_query(replace(query, id_filter=event.value.strip()))

    @on(Input.Submitted, "#filter-input")
    def _id_filter_done(self) -> None:
        self.query_one(FilterBar).close_search()
        self.query_one(TaskTable).focus()

    def action_clear(self) -> None:
        """Esc: close and clear the id search; else drop the marks."""
        bar = self.query_one(FilterBar)
        query = self.state.window.query
        if bar.searching or query.id_filter:
            bar.close_search()
            self.query_one(Input).value = ""
            self._set_query(replace(query, id_filter=""))
            self.query_one(TaskTable).focus()
        elif self.query_one(TaskTable).marked:
            self.query_one(TaskTable).clear_marks()

    def action_status_filter(self) -> None:
        def chosen(statuses: frozenset[str] | None) -> None:
            if statuses is not None:
                self._set_query(replace(self.state.window.query, statuses=statuses))

        self.app.push_screen(StatusFilter(self.state.window.query.statuses), chosen)

    def action_project_filter(self) -> None:
        self._pick_project()

    @work(exclusive=True, group="projects", exit_on_error=False)
    async def _pick_project(self) -> None:
        try:
            projects = await self.state.source.list_projects()
        except ApiError as error:
            self.notify(str(error), title="Could not list projects", severity="error")
            return

        def chosen(choice: ProjectChoice | None) -> None:
            if choice is not None:
                self._set_query(replace(self.state.window.query, project=choice.name))

        self.app.push_screen(ProjectPicker(projects, self.state.window.query.project), chosen)

    def action_toggle_active(self) -> None:
        query = self.state.window.query
        self._set_query(replace(query, active=not query.active))

    def action_sort_step(self, step: int) -> None:
        fields = [c.sort_field for c in self.columns if c.sort_field is not None]
        if not fields:
            return
        sort = self.state.window.query.sort
        current = sort[0].field if sort else None
        index = fields.index(current) if current in fields else -step
        next_field = fields[(index + step) % len(fields)]
        self._set_query(self.state.window.query.sorted_by(next_field))

    def action_sort_reverse(self) -> None:
        sort = self.state.window.query.sort
        if sort:
            self._set_query(self.state.window.query.sorted_by(sort[0].field))

    def action_refresh(self) -> None:
        self.loop.poke(now=True)

    def action_tail_mode(self) -> None:
        """``o`` from anywhere: the tail pane cycles stdout, stderr, both."""
        for panel in self.query(TailPanel):
            panel.action_cycle_mode()

    # -- kill ------------------------------------------------------------------------

    def _current_status(self, task_id: str) -> str | None:
        task = self.state.task(task_id)
        return None if task is None else self.state.row_status(task)

    def kill_targets(self) -> list[str]:
        """The marked killable tasks, or the cursor task if none is marked."""
        table = self.query_one(TaskTable)
        candidates = sorted(table.marked) if table.marked else [table.cursor_id or ""]
        return [
            task_id
            for task_id in candidates
            if (status := self._current_status(task_id)) is not None and is_killable(status)
        ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in WRITE_ACTIONS and self.read_only:
            return False
        if action == "kill" and not self.kill_targets():
            return None
        if action == "queue" and self.query_one(TaskTable).cursor_id is None:
            return None
        return True

    def action_mark_killable(self) -> None:
        table = self.query_one(TaskTable)
        first, last = table.visible_range()
        table.mark(
            {
                task.task_id
                for _, task in self.state.window.rows(first, last)
                if is_killable(self.state.row_status(task))
            }
        )

    def action_kill(self) -> None:
        targets = self.kill_targets()
        if not targets or self.read_only:
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._kill(targets)

        self.app.push_screen(ConfirmKill(targets), confirmed)

    @work(group="kill", exit_on_error=False)
    async def _kill(self, task_ids: list[str]) -> None:
        table = self.query_one(TaskTable)
        self.state.begin_kill(task_ids)
        self._show()  # rows show pending-kill right away
        outcomes = await self.state.kill(task_ids)
        failed = [o for o in outcomes if o.error is not None]
        for outcome in failed:
            self.notify(
                outcome.error or "", title=f"Kill of {outcome.task_id} failed", severity="error"
            )
        done = len(outcomes) - len(failed)
        if done:
            self.notify(f"Kill requested for {done} task{'s' if done != 1 else ''}.")
        table.clear_marks()
        self._show()
        self.loop.poke(now=True)

    # -- queue -------------------------------------------------------------------------

    def action_queue(self) -> None:
        task_id = self.query_one(TaskTable).cursor_id
        if task_id is not None:
            self._open_queue(task_id)

    @work(exclusive=True, group="queue", exit_on_error=False)
    async def _open_queue(self, task_id: str) -> None:
        try:
            status = await self.state.source.get_status(task_id)
            task = await self.state.source.get_task(task_id)
        except ApiError as error:
            self.notify(str(error), title="Could not read the queue", severity="error")
            return
        ahead = status.position_in_queue.tasks_ahead if status.position_in_queue else None
        view = queue_view(task, self.state.active, ahead, self.formatter.now())
        self.app.push_screen(QueueScreen(view, self.formatter))
