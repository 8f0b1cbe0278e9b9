"""The dashboard's main screen: header, filters, the task table and the task's panes.

The screen owns the poll loop (one worker, never overlapping itself) and
routes messages between its widgets: the table says where the cursor is and
which rows are on screen; the screen tells the state, pokes the loop and
hands fresh data back down.

Its everyday keys besides: copy (``c``), export (``e``), watch (``w``),
kill (``k``, which says why when there is nothing to kill), the queue view
(``u``), the machine groups (``M``), failed only (``F``), the next /
previous failed task (``]`` / ``[``) and zoom (``z``: a pane fills the
screen). Watching: after each poll
the screen hands the :class:`~inductiva_top.monitor.watch.Watcher` (the
app's; it outlives a screen) the tasks it holds; tasks that reached a
terminal state (or met a ``watch:`` rule) get a toast, a desktop notification
written to the terminal by the ``notifier`` (OSC 9, 777, 99 or the bell,
wrapped for tmux), and the terminal bell when ``bell`` is on. The app's
:class:`~inductiva_top.monitor.foresight.tracker.Foresight` is fed after
each poll too: the table's STARTS and ENDS cells and stalled marks read it.

The footer starts with help and quit, so that they stay when it is cut at
the right (80 columns); ``?`` lists the keys in :data:`MainScreen.HELP_SECTIONS`.
"""

from __future__ import annotations

from contextlib import aclosing
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import ActiveBinding, Binding, BindingType
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input
from textual.worker import Worker

from inductiva_top.api.errors import ApiError, ClientError, Unauthorized
from inductiva_top.api.live import NoLive
from inductiva_top.api.models import Task, TaskPage
from inductiva_top.monitor import fmt
from inductiva_top.monitor.batch.bars import completion
from inductiva_top.monitor.batch.source import BatchSource
from inductiva_top.monitor.foresight.estimates import StartEstimate
from inductiva_top.monitor.foresight.notify import Notifier, NotifyVia
from inductiva_top.monitor.foresight.resources import OUTPUT_UPDATE_PATH
from inductiva_top.monitor.foresight.tracker import Foresight
from inductiva_top.monitor.names import labelled, task_label
from inductiva_top.monitor.poller import Freshness, PollLoop, PollSchedule
from inductiva_top.monitor.rows.export import fetch_all
from inductiva_top.monitor.rows.seek import seek_row
from inductiva_top.monitor.rows.window import TaskQuery
from inductiva_top.monitor.state import DashboardState
from inductiva_top.monitor.statuses import FILTER_GROUPS, display_alias, is_killable, is_terminal
from inductiva_top.monitor.task.queue import QueueView
from inductiva_top.monitor.watch import Arrival, Watcher
from inductiva_top.ui import launch_gc, screens
from inductiva_top.ui.clipboard import copy_text, what_to_copy
from inductiva_top.ui.columns import Column, RowContext, render_cell
from inductiva_top.ui.context import ScreenContext
from inductiva_top.ui.polling import restart_after_error, trouble_title
from inductiva_top.ui.terminal import write_to_terminal
from inductiva_top.ui.ticks import every_second
from inductiva_top.ui.widgets.filter_bar import FilterBar, search_scope
from inductiva_top.ui.widgets.footer import KeysFooter
from inductiva_top.ui.widgets.header import HISTORY_CELLS, StatusHeader
from inductiva_top.ui.widgets.panes import TaskPanes
from inductiva_top.ui.widgets.tail import TailPanel
from inductiva_top.ui.widgets.task_table import TableData, TaskTable
from inductiva_top.ui.widgets.totals import TotalsLine

__all__ = ["MainScreen"]

WRITE_ACTIONS = frozenset({"kill", "mark_killable", "kill_view"})
"""Actions that change something on the server; read-only mode removes them."""

SEARCH_PAUSE = 0.3
"""Seconds of no typing in ``/`` before the server is asked (the rows at hand re-filter at once)."""

FAILED_CODES = frozenset(FILTER_GROUPS["failed"])
"""What ``F`` shows, ``]`` and ``[`` look for: every failure code."""

OUTPUT_CHECK_SECONDS = 60.0
"""How often running tasks' output times are read: the runner rewrites its file once a minute."""

OUTPUT_CHECK_LIMIT = 12
"""Running tasks whose output times are read (the longest running first)."""

SEVERITY = {"success": "information", "failed": "error", "killed": "warning"}
"""Toast severity of a finished watched task, by status kind."""


