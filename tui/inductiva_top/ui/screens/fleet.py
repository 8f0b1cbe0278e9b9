"""``M``: the fleet behind the queue: every machine group, its machines, what it costs.

One block per machine group the API lists, then the groups this dashboard
saw end (marked so): status, machine type, spot or on-demand, each machine
with the task it runs (Enter opens that task's detail screen) or how long it
has been idle, the idle limit and a live countdown to auto-termination, what
the group costs per hour now and has cost so far, and how many tasks wait
for it. A group idle for more than half its idle limit, and an elastic group
at its most machines with a growing queue, are marked.

Nothing here fetches: the main screen's poll loop refreshes the fleet with
every tick (:class:`~inductiva_top.monitor.fleet.tracker.FleetState`); this
screen redraws from it once a second, so countdowns tick between refreshes,
and its header shows the same freshness (stale, waiting, offline) and money
meter as the table's. Every name from the API is sanitized and shown as text.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from inductiva_top.api.models import Task
from inductiva_top.monitor import fmt
from inductiva_top.monitor.fleet.groups import GroupView, MachineView
from inductiva_top.monitor.fleet.money import Money
from inductiva_top.monitor.names import DEFAULT_NAME_KEYS, task_name
from inductiva_top.monitor.poller import PollLoop
from inductiva_top.monitor.sanitize import sanitize_name
from inductiva_top.monitor.state import DashboardState
from inductiva_top.monitor.statuses import display_alias, status_info
from inductiva_top.ui.columns import short_id_length
from inductiva_top.ui.context import ScreenContext
from inductiva_top.ui.ticks import every_second
from inductiva_top.ui.widgets.footer import KeysFooter
from inductiva_top.ui.widgets.header import StatusHeader

__all__ = ["FleetList", "FleetScreen", "fleet_summary", "group_text", "machine_text"]

GROUP_SYMBOLS = {
    "started": "●",
    "registered": "○",
    "starting": "◌",
    "shutting_down": "◐",
    "terminated": "■",
    "start_failed": "✘",
    "shutdown_failed": "✘",
}
"""A symbol per group status, so it reads without colour; others show ``?``."""

MACHINE_LINE_SAMPLE = "    ▸ machine 0123abcd  runs   ▶ Finalizing 59m 59s  a-project-name"
"""A machine line without its task id, long as most are: the room whole ids need beside it."""

TASK_PREFIX = "task:"
"""Option ids of machines that run a task: the prefix, then the task id."""


Styles = Callable[[str], Style]
"""The style of one of :class:`FleetList`'s component classes, by its short name."""


def _machines(view: GroupView) -> str:
    count = view.num_vms if view.num_vms is not None else len(view.machines)
    text = fmt.plural(count, "machine")
    if view.elastic:
        most = f" of at most {view.max_vms}" if view.max_vms is not None else ""
        text += f"{most}, elastic"
    return text


def _idle_line(view: GroupView) -> str:
    limit = (
        f"idle limit {fmt.duration(view.idle_limit)}"
        if view.idle_limit is not None
        else "no idle limit"
    )
    parts = [limit]
    if view.busy:
        parts.append(f"{view.busy} of {fmt.plural(len(view.machines), 'machine')} busy")
    elif view.idle_seconds is not None:
        parts.append(f"all idle for {fmt.duration(view.idle_seconds)}")
    if view.terminates_in is not None:
        # Rounded up, as countdowns are: idle 3s + terminates in 2m 57s = the 3m limit.
        due = fmt.duration(math.ceil(view.terminates_in))
        parts.append("terminating now" if view.terminates_in <= 0 else f"terminates in {due}")
    return " · ".join(parts)


