"""The state-timeline pane: the outcome first, then one bar per state on a shared time axis.

Attributes down: :attr:`TimelineView.selected` is bound to the cursor task
(a ``TaskWithStatusHistory`` when it has one, else a plain ``Task`` shows
only its status). The layout is :mod:`inductiva_top.monitor.task.timeline`;
this widget only draws it, as Rich ``Text`` built from sanitized strings
(never markup). The top line says where the task stands and how long it
took; for a task that did not succeed the reason follows in full (wrapped),
so neither is below the fold. While the task is not terminal the open state
grows once a second; for a running task with a finish estimate
(:class:`~inductiva_top.monitor.foresight.tracker.Foresight`) a line under
the top one says when it should end and from what, and a dashed bar runs from
the open state to the predicted end (the far end of the estimate's range).
"""

from __future__ import annotations

import math
import textwrap
from datetime import datetime

from rich.text import Span as TextSpan
from rich.text import Text
from textual.geometry import Region, Size
from textual.reactive import reactive
from textual.strip import Strip
from textual.style import Style as VisualStyle
from textual.visual import Visual, visualize
from textual.widget import Widget

from inductiva_top.api.models import Task, TaskWithStatusHistory
from inductiva_top.monitor import fmt
from inductiva_top.monitor.foresight.estimates import FinishEstimate
from inductiva_top.monitor.foresight.tracker import Foresight, left_of
from inductiva_top.monitor.foresight.wording import ends_sentence
from inductiva_top.monitor.statuses import StatusKind, display_alias, status_info
from inductiva_top.monitor.task.timeline import Outcome, Span, Timeline, bar_cells, build_timeline
from inductiva_top.ui.ticks import every_second

__all__ = ["COMPACT_BELOW", "PREDICTED", "TimelineView", "predicted_end", "render_timeline"]

COMPACT_BELOW = 48
"""Below this width the timeline drops the bars and lists states with durations."""

KIND_STYLES: dict[StatusKind, str] = {
    StatusKind.WAITING: "yellow",
    StatusKind.RUNNING: "cyan",
    StatusKind.SUCCESS: "green",
    StatusKind.FAILED: "red",
    StatusKind.KILLED: "magenta",
    StatusKind.OTHER: "white",
}

PREDICTED = "┄"
"""The dashed bar from now to a running task's predicted end."""

_LABEL_WIDTH = 20
_DURATION_WIDTH = 11
_RESUBMIT = "↻ "


_FINE_STATUSES = frozenset({"", "OK", "RUNNING", "SUCCESS", "STARTED"})


def _went_wrong(span: Span) -> bool:
    """An operation whose status says it failed (status spelled out under it)."""
    return span.depth == 1 and span.status.upper() not in _FINE_STATUSES


def _what_went_wrong(span: Span) -> Text:
    if span.killed:
        return Text("      killed", style=KIND_STYLES[StatusKind.KILLED])
    return Text(f"      {span.status}", style="red")


def _label(span: Span) -> str:
    if span.depth == 0:
        prefix = _RESUBMIT if span.resubmission else f"{span.kind.symbol} "
        return prefix + span.label
    return "  └ " + span.label


def _fit(text: str, width: int) -> str:
    if width <= 0:
        return ""
    if len(text) <= width:
        return text.ljust(width)
    return text[: width - 1] + "…"


def _seconds(seconds: float) -> str:
    # Tenths under ten seconds: the steps of a quick task are that short.
    return f"{seconds:.1f}s" if seconds < 10 else fmt.duration(seconds)


def _duration(span: Span) -> str:
    return _seconds(span.seconds) + ("…" if span.open else "")


def _header(timeline: Timeline, width: int, ends: str = "") -> list[Text]:
    """The outcome and how long it took, then the reason, wrapped to ``width``; ``ends``:
    when a running task should end."""
    outcome = timeline.outcome
    text = Text()
    if outcome is not None:
        text.append(
            f"{outcome.kind.symbol} {outcome.label}", style=f"bold {KIND_STYLES[outcome.kind]}"
        )
        text.append(" · ", style="dim")
    if timeline.live:
        text.append(_seconds(timeline.total))
        text.append(" so far", style="dim")
    else:
        text.append("after " if outcome is not None else "total ", style="dim")
        text.append(_seconds(timeline.total))
    if timeline.resubmissions:
        times = "once" if timeline.resubmissions == 1 else f"{timeline.resubmissions} times"
        text.append(f"  {_RESUBMIT}resubmitted {times}", style="bold yellow")
    lines = [text, *_reason(outcome, width)]
    if ends:
        rows = textwrap.wrap("ends " + ends, max(8, width - 2), break_on_hyphens=False)
        lines.extend(Text("  " + row, style="dim") for row in rows)
    return lines