class MainScreen(Screen[None]):
    """The dashboard."""

    AUTO_FOCUS = "TaskTable"
    """Focused as the screen is composed: else Textual focuses the search box, and on_mount
    moved the focus on, which built the footer once more for the box's keys at launch."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # In the footer, most wanted first: a narrow footer drops them from the end.
        Binding("slash", "filter_id", "Find", id="main.filter_id"),
        Binding("s", "status_filter", "Status", id="main.status_filter"),
        Binding("k", "kill", "Kill", id="main.kill"),
        Binding("F", "failed_only", "Failed", id="main.failed_only"),
        Binding("p", "project_filter", "Project", id="main.project_filter"),
        Binding("a", "toggle_active", "Active", id="main.toggle_active"),
        Binding("greater_than_sign", "sort_step(1)", "Sort", id="main.sort_next"),
        # Out of the footer; ? and ctrl+p list them.
        Binding("escape", "clear", "Clear", show=False, id="main.clear"),
        Binding(
            "right_square_bracket",
            "seek_failed(1)",
            "Next failed",
            show=False,
            id="main.next_failed",
        ),
        Binding(
            "left_square_bracket",
            "seek_failed(-1)",
            "Previous failed",
            show=False,
            id="main.prev_failed",
        ),
        Binding("less_than_sign", "sort_step(-1)", "Sort back", show=False, id="main.sort_prev"),
        Binding("r", "sort_reverse", "Reverse", show=False, id="main.sort_reverse"),
        Binding("asterisk", "mark_killable", "Mark killable", show=False, id="main.mark_killable"),
        Binding("u", "queue", "Queue", show=False, id="main.queue"),
        Binding("M", "fleet", "Fleet", show=False, id="main.fleet"),
        Binding("c", "copy", "Copy", show=False, id="main.copy"),
        Binding("e", "export", "Export", show=False, id="main.export"),
        Binding("w", "watch", "Watch", show=False, id="main.watch"),
        Binding("f5", "refresh", "Refresh", show=False, id="main.refresh"),
        Binding("o", "tail_mode", "Output", show=False, id="main.tail_mode"),
        Binding("f", "follow", "Follow new", show=False, id="main.follow"),
        Binding("z", "zoom", "Zoom", show=False, id="main.zoom"),
        Binding("P", "board", "Projects", id="main.board"),
        Binding("S", "sweep", "Sweep", show=False, id="main.sweep"),
        Binding("T", "failures", "Failures", show=False, id="main.failures"),
        Binding("K", "kill_view", "Kill view", show=False, id="main.kill_view"),
    ]

    HELP_SECTIONS: ClassVar[dict[str, tuple[str, ...]]] = {
        "Navigate": (
            "table.cursor_down",
            "table.cursor_up",
            "table.page_down",
            "table.page_up",
            "table.first",
            "table.last",
            "main.follow",
            "table.left",
            "table.right",
            "main.next_failed",
            "main.prev_failed",
            "table.open",
        ),
        "Filter and sort": (
            "main.filter_id",
            "main.clear",
            "main.status_filter",
            "main.failed_only",
            "main.project_filter",
            "main.toggle_active",
            "main.sort_next",
            "main.sort_prev",
            "main.sort_reverse",
        ),
        "Act on tasks": (
            "table.mark",
            "main.mark_killable",
            "main.kill",
            "main.kill_view",
            "main.watch",
            "main.queue",
            "main.fleet",
            "main.copy",
            "main.export",
            "main.refresh",
        ),
        "Panes": ("main.tail_mode", "main.zoom"),
        "Projects": ("main.board", "main.sweep", "main.failures"),
    }
    """The sections ``?`` lists first, in this order: binding ids of this screen and its table."""

    FOOTER_FIRST: ClassVar[tuple[str, ...]] = ("app.help", "app.quit")
    """Binding ids the footer shows first, so that a narrow terminal never cuts them."""

    FOOTER_PALETTE = 14
    """Columns the footer keeps for Textual's palette key, docked at its right end."""

    ESCAPE_TO_MINIMIZE = False
    """Esc keeps its meaning in a zoomed pane (close its search...); then it unzooms, as ``z``."""

    def __init__(
        self,
        context: ScreenContext,
        state: DashboardState,
        *,
        columns: list[Column],
        optional_columns: frozenset[str] = frozenset(),
        watcher: Watcher,
        output_dir: Path,
        foresight: Foresight | None = None,
        bell: bool = False,
        notifier: Notifier | None = None,
        key_missing: str | None = None,
    ) -> None:
        super().__init__()
        self.context = context
        """The app's source and settings, passed on to every screen this one opens; the
        palette's read-only switch replaces it (one way)."""
        self.state = state
        self.watcher = watcher
        """The watched tasks; the app's, so that they outlive this screen."""
        self.output_dir = output_dir
        """Where an export is written by default."""
        self.bell = bell
        """Ring the terminal bell when a watched task finishes."""
        self.notifier = notifier or Notifier(NotifyVia.NONE)
        """Writes a desktop notification per watched task's news."""
        self._progress_shown = ""
        """The tab progress sequence last written ("": none on show)."""
        self.foresight = foresight or Foresight(context.formatter.now(), stall_after=0)
        """Estimates and stalls of the held tasks (the app's: they outlive a screen)."""
        self.columns = columns
        self.optional_columns = optional_columns
        """Columns the table shows only where all fit (the default set's estimates)."""
        self.loop = PollLoop(
            state.tick,
            PollSchedule(context.policy, monotonic=self._monotonic),
            on_update=self._after_tick,
            on_progress=lambda _: self._update_bars(),
            monotonic=self._monotonic,
        )
        self.key_missing = key_missing
        """Why no API key is sent (config found none), said once at the start."""
        # The first refusal of a missing key is what key_missing said already.
        self._last_error: str | None = key_missing
        self._good_query: TaskQuery | None = None
        self._allowed_actions: tuple[tuple[str, bool | None], ...] = ()
        self._focus_before_zoom: Widget | None = None
        self._queue_view: screens.QueueScreen | None = None
        """The queue view opened last (built again at every refresh while it is open)."""
        self._search_poke: Timer | None = None
        """The refresh a search asks for once typing pauses."""
        self._typed_ahead: str | None = None
        """Keys typed after ``/`` before its box opened; None: ``/`` is not on its way."""
        self._outputs_due = 0.0
        """When (the screen's monotonic clock) running tasks' output times are next read."""

    def _monotonic(self) -> float:
        # The injected clock drives data age too, so a frozen clock freezes it.
        return self.context.formatter.now().timestamp()

    # -- layout --------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield StatusHeader(self.context.api_label, id="header")
        yield FilterBar(self.columns, id="filters")
        yield TaskTable(self.columns, render_cell, optional=self.optional_columns, id="tasks")
        source = self.state.source
        yield TotalsLine(
            source if isinstance(source, BatchSource) else None,
            self.context.formatter.now,
            id="totals",
        )
        yield TaskPanes(
            tz=self.context.formatter.tz,
            services=self.context.services,
            formatter=self.context.formatter,
            foresight=self.foresight,
            id="panes",
        )
        yield KeysFooter()

    def on_mount(self) -> None:
        table = self.query_one(TaskTable)
        self._sync_sort()
        table.focus()
        self._show()
        if self.key_missing is not None:
            self.notify(self.key_missing, title="No API key", severity="error", timeout=30)
        self._poll()
        every_second(self, self._second)

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        """The live bindings as the footer shows them: help and quit first, then what fits.

        Textual's footer cuts what does not fit mid-word; here a key that
        would not fit whole is left out of the footer (it still works, and
        ``?`` lists it).
        """
        bindings = super().active_bindings
        first = {
            key: active
            for key, active in bindings.items()
            if active.binding.id in self.FOOTER_FIRST
        }
        ordered = first | {key: active for key, active in bindings.items() if key not in first}
        room = self.size.width - self.FOOTER_PALETTE
        if room <= 0:
            return ordered  # not laid out yet
        shown: set[str] = set()
        fitted: dict[str, ActiveBinding] = {}
        for key, active in ordered.items():
            binding = active.binding
            if binding.show and binding.action not in shown:
                # A footer key is " key description ", as Textual draws it.
                width = len(self.app.get_key_display(binding)) + len(binding.description) + 3
                # The first key that does not fit ends the footer: the order is the priority.
                room = room - width if width <= room else -1
                if room >= 0:
                    shown.add(binding.action)
                else:
                    active = active._replace(binding=replace(binding, show=False))
            fitted[key] = active
        return fitted

    def on_resize(self) -> None:
        self.refresh_bindings()  # the footer's keys depend on the width

    @work(exclusive=True, group="poll", exit_on_error=False)
    async def _poll(self) -> None:
        await self.loop.run()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        restart_after_error(self, event, self._poll)

    # -- attributes down -------------------------------------------------------

    def _row_context(self, task: Task) -> RowContext:
        status = self.state.row_status(task)
        now = self.context.formatter.now()
        foresight = self.foresight
        return RowContext(
            now=now,
            status=status,
            status_alias=task.status_alias if status == task.status else None,
            tasks_ahead=self.state.queue_ahead.get(task.task_id),
            start=foresight.starts.get(task.task_id),
            finish=foresight.finishes.get(task.task_id),
            stalled=foresight.stalled(task, now),
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
        table = self.query_one(TaskTable)
        self.query_one(StatusHeader).update_status(
            self.loop.freshness,
            self._monotonic(),
            self.state.counts,
            follow=table.follow,
            new_above=table.new_above,
            money=self.state.fleet.money(),
        )
        window = self.state.window
        self.query_one(FilterBar).update_summary(
            window.query,
            window.total,
            len(self.query_one(TaskTable).marked),
            self.context.read_only,
            scope=search_scope(window),
        )
        self.query_one(TotalsLine).follow(window.query, self.state.counts, window.total)

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
        now = self.context.formatter.now()
        self.foresight.observe(
            self.state.held_tasks(), self.state.queue_ahead, now, self.state.fleet.facts()
        )
        self.foresight.record_counts(now, self.state.counts)
        header = self.query_one(StatusHeader)
        header.update_history(self.foresight.history.sparks(HISTORY_CELLS))
        if self._monotonic() >= self._outputs_due:
            self._outputs_due = self._monotonic() + OUTPUT_CHECK_SECONDS
            self._check_outputs(self.foresight.running_ids(OUTPUT_CHECK_LIMIT))
        self._show()
        queue = self._queue_view
        if queue is not None and queue.is_attached:
            queue.refreshed()  # beside the table, from the same refresh
        self.check_watched()
        self._show_progress()
        self._refresh_bindings_if_changed()
        if self.state.take_followup():
            self.loop.poke(now=True)
        if launch_gc.paused():
            self.call_after_refresh(launch_gc.resume)  # the first rows (or error) are painted
        message = self._error_message(error)
        if error is not None and message != self._last_error:
            title = trouble_title(freshness.connection)
            self.notify(message or "", title=title, severity="warning")
        self._last_error = message

    def _error_message(self, error: ApiError | None) -> str | None:
        if error is None:
            return None
        if isinstance(error, Unauthorized) and self.key_missing is not None:
            return self.key_missing  # the cause, rather than the server's word for it
        return str(error)

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
        if self.state.fleet.termination_due(self.context.formatter.now()):
            self.loop.poke(now=True)  # a group ends now: show it without waiting for the pace

    # -- messages up -------------------------------------------------------------

    @on(TaskTable.RangeShown)
    def _range_shown(self, event: TaskTable.RangeShown) -> None:
        if self.state.set_visible(event.first, event.last):
            self.loop.poke(now=True)
        self._update_bars()  # scrolled up to new rows: "N new ↑" goes

    @on(TaskTable.CursorMoved)
    def _cursor_moved(self, event: TaskTable.CursorMoved) -> None:
        self.state.select(event.task_id)
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
            task = await self.state.load_detail(task_id)
        except ApiError:
            return  # the poll loop reports API trouble; the next tick retries
        if self.state.take_selected(task):
            self.query_one(TaskPanes).show_task(task)

    @work(exclusive=True, group="outputs", exit_on_error=False)
    async def _check_outputs(self, task_ids: list[str]) -> None:
        """Read each running task's ``output_update.csv`` (its last line), for stalls.

        Polled, not followed: the runner rewrites the file in place. Over the
        live interface, whichever transport reaches the task; a task that has
        not written it yet, or cannot be reached, is asked again next time.
        """
        if self.context.services is None:
            return
        changed = False
        for task_id in task_ids:
            try:
                live = await self.context.services.live.live_for(task_id)
                if isinstance(live, NoLive):
                    return
                async with aclosing(live):
                    lines = await live.tail(OUTPUT_UPDATE_PATH, 1)
            except ApiError:
                continue
            changed |= self.foresight.note_output_update(task_id, lines)
        if changed:
            self.query_one(TaskTable).refresh_changed()

    @on(TailPanel.LiveLine)
    def _live_line(self, event: TailPanel.LiveLine) -> None:
        self.foresight.note_line(event.task_id, event.line, self.context.formatter.now())

    @on(TaskTable.OpenRequested)
    def _open(self, event: TaskTable.OpenRequested) -> None:
        self.open_detail(event.task_id)

    def open_detail(self, task_id: str) -> None:
        """Push the detail screen of ``task_id`` (from the table, or a machine of the fleet)."""
        self.app.push_screen(
            screens.TaskDetailScreen(self.context, task_id, foresight=self.foresight)
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
        if not event.is_printable:
            self._typed_ahead = None  # a key that is not text ends a burst
            return
        box = self.query_one("#filter-input", Input)
        if self.query_one(FilterBar).searching:
            if not box.has_focus:  # the box opened, its focus is still on its way
                box.replace(event.character or "", *box.selection)  # as the box would
                event.stop()
                event.prevent_default()
            return
        if event.key in self._search_keys():
            self._typed_ahead = ""  # the search opens once this key's binding runs
        elif self._typed_ahead is not None:
            # Typed in the same burst as "/" ("/plate" pasted or typed fast): this key
            # reaches the table before "/" has opened the box; it belongs to the search,
            # not to the table's bindings ("p" is Project).
            self._typed_ahead += event.character or ""
            event.stop()
            event.prevent_default()

    def _search_keys(self) -> set[str]:
        """The keys bound to ``/`` (as the keymap may have changed them)."""
        return {
            key
            for key, bindings in self._bindings.key_to_bindings.items()
            if any(binding.id == "main.filter_id" for binding in bindings)
        }

    # -- queries -------------------------------------------------------------------

    def _set_query(self, query: TaskQuery) -> None:
        old_sort = self.state.window.query.sort
        table = self.query_one(TaskTable)
        # Taken before the new view empties the rows: the cursor task may be
        # known only as a row (the first tick's detail not in yet).
        task = self.state.task(table.cursor_id) if table.cursor_id else None
        if self.state.set_query(query):
            if query.sort != old_sort and task is not None:
                table.hold_cursor = True
                self._locate(task, query)
            self._sync_sort()
            self._show()
            self.loop.poke(now=True)

    @work(exclusive=True, group="locate", exit_on_error=False)
    async def _locate(self, task: Task, query: TaskQuery) -> None:
        """Find the cursor task's row in the new order and fetch its page."""
        try:
            await self.state.fetch_row_of(task, query)
        except ApiError:
            pass  # the cursor falls back to a neighbour; the poll loop reports API trouble
        finally:
            self.query_one(TaskTable).hold_cursor = False
        if self.state.window.query == query:
            self._show()

    def _sync_sort(self) -> None:
        sort = self.state.window.query.sort
        first = sort[0] if sort else None
        self.query_one(TaskTable).set_sort(
            first.field if first else None, first.descending if first else False
        )

    def action_filter_id(self) -> None:
        ahead, self._typed_ahead = self._typed_ahead or "", None
        self.query_one(FilterBar).open_search(self.state.window.query.search, ahead)

    @on(Input.Changed, "#filter-input")
    def _search_typed(self, event: Input.Changed) -> None:
        """Each key re-filters the rows at hand; the server is asked once typing pauses."""
        query = replace(self.state.window.query, search=event.value)
        if not self.state.set_query(query):
            return
        self._show()
        if self._search_poke is not None:
            self._search_poke.stop()
        window = self.state.window
        if window.total is None or window.provisional:
            self.loop.poke(now=True)  # the scan: once, then keys re-filter what it holds
        elif window.searching and query.searched.id_word:
            # The server's id matches, once typing pauses rather than at every key.
            self._search_poke = self.set_timer(SEARCH_PAUSE, lambda: self.loop.poke(now=True))

    @on(Input.Submitted, "#filter-input")
    def _search_done(self) -> None:
        self.query_one(FilterBar).close_search()
        self.query_one(TaskTable).focus()

    def action_clear(self) -> None:
        """Esc: back from a zoomed pane; else close and clear the search; else drop the marks."""
        if self.maximized is not None:
            self.action_zoom()
            return
        bar = self.query_one(FilterBar)
        query = self.state.window.query
        if bar.searching or query.search:
            bar.close_search()
            self.query_one(Input).value = ""
            self._set_query(replace(query, search=""))
            self.query_one(TaskTable).focus()
        elif self.query_one(TaskTable).marked:
            self.query_one(TaskTable).clear_marks()

    def action_status_filter(self) -> None:
        def chosen(statuses: frozenset[str] | None) -> None:
            if statuses is not None:
                self._set_query(replace(self.state.window.query, statuses=statuses))

        self.app.push_screen(screens.StatusFilter(self.state.window.query.statuses), chosen)

    def action_project_filter(self) -> None:
        self._pick_project()

    @work(exclusive=True, group="projects", exit_on_error=False)
    async def _pick_project(self) -> None:
        try:
            projects = await self.state.source.list_projects()
        except ApiError as error:
            self.notify(str(error), title="Could not list projects", severity="error")
            return

        def chosen(choice: screens.ProjectChoice | None) -> None:
            if choice is not None:
                self._set_query(replace(self.state.window.query, project=choice.name))

        self.app.push_screen(
            screens.ProjectPicker(projects, self.state.window.query.project), chosen
        )

    def action_board(self) -> None:
        """``P``: the project board; Enter there filters the table to that project."""
        source = self.state.source
        if not isinstance(source, BatchSource):
            return

        def chosen(name: str | None) -> None:
            if name is not None:
                self._set_query(replace(self.state.window.query, project=name))

        self.app.push_screen(
            screens.BoardScreen(
                self.context,
                source,
                current=self.state.window.query.project,
                running_left=self.foresight.running_left,
            ),
            chosen,
        )

    def action_sweep(self) -> None:
        """``S``: the sweep table of the project the table is filtered to."""
        source, project = self.state.source, self.state.window.query.project
        if not isinstance(source, BatchSource) or project is None:
            return
        self.app.push_screen(screens.SweepScreen(self.context, source, project))

    def action_failures(self) -> None:
        """``T``: the failed tasks of the table's view, grouped by what went wrong."""
        source = self.state.source
        if not isinstance(source, BatchSource):
            return
        query = self.state.window.query
        scope = ", ".join(query.describe()) or "all tasks"
        self.app.push_screen(screens.FailuresScreen(self.context, source, query, scope=scope))

    def action_failed_only(self) -> None:
        """Every failure code and nothing else; again: every status."""
        query = self.state.window.query
        if query.statuses == FAILED_CODES:
            self._set_query(replace(query, statuses=frozenset()))
        else:
            # Failed tasks have finished: "active only" would hide them all.
            self._set_query(replace(query, statuses=FAILED_CODES, active=False))

    def action_seek_failed(self, step: int) -> None:
        """The cursor to the next (1) or previous (-1) failed task of the view."""
        self._seek_failed(step)

    @work(exclusive=True, group="seek", exit_on_error=False)
    async def _seek_failed(self, step: int) -> None:
        table = self.query_one(TaskTable)
        try:
            found = await seek_row(
                self.state,
                table.cursor,
                step,
                lambda task: self.state.row_status(task) in FAILED_CODES,
            )
        except ApiError as error:
            self.notify(str(error), title="Could not look for failed tasks", severity="error")
            return
        if found.index is not None:
            table.move_to(found.index)
            return
        where = "below" if step > 0 else "above"
        scope = f"in the {fmt.count(found.searched)} rows {where}"
        self.notify(
            f"No failed task {scope if not found.complete else where}.",
            timeout=3,
            markup=False,
        )

    def action_toggle_active(self) -> None:
        query = self.state.window.query
        self._set_query(replace(query, active=not query.active))

    def action_sort_step(self, step: int) -> None:
        fields = [c.sort_field for c in self.columns if c.sort_field is not None]
        self._set_query(self.state.window.query.sort_step(fields, step))

    def action_sort_reverse(self) -> None:
        sort = self.state.window.query.sort
        if sort:
            self._set_query(self.state.window.query.sorted_by(sort[0].field))

    def action_refresh(self) -> None:
        """F5: refresh at once, even while backing off (the header says so)."""
        self.loop.retry_now()
        self._update_bars()

    def action_follow(self) -> None:
        """``f``: new tasks take the cursor (on the first row), or it stays on its task."""
        table = self.query_one(TaskTable)
        table.set_follow(not table.follow)
        self._update_bars()

    def action_zoom(self) -> None:
        """``z``: the pane with focus (else the output) fills the screen; again: back."""
        if self.maximized is not None:
            self.minimize()
            if self._focus_before_zoom is not None and self._focus_before_zoom.is_attached:
                self._focus_before_zoom.focus()
            return
        self._focus_before_zoom = self.focused
        panes = self.query_one(TaskPanes)
        panes.zoom(panes.pane_of(self.focused))

    def action_tail_mode(self) -> None:
        """``o`` from anywhere: the tail pane cycles stdout, stderr, both."""
        for panel in self.query(TailPanel):
            panel.action_cycle_mode()

    # -- kill ------------------------------------------------------------------------

    def kill_targets(self) -> list[str]:
        """The marked killable tasks, or the cursor task if none is marked."""
        table = self.query_one(TaskTable)
        return self.state.killable(
            sorted(table.marked) if table.marked else [table.cursor_id or ""]
        )

    def kill_refusal(self) -> str | None:
        """Why ``k`` would kill nothing now, or None when it would kill something."""
        if self.context.read_only:
            return "Read-only mode: nothing is changed on the server."
        table = self.query_one(TaskTable)
        if table.marked:
            if self.kill_targets():
                return None
            return f"None of the {len(table.marked)} marked tasks can be killed now."
        task = self.cursor_task()
        if task is None:
            return "No task under the cursor."
        status = self.state.row_status(task)
        if is_killable(status):
            return None
        label = display_alias(status, task.status_alias if status == task.status else None)
        who = task_label(task, self.state.name_keys)
        if is_terminal(status, task.is_terminated if status == task.status else None):
            return f"{who} has finished ({label}): there is nothing to kill."
        if status == "pending-kill":
            return f"{who} is being killed already."
        return f"{who} is {label}: a kill does not apply in this state."

    def explain_refusal(self, action: str) -> bool:
        """Say why ``action`` cannot run now, when that is worth saying; whether it was said.

        The app asks when Textual skipped a key's action (``check_action``
        said no); the palette's kill lands in :meth:`action_kill`, which asks too.
        """
        reason = self.kill_refusal() if action == "kill" else None
        if reason is None:
            return False
        self.notify(reason, title="Nothing to kill", severity="warning", timeout=4, markup=False)
        return True

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in WRITE_ACTIONS and self.context.read_only:
            return False
        if action == "kill" and not self.kill_targets():
            return None
        if action == "queue" and self.query_one(TaskTable).cursor_id is None:
            return None
        if action == "sweep" and self.state.window.query.project is None:
            return None  # a sweep is one project's: filter to one first (p, or P then Enter)
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
        if self.explain_refusal("kill"):
            return
        targets = self.kill_targets()

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._kill(targets)

        self.app.push_screen(screens.ConfirmKill(targets, self.state.names_of(targets)), confirmed)

    @work(group="kill", exit_on_error=False)
    async def _kill(self, task_ids: list[str]) -> None:
        table = self.query_one(TaskTable)
        outcomes = await self.state.kill(task_ids, on_pending=self._show)
        failed = [o for o in outcomes if o.error is not None]
        names = self.state.names_of(o.task_id for o in failed)
        for outcome in failed:
            who = labelled(outcome.task_id, names[outcome.task_id])
            self.notify(
                outcome.error or "", title=f"Kill of {who} failed", severity="error", markup=False
            )
        done = len(outcomes) - len(failed)
        if done:
            self.notify(f"Kill requested for {done} task{'s' if done != 1 else ''}.")
        table.clear_marks()
        self._show()
        self.loop.poke(now=True)

    def action_kill_view(self) -> None:
        """``K``: every killable task the filters match, on every page, after a confirmation."""
        if self.context.read_only:
            self.notify("Read-only mode: nothing is changed on the server.", severity="warning")
            return
        self._kill_view(self.state.window.query)

    @work(exclusive=True, group="kill_view", exit_on_error=False)
    async def _kill_view(self, query: TaskQuery) -> None:
        # Only unfinished tasks can be killed: the server's active filter skips the finished pages.
        wanted = query.base
        wanted = wanted if wanted.active or wanted.statuses else replace(wanted, active=True)

        async def page(number: int) -> TaskPage:
            return (await self.state.fetch_page(wanted, number))[1]

        try:
            tasks = await fetch_all(page, self.state.window.page_size)
        except ApiError as error:
            self.notify(str(error), title="Could not list the view", severity="error")
            return
        # The API cannot search names or metadata: a ``/`` search applies here, to every page.
        search = query.searched
        targets = [
            task
            for task in tasks
            if is_killable(task.status) and (not search or search.matches(task))
        ]
        described = ", ".join(query.describe()) or "every task"
        if not targets:
            self.notify(
                f"Nothing in the view ({described}) can be killed.", title="Nothing to kill"
            )
            return
        count = len(targets)
        names = [
            f"{task_label(task, self.state.name_keys)}  {display_alias(task.status)}"
            for task in targets
        ]

        def confirmed(answer: str | None) -> None:
            if answer is not None and self.state.window.query == query:
                self._kill([task.task_id for task in targets])

        self.app.push_screen(
            screens.ConfirmAction(
                f"Kill {count} task{'s' if count != 1 else ''} of {described}?",
                names,
                confirm=f"Kill {count}",
                note="Every killable task the filters match, on every page; "
                "work in progress is lost.",
                danger=True,
            ),
            confirmed,
        )

    # -- queue -------------------------------------------------------------------------

    def action_queue(self) -> None:
        task_id = self.query_one(TaskTable).cursor_id
        if task_id is not None:

            async def load() -> QueueView:
                return await self.state.queue_of(task_id, self.context.formatter.now())

            def foresee(view: QueueView) -> StartEstimate | None:
                return self.foresight.start_of(
                    view.task,
                    self.state.held_tasks(),
                    view.tasks_ahead,
                    self.context.formatter.now(),
                )

            def rebuild(view: QueueView) -> QueueView:
                return self.state.queue_again(view, self.context.formatter.now())

            self._queue_view = screens.QueueScreen(
                self.context, load, foresee=foresee, rebuild=rebuild
            )
            self.app.push_screen(self._queue_view)

    # -- fleet -------------------------------------------------------------------------

    def action_fleet(self) -> None:
        """``M``: the machine groups behind the queue, their machines and what they cost."""
        self.app.push_screen(
            screens.FleetScreen(self.context, self.state, self.loop, open_task=self.open_detail)
        )

    # -- copy, export, watch ---------------------------------------------------------

    def cursor_task(self) -> Task | None:
        """The task under the table's cursor."""
        task_id = self.query_one(TaskTable).cursor_id
        return self.state.task(task_id) if task_id else None

    def action_copy(self) -> None:
        found = what_to_copy(self.focused, self.cursor_task())
        if found is None:
            self.notify("Nothing to copy here.", severity="warning", timeout=3)
            return
        copy_text(self.app, *found)

    def action_export(self) -> None:
        now = self.context.formatter.now()
        self.app.push_screen(screens.ExportDialog.of_view(self.state, self.output_dir, now))

    def action_watch(self) -> None:
        task = self.cursor_task()
        if task is None:
            return
        label = task_label(task, self.state.name_keys)
        if task.task_id not in self.watcher.watched and is_terminal(
            task.status, task.is_terminated
        ):
            self.notify(f"{label} has already finished.", timeout=3, markup=False)
            return
        watching = self.watcher.toggle(task)
        table = self.query_one(TaskTable)
        table.watched = self.watcher.is_watched
        table.refresh()
        verb = "Watching" if watching else "Stopped watching"
        self.notify(f"{verb} {label}", timeout=3, markup=False)

    def check_watched(self) -> None:
        """After a poll: announce watched tasks that finished; follow those off screen."""
        self.query_one(TaskTable).watched = self.watcher.is_watched
        held = self.state.held_tasks()
        self._announce(self.watcher.observe(held))
        missing = self.watcher.to_fetch(held)
        if missing:
            self._fetch_watched(missing)

    @work(exclusive=True, group="watch", exit_on_error=False)
    async def _fetch_watched(self, task_ids: list[str]) -> None:
        self._announce(self.watcher.observe(await self.state.fetch_each(task_ids)))

    def _show_progress(self) -> None:
        """The terminal tab's progress bar (OSC 9;4): how much of the projects the watch
        rules name is done; taken away once they are all done. Written only on change."""
        percent = completion(self.state.projects, self.watcher.rule_projects())
        if percent is None or percent >= 100:
            sequence = self.notifier.progress(None) if self._progress_shown else ""
            self._progress_shown = ""
        else:
            sequence = self.notifier.progress(percent)
            if sequence == self._progress_shown:
                return
            self._progress_shown = sequence
        if sequence:
            write_to_terminal(self.app, sequence)

    def _announce(self, arrivals: list[Arrival]) -> None:
        """A toast and a desktop notification per watched task's news, and one bell if asked."""
        for arrival in arrivals:
            title = "Task finished" if arrival.rule is None else "Watch rule"
            self.notify(
                arrival.sentence,
                title=title,
                severity=SEVERITY.get(arrival.kind, "information"),  # type: ignore[arg-type]
                timeout=10,
                markup=False,
            )
            if self.notifier.via is not NotifyVia.BELL:
                # The notifier sanitizes the text: a task's id or label holds no escape.
                sequence = self.notifier.notification(
                    f"inductiva-top: {title}", arrival.sentence, ident=f"task-{arrival.task_id}"
                )
                write_to_terminal(self.app, sequence)
        if arrivals and (self.bell or self.notifier.via is NotifyVia.BELL):
            self.app.bell()