def group_text(view: GroupView, now: datetime, styles: Styles) -> Text:
    """A group's block: name and status, then its cost and queue, then idle facts and marks."""
    name = sanitize_name(view.name)
    status = sanitize_name(view.status or "unknown")
    symbol = GROUP_SYMBOLS.get(view.status or "", "?")
    text = Text()
    text.append(name, style=styles("name"))
    if view.ended:
        when = f" {fmt.ago(view.ended_at, now)}" if view.ended_at is not None else ""
        word = status if view.status in ("terminated", "shutting_down") else "no longer listed"
        text.append(f"  {symbol} {word}{when}", style=styles("ended"))
    else:
        text.append(f"  {symbol} {status}", style=styles("status"))
    kind = [sanitize_name(view.machine_type or "") or fmt.MISSING]
    if view.spot is not None:
        kind.append("spot" if view.spot else "on-demand")
    if not view.ended:
        kind.append(_machines(view))
    text.append("  " + " · ".join(kind), style="dim")
    money = []
    if not view.ended:
        rate = fmt.money(view.rate) + "/h now" if view.rate is not None else "rate not given"
        money.append(rate)
    if view.cost is not None:
        money.append(f"{fmt.cost(view.cost)} {'in all' if view.ended else 'so far'}")
    money.append(f"queue: {view.queue}")
    text.append("\n  " + " · ".join(money))
    if view.ended:
        return text
    text.append("\n  " + _idle_line(view))
    if view.idle_marked:
        text.append("\n  ⚠ idle for more than half its idle limit", style=styles("mark"))
    if view.growing_at_max:
        most = view.max_vms if view.max_vms is not None else view.num_vms
        text.append(
            f"\n  ⚠ at its most machines ({most}) and its queue grows", style=styles("mark")
        )
    return text


def machine_text(
    machine: MachineView,
    task: Task | None,
    formatter: fmt.Formatter,
    *,
    id_length: int = 0,
    name_keys: Sequence[str] = DEFAULT_NAME_KEYS,
) -> Text:
    """One machine: a short id, then the task it runs (its name, status) or its idle time.

    ``id_length`` cuts the task id to that many characters (0: whole), as the
    table's short ids do; the line never wraps (a narrow screen cuts its end).
    The task is named as everywhere else, by the first of ``name_keys`` present.
    """
    short = sanitize_name(machine.uuid or "")[:8] or fmt.MISSING
    text = Text(f"    ▸ machine {short}  ", no_wrap=True, overflow="ellipsis")
    if machine.task_id is None:
        idle = fmt.duration(machine.idle_seconds) if machine.idle_seconds is not None else ""
        bound = "≥ " if idle and not machine.idle_exact else ""
        text.append(f"idle {bound}{idle}".rstrip())
        return text
    task_id = sanitize_name(machine.task_id)
    text.append(f"runs {task_id[:id_length] if id_length else task_id}", style="bold")
    name = task_name(task, name_keys)
    if name:
        text.append(f"  {name}", style="bold")
    if task is not None:
        info = status_info(task.status)
        alias = display_alias(task.status, task.status_alias)
        text.append(f"  {info.symbol} {alias}")
        if fmt.run_time(task, formatter.now()) is not None:  # none yet while it fetches inputs
            text.append(f" {formatter.run_time(task)}")
        if task.project:
            text.append(f"  {sanitize_name(task.project)}")
    return text


def fleet_summary(views: Sequence[GroupView], money: Money | None) -> str:
    """The line above the blocks: how many groups and machines, and the money meter in full."""
    live = [view for view in views if not view.ended]
    machines = sum(len(view.machines) for view in live)
    busy = sum(view.busy for view in live)
    parts = [
        f"{fmt.plural(len(live), 'machine group')} up",
        f"{fmt.plural(machines, 'machine')}, {busy} busy",
    ]
    if money is not None:
        parts.append(money.variants()[0])
    return " · ".join(parts)