def _reason(outcome: Outcome | None, width: int) -> list[Text]:
    if outcome is None or not outcome.reason:
        return []
    style = KIND_STYLES[outcome.kind]
    rows = textwrap.wrap(outcome.reason, max(8, width - 2), break_on_hyphens=False)
    return [Text("  " + row, style=style) for row in rows]


def _row(span: Span, timeline: Timeline, width: int, predicted: float | None = None) -> Text:
    style = KIND_STYLES[span.kind]
    text = Text(no_wrap=True, overflow="ellipsis")
    compact = width < COMPACT_BELOW
    label_width = min(_LABEL_WIDTH, max(8, width - _DURATION_WIDTH - 1))
    label_style = "bold yellow" if span.resubmission else (style if span.depth == 0 else "dim")
    text.append(_fit(_label(span), label_width), style=label_style)
    if compact:
        text.append(" " + _duration(span), style="dim" if span.depth else "")
        return text
    axis = max(1, width - label_width - _DURATION_WIDTH - 2)
    scale = max(timeline.total, predicted or 0.0)
    first, length = bar_cells(span, scale, axis)
    glyph = "█" if span.depth == 0 else "▬"
    bar_style = style if span.depth == 0 else f"dim {style}"
    if _went_wrong(span):
        bar_style = KIND_STYLES[StatusKind.KILLED] if span.killed else "red"
    text.append(" " + " " * first)
    text.append(glyph * length, style=bar_style)
    dashes = 0
    if predicted is not None and span.open and span.depth == 0 and scale > 0:
        dashes = max(0, min(axis, math.ceil(predicted / scale * axis)) - first - length)
        text.append(PREDICTED * dashes, style=f"dim {style}")
    text.append(" " * (axis - first - length - dashes))
    text.append(" " + _duration(span).rjust(_DURATION_WIDTH - 1), style="dim" if span.depth else "")
    return text


def predicted_end(
    timeline: Timeline, estimate: FinishEstimate | None, now: datetime
) -> float | None:
    """Seconds from the timeline's origin to the far end of ``estimate``, or ``None``."""
    if estimate is None or estimate.span is None or not timeline.live:
        return None
    return timeline.total + left_of(estimate.span, estimate.at, now).high


def render_timeline(
    timeline: Timeline,
    width: int,
    *,
    ends: str = "",
    predicted: float | None = None,
) -> Text:
    """The whole pane as one ``Text``: a header, then a line per row.

    ``ends``: when a running task should end, in words; ``predicted``: its end
    in seconds from the origin (the dashed bar's end).
    """
    lines = _header(timeline, width, ends)
    for span in timeline.rows:
        lines.append(_row(span, timeline, width, predicted))
        if span.detail:
            detail = Text("      $ " if span.code == "exec_command" else "      ", style="dim")
            detail.append(span.detail, style="dim italic")
            detail.no_wrap = True
            detail.overflow = "ellipsis"
            lines.append(detail)
        if _went_wrong(span):
            lines.append(_what_went_wrong(span))
    # The separator's settings apply to the whole: every row stays one line.
    return Text("\n", no_wrap=True, overflow="ellipsis").join(lines)


_LineKey = tuple[str, str | object, tuple[TextSpan, ...]]
"""A line's text: its characters, its style and its spans."""


