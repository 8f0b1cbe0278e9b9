"""The main screen's everyday keys: copy (``c``), export (``e``), watch (``w``).

:class:`HomeActions` is the base of :class:`~inductiva_top.ui.screens.main.MainScreen`
so these bindings sit on the dashboard itself (and show in its footer and
help) while their code stays out of the screen's module. It relies on the
screen's ``state`` and ``formatter`` and on the app's :class:`Watcher`.

Watching: after each poll the screen calls :meth:`HomeActions.check_watched`;
tasks that reached a terminal state get a toast (and the terminal bell when
``notify`` is on). Watched tasks the table has not loaded are fetched one by
one, so a watched task that scrolled away is still followed.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, ClassVar, cast

from textual import work
from textual.binding import Binding, BindingType
from textual.screen import Screen

from inductiva_top.api.errors import ApiError
from inductiva_top.api.models import Task, TaskPage
from inductiva_top.monitor import fmt
from inductiva_top.monitor.export import default_export_path
from inductiva_top.monitor.state import DashboardState
from inductiva_top.monitor.statuses import is_terminal
from inductiva_top.monitor.watch import Arrival, Watcher
from inductiva_top.ui.clipboard import copy_text, what_to_copy
from inductiva_top.ui.screens.export import ExportDialog
from inductiva_top.ui.widgets.task_table import TaskTable

if TYPE_CHECKING:
    from inductiva_top.ui.app import InductivaTopApp

__all__ = ["HomeActions", "announce"]

SEVERITY = {"success": "information", "failed": "error", "killed": "warning"}
"""Toast severity by status kind."""

WATCH_FETCH_LIMIT = 10
"""Most off-screen watched tasks fetched in one poll."""


def announce(screen: Screen[None], arrivals: list[Arrival], *, bell: bool) -> None:
    """A toast per task that finished, and one bell if asked."""
    for arrival in arrivals:
        screen.notify(
            f"{arrival.task_id} is {arrival.label}",
            title="Task finished",
            severity=SEVERITY.get(arrival.kind, "information"),  # type: ignore[arg-type]
            timeout=10,
            markup=False,
        )
    if arrivals and bell:
        screen.app.bell()


class HomeActions(Screen[None]):
    """Copy, export and watch for the dashboard screen."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # Out of the footer (it is full at 80 columns); ? and ctrl+p list them.
        Binding("c", "copy", "Copy", show=False, id="main.copy"),
        Binding("e", "export", "Export", show=False, id="main.export"),
        Binding("w", "watch", "Watch", show=False, id="main.watch"),
    ]

    state: DashboardState
    formatter: fmt.Formatter

    @property
    def _home_app(self) -> InductivaTopApp:
        return cast("InductivaTopApp", self.app)

    @property
    def watcher(self) -> Watcher:
        """The app's watch list (it outlives a screen)."""
        return self._home_app.watcher

    def cursor_task(self) -> Task | None:
        """The task under the table's cursor."""
        task_id = self.query_one(TaskTable).cursor_id
        return self.state.task(task_id) if task_id else None

    # -- copy ------------------------------------------------------------------------

    def action_copy(self) -> None:
        found = what_to_copy(self.focused, self.cursor_task())
        if found is None:
            self.notify("Nothing to copy here.", severity="warning", timeout=3)
            return
        copy_text(self.app, *found)

    # -- export ----------------------------------------------------------------------

    def action_export(self) -> None:
        query = self.state.window.query
        state = self.state

        async def fetch(page: int) -> TaskPage:
            return (await state.fetch_page(query, page))[1]

        described = ", ".join(query.describe()) or "every task"
        total = self.state.window.total
        if total is not None:
            described += f" · {total} task{'s' if total != 1 else ''}"
        output_dir = self._home_app.config.output_dir
        self.app.push_screen(
            ExportDialog(
                fetch,
                self.state.window.page_size,
                default_path=default_export_path(output_dir, "csv", self.formatter.now()),
                describe=described,
            )
        )

    # -- watch -----------------------------------------------------------------------

    def action_watch(self) -> None:
        task = self.cursor_task()
        if task is None:
            return
        if task.task_id not in self.watcher.watched and is_terminal(
            task.status, task.is_terminated
        ):
            self.notify(f"{task.task_id} has already finished.", timeout=3, markup=False)
            return
        watching = self.watcher.toggle(task)
        table = self.query_one(TaskTable)
        table.watched = self.watcher.is_watched
        table.refresh()
        verb = "Watching" if watching else "Stopped watching"
        self.notify(f"{verb} {task.task_id}", timeout=3, markup=False)

    def check_watched(self) -> None:
        """After a poll: announce watched tasks that finished; follow those off screen."""
        table = self.query_one(TaskTable)
        table.watched = self.watcher.is_watched
        held = list(self.state.window.loaded_tasks())
        if self.state.selected is not None:
            held.append(self.state.selected)
        held.extend(self.state.active)
        announce(self, self.watcher.observe(held), bell=self._home_app.config.notify)
        known = {task.task_id for task in held}
        missing = sorted(self.watcher.pending() - known)[:WATCH_FETCH_LIMIT]
        if missing:
            self._fetch_watched(missing)

    @work(exclusive=True, group="watch", exit_on_error=False)
    async def _fetch_watched(self, task_ids: list[str]) -> None:
        fetched: list[Task] = []
        for task_id in task_ids:
            with contextlib.suppress(ApiError):  # the poll loop reports API trouble
                fetched.append(await self.state.source.get_task(task_id))
        announce(self, self.watcher.observe(fetched), bell=self._home_app.config.notify)