class FleetList(OptionList):
    """The groups' blocks (not selectable) and their machines (Enter opens a machine's task)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select", "Open task", id="fleet.open"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "fleet--name",
        "fleet--status",
        "fleet--ended",
        "fleet--mark",
    }

    DEFAULT_CSS = """
    FleetList { height: 1fr; border: none; padding: 0 1; }
    FleetList:focus { border: none; }
    FleetList > .option-list--option-disabled { color: $foreground; }
    FleetList > .fleet--name { text-style: bold; color: $text-primary; }
    FleetList > .fleet--status { color: $text-success; }
    FleetList > .fleet--ended { color: $text-muted; }
    FleetList > .fleet--mark { color: $text-warning; text-style: bold; }
    """

    def style_of(self, name: str) -> Style:
        """The rich style of component class ``fleet--<name>``."""
        return self.get_component_rich_style(f"fleet--{name}", partial=True)

    def show(self, options: list[Option]) -> None:
        """Show ``options``, the cursor kept on the same option (by id) while it is there."""
        ids = [option.id for option in self.options]
        if ids == [option.id for option in options]:
            for index, option in enumerate(options):
                self.replace_option_prompt_at_index(index, option.prompt)
            return
        highlighted = self.highlighted_option
        self.set_options(options)
        keep = highlighted.id if highlighted is not None else None
        ids = [option.id for option in options]
        if keep in ids:
            self.highlighted = ids.index(keep)
        else:
            self.highlighted = next(
                (index for index, option in enumerate(options) if not option.disabled), None
            )


class FleetScreen(Screen[None]):
    """The machine groups; ``M`` or Esc goes back, Enter on a machine opens its task."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,M,q", "app.pop_screen", "Back", id="fleet.back"),
        Binding("f5", "refresh", "Refresh", id="fleet.refresh"),
    ]

    HELP_GROUP = "Fleet"

    DEFAULT_CSS = """
    FleetScreen #fleet-summary { width: 100%; height: auto; padding: 0 1; text-style: bold; }
    """

    def __init__(
        self,
        context: ScreenContext,
        state: DashboardState,
        loop: PollLoop,
        *,
        open_task: Callable[[str], None],
    ) -> None:
        super().__init__()
        self.context = context
        self.state = state
        self.loop = loop
        self._open_task = open_task

    def compose(self) -> ComposeResult:
        yield StatusHeader(self.context.api_label, id="header")
        yield Label("", id="fleet-summary")
        yield FleetList(id="fleet-list")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one(FleetList).focus()
        self.redraw()
        # Once laid out, the list knows its width (whole or short task ids).
        self.call_after_refresh(self.redraw)
        every_second(self, self.redraw)

    def on_resize(self) -> None:
        self.redraw()

    def on_key(self) -> None:
        self.loop.poke()  # someone is looking: keep the normal pace

    def redraw(self) -> None:
        """Draw the fleet as the last refresh left it, with the clock's time now."""
        now = self.context.formatter.now()
        state = self.state
        fleet = state.fleet
        money = fleet.money()
        self.query_one(StatusHeader).update_status(
            self.loop.freshness, now.timestamp(), state.counts, money=money
        )
        views = fleet.views(state.active, complete=state.active_complete, now=now)
        summary = self.query_one("#fleet-summary", Label)
        fleet_list = self.query_one(FleetList)
        if not fleet.loaded:
            why = f"The API does not list machine groups: {fleet.unavailable}"
            summary.update(Text(why if fleet.unavailable else "Waiting for the first refresh…"))
            fleet_list.show([])
            return
        summary.update(Text(fleet_summary(views, money)))
        options: list[Option] = []
        id_length = self._id_length(views)
        for view in views:
            block = group_text(view, now, fleet_list.style_of)
            options.append(Option(block, id=f"group:{view.name}", disabled=True))
            for index, machine in enumerate(view.machines):
                task = state.task(machine.task_id) if machine.task_id else None
                option_id = (
                    f"{TASK_PREFIX}{machine.task_id}"
                    if machine.task_id
                    else f"idle:{view.name}:{machine.uuid or index}"
                )
                line = machine_text(
                    machine,
                    task,
                    self.context.formatter,
                    id_length=id_length,
                    name_keys=state.name_keys,
                )
                options.append(Option(line, id=option_id))
        if not views:
            options.append(Option(Text("No machine groups are running."), disabled=True))
        fleet_list.show(options)

    def _id_length(self, views: Sequence[GroupView]) -> int:
        """0 (whole task ids) when the list is wide enough, else the table's short-id length."""
        ids = [m.task_id for view in views for m in view.machines if m.task_id is not None]
        if not ids:
            return 0
        state = self.state
        # The machine line's words besides the id and the name, its status and a project name.
        widest = max(len(i) + len(task_name(state.task(i), state.name_keys) or "") + 2 for i in ids)
        room = self.query_one(FleetList).scrollable_content_region.width
        if not room or len(MACHINE_LINE_SAMPLE) + widest <= room:
            return 0
        return short_id_length(ids)

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        option_id = event.option.id or ""
        if option_id.startswith(TASK_PREFIX):
            self._open_task(option_id.removeprefix(TASK_PREFIX))
        else:
            self.notify("This machine is idle: it runs no task.", timeout=3)

    def action_refresh(self) -> None:
        """F5: refresh now, as on the table."""
        self.loop.retry_now()
        self.redraw()