class TimelineView(Widget):
    """The cursor task's states and operations, drawn to the pane's width."""

    DEFAULT_CSS = """
    TimelineView { height: auto; width: 1fr; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    selected: reactive[TaskWithStatusHistory | Task | None] = reactive(None, repaint=False)
    """The task drawn; every poll hands it again, cheap when nothing changed (its
    watcher redraws only what changed; a repaint here would redraw it whole)."""

    def __init__(
        self,
        formatter: fmt.Formatter | None = None,
        *,
        foresight: Foresight | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.formatter = formatter or fmt.Formatter()
        self.foresight = foresight
        """Where a running task's finish estimate is read (None: not shown)."""
        self.timeline: Timeline | None = None
        """The last timeline drawn (None: no task, or a task without history)."""
        self._said: str | None = None
        """Its text as last drawn, to tell whether a tick changed it."""
        self._height: int | None = None
        """Its lines as last drawn (a resize lays the screen out again by itself)."""
        self._made: tuple[Timeline, int, FinishEstimate | None, Text] | None = None
        """The text last made: for this timeline, width and estimate (see :meth:`_drawn`)."""
        self._strips: list[tuple[_LineKey, Strip]] = []
        """Each line as last painted, with the text it was painted from."""
        self._strips_for: tuple[int, VisualStyle] | None = None
        """The width and style :attr:`_strips` were painted at."""
        self._strips_stale = True
        """A refresh was asked since :attr:`_strips` were painted."""

    def on_mount(self) -> None:
        every_second(self, self._tick)

    def watch_selected(self) -> None:
        self._rebuild()

    def _rebuild(self) -> None:
        task = self.selected
        before = self._height
        if isinstance(task, TaskWithStatusHistory) and task.status_history:
            self.timeline = build_timeline(task, self.formatter.now())
        else:
            self.timeline = None
        # A layout is done screen-wide (every scrollbar on screen is redrawn):
        # only when the timeline's height changed, not at each tick of a duration.
        after = self._height = self._lines()
        said, self._said = self._said, self._text()
        if before is None or after != before:
            self.refresh(layout=True)
        elif self.timeline is None or said is None or self._said is None:
            self.refresh()
        elif self._said != said:
            # A duration ticked: only the lines that say something new are redrawn.
            width = self.size.width
            old_lines, new_lines = said.split("\n"), self._said.split("\n")
            for y, (old, new) in enumerate(zip(old_lines, new_lines, strict=False)):
                if old != new:
                    self.refresh(Region(0, y, width, 1))

    def _text(self) -> str | None:
        """What the timeline says at the current width (None: not laid out yet)."""
        if self.timeline is None or not self.size.width:
            return None
        return self._drawn(self.timeline, self.size.width).plain

    def _lines(self) -> int | None:
        """How many lines the timeline takes at the current width (None: not laid out yet)."""
        if not self.size.width:
            return None
        return self.get_content_height(self.size, self.size, self.size.width)

    def _tick(self) -> None:
        if self.timeline is not None and self.timeline.live:
            self._rebuild()

    def render(self) -> Text:
        task = self.selected
        if task is None:
            return Text("No task selected.", style="dim")
        if self.timeline is None:
            info = status_info(task.status)
            text = Text(f"{info.symbol} ", style=KIND_STYLES[info.kind])
            text.append(display_alias(task.status, task.status_alias))
            text.append("\nloading the history…", style="dim")
            return text
        return self._drawn(self.timeline, self.size.width or 80)

    def _drawn(self, timeline: Timeline, width: int) -> Text:
        """The timeline's text at ``width``: made once per timeline (a tick builds a new one),
        though a tick asks for it three times (its height, its lines, its paint)."""
        task = self.selected
        estimate = None
        if self.foresight is not None and task is not None and timeline.live:
            estimate = self.foresight.finishes.get(task.task_id)
        made = self._made
        if made is not None and made[0] is timeline and made[1] == width and made[2] is estimate:
            return made[3]
        if estimate is None:
            text = render_timeline(timeline, width)
        else:
            now = self.formatter.now()
            text = render_timeline(
                timeline,
                width,
                ends=ends_sentence(estimate, now),
                predicted=predicted_end(timeline, estimate, now),
            )
        self._made = (timeline, width, estimate, text)
        return text

    def refresh(
        self, *regions: Region, repaint: bool = True, layout: bool = False, recompose: bool = False
    ) -> TimelineView:
        """Textual's refresh; the lines are painted again from the text of now."""
        self._strips_stale = True
        super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)
        return self

    def render_line(self, y: int) -> Strip:
        """Line ``y``, painted again only when its text changed.

        Textual paints a widget's whole text whenever any part of it is
        repainted: a running task's timeline changes two or three lines a
        second, and its other lines (a dozen, each through Textual's content
        pipeline) were painted again with them.
        """
        if self.text_selection is not None:
            return super().render_line(y)  # a selection is drawn over the whole text at once
        width, style = self.size.width, self.visual_style
        if self._strips_stale or self._strips_for != (width, style):
            self._paint_lines(width, style)
        if y < len(self._strips):
            return self._strips[y][1]
        return Strip.blank(width, style.rich_style)

    def _paint_lines(self, width: int, style: VisualStyle) -> None:
        """Paint each line of the text of now, taking the old strip of a line that says the same."""
        same_frame = self._strips_for == (width, style)
        old = self._strips if same_frame else []
        text = self.render()
        strips: list[tuple[_LineKey, Strip]] = []
        for y, line in enumerate(text.split("\n", allow_blank=True)):
            key: _LineKey = (line.plain, line.style, tuple(line.spans))
            if y < len(old) and old[y][0] == key:
                strips.append(old[y])
            else:
                visual = visualize(self, line, markup=False)
                strips.append((key, Visual.to_strips(self, visual, width, 1, style)[0]))
        self._strips, self._strips_for, self._strips_stale = strips, (width, style), False

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        if self.timeline is None:
            return 2
        return self._drawn(self.timeline, width).plain.count("\n") + 1
