"""A running task's resources line: CPU and memory sparklines, and how old its output is.

``CPU ▂▃▅▇█ 63%  MEM ▃▃▃▃ 12%  last output 3m ago``: from the task-runner's
``system_metrics.csv`` (followed as it grows) and ``output_update.csv`` (its
one line polled every :attr:`~inductiva_top.api.live.LiveTask.output_update_seconds`,
as often as it is written: the runner rewrites it in place, a follow would see
nothing new), both read through the task's :class:`~inductiva_top.api.live.LiveTask`, whichever
transport reaches it. What the output's time says goes to the
:class:`~inductiva_top.monitor.foresight.tracker.Foresight` too (stalls).

Attributes down: :attr:`UsageLine.selected` is the task shown; the line is
hidden for a task that is not computing. A failure is said on the line while
it lasts and asked again as the transport advises. The line is redrawn only
when its text changes (a new sample, the age's next step: :func:`~inductiva_top.monitor.fmt.age`),
not every second.
"""

from __future__ import annotations

import asyncio
from contextlib import aclosing

from rich.text import Text
from textual import work
from textual.reactive import reactive
from textual.widgets import Static

from inductiva_top.api.errors import ApiError
from inductiva_top.api.live import LiveAccess, LiveTask, NoLive
from inductiva_top.api.models import Task, TaskWithStatusHistory
from inductiva_top.monitor import fmt
from inductiva_top.monitor.foresight.resources import (
    METRICS_PATH,
    OUTPUT_UPDATE_PATH,
    MetricsSeries,
)
from inductiva_top.monitor.foresight.sparkline import sparkline
from inductiva_top.monitor.foresight.tracker import Foresight
from inductiva_top.monitor.poller import PollPolicy
from inductiva_top.ui.ticks import every_second

__all__ = ["SPARK_MAX", "UsageLine", "usage_text"]

SPARK_MAX = 24
"""Cells of each sparkline at most (one per sample, newest on the right)."""

_FIXED = len("CPU  100%  MEM  100%  last output just now")
"""Cells of the line besides its two sparklines."""


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}%"


def usage_text(series: MetricsSeries, output_age: float | None, width: int) -> Text:
    """The line for ``width`` cells: sparklines sized to fit, then the output's age.

    Where the parts do not fit on one line (a narrow pane), each starts a line of its own.
    """
    spark = max(4, min(SPARK_MAX, (width - _FIXED) // 2))
    latest = series.latest
    parts: list[Text] = []
    for label, values, value, style in (
        ("CPU", series.cpu(), latest.cpu_percent if latest else None, "cyan"),
        ("MEM", series.memory(), latest.memory_percent if latest else None, "magenta"),
    ):
        part = Text()
        part.append(label + " ", style="bold")
        part.append(sparkline(values, spark, high=100.0), style=style)
        part.append(f" {_percent(value)}")
        parts.append(part)
    if output_age is not None:
        parts.append(Text(f"last output {fmt.age(output_age)}", style="dim"))
    one_line = sum(part.cell_len for part in parts) + 2 * (len(parts) - 1) <= width
    return Text("  " if one_line else "\n", no_wrap=True, overflow="ellipsis").join(parts)


class UsageLine(Static):
    """The selected running task's resources (see the module doc)."""

    DEFAULT_CSS = "UsageLine { height: auto; } UsageLine.-none { display: none; }"

    selected: reactive[TaskWithStatusHistory | Task | None] = reactive(None)

    def __init__(
        self,
        access: LiveAccess | None,
        foresight: Foresight | None,
        formatter: fmt.Formatter,
        *,
        policy: PollPolicy | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id, classes="-none")
        self.access = access
        """How the task is reached live (None: nothing is followed)."""
        self.policy = policy or PollPolicy()
        self.foresight = foresight
        self.formatter = formatter
        self.series = MetricsSeries()
        """The followed task's samples (new for each task)."""
        self.trouble = ""
        """Why the files cannot be read right now (said while it lasts)."""
        self._task_id: str | None = None

    def on_mount(self) -> None:
        every_second(self, self._redraw)

    def watch_selected(self) -> None:
        task = self.selected
        computing = task is not None and task.status == "computation-started"
        task_id = task.task_id if task is not None and computing else None
        if task_id == self._task_id:
            return
        self._task_id = task_id
        self.series = MetricsSeries()
        self.trouble = ""
        self.set_class(task_id is None or self.access is None, "-none")
        if task_id is None or self.access is None:
            self.workers.cancel_group(self, "usage")
            return
        self._follow(task_id)
        self._redraw()

    @work(exclusive=True, group="usage", exit_on_error=False)
    async def _follow(self, task_id: str) -> None:
        assert self.access is not None
        while True:
            live: LiveTask | NoLive | None = None
            try:
                live = await self.access.live_for(task_id)
                if isinstance(live, NoLive):
                    self._say(live.message)
                    return
                async with aclosing(live):
                    polling = asyncio.create_task(self._outputs(live))
                    try:
                        await self._metrics(live)
                    finally:
                        polling.cancel()
                return  # the task stopped running: the follow ended
            except ApiError as error:
                self._say(f"resources: {error}")
                wait = live.retry_after(error) if isinstance(live, LiveTask) else None
                if wait is None:
                    return
                await asyncio.sleep(max(wait, self.policy.interval))

    async def _metrics(self, live: LiveTask) -> None:
        # Cancelling this worker closes the stream (and the live task's connections).
        async for batch in live.follow(METRICS_PATH, SPARK_MAX):
            if self.series.feed_lines(batch.lines):
                self.trouble = ""
                self._redraw()

    async def _outputs(self, live: LiveTask) -> None:
        while True:
            try:
                lines = await live.tail(OUTPUT_UPDATE_PATH, 1)
            except ApiError:
                lines = []  # not written yet (the runner's first check is a period in)
            if self.foresight is not None and self._task_id is not None:
                self.foresight.note_output_update(self._task_id, lines)
            self._redraw()
            await asyncio.sleep(live.output_update_seconds)

    def _say(self, text: str) -> None:
        self.trouble = text
        self._redraw()

    def _redraw(self) -> None:
        if self._task_id is None:
            return
        if self.trouble and not self.series.samples:
            content = Text(self.trouble, style="dim")
        else:
            age = None
            if self.foresight is not None:
                age = self.foresight.output_age(self._task_id, self.formatter.now())
            content = usage_text(self.series, age, self.size.width or 80)
        if content != self.content:
            self.update(content)
