"""The totals line under the task table: what every task of the view adds up to.

``Σ 40 tasks: ▶3 ◷2 ✔28 ✘7 · $70.12 · compute 45h 12m · median wait 12s``:
counts by status kind, cost, compute time and the median queue wait of all
the tasks the filters match, on every page (:mod:`~inductiva_top.monitor.batch.totals`).
While pages are counted it says how far it got (``Σ 1,500/4,000…``); a new
filter cancels the count and starts another.

Attributes down: the screen calls :meth:`TotalsLine.follow` with the view's
query, the status counts and the view's size; the line counts a new query
once its first rows are in (the size known: the rows come first, at launch
too), and counts again when the counts moved (a task changed status)
or the view's size is not what was counted, no sooner than :data:`PACE`
seconds per request the last count took (5 s after one request, over three
minutes after 40 pages).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from rich.text import Text
from textual import work
from textual.widgets import Static

from inductiva_top.api.errors import ApiError
from inductiva_top.monitor import fmt
from inductiva_top.monitor.batch.source import BatchSource
from inductiva_top.monitor.batch.totals import Totals, view_totals
from inductiva_top.monitor.rows.window import TaskQuery
from inductiva_top.monitor.statuses import StatusKind

__all__ = ["BEHIND", "PACE", "TotalsLine", "behind_text", "totals_text"]

PACE = 5.0
"""Seconds to wait before counting the same view again, per request the last count took."""

BEHIND = (
    Text(" · before the latest changes (counted again soon)", style="italic"),
    Text(" · recount soon", style="italic"),
    Text(" · older", style="italic"),
)
"""Said after the line while the view changed since it was counted (the header's
counts above are newer): the longest that fits the line's width, else the last
(a busy view's line at 80 columns leaves room for a word, not a sentence)."""

_ORDER = (
    StatusKind.RUNNING,
    StatusKind.WAITING,
    StatusKind.SUCCESS,
    StatusKind.FAILED,
    StatusKind.KILLED,
    StatusKind.OTHER,
)


def totals_text(totals: Totals) -> Text:
    """The line for ``totals`` (partial ones say how far the count got)."""
    text = Text("Σ ", style="bold")
    seen, expected = fmt.count(totals.seen), fmt.count(totals.expected)
    scanned = fmt.count(totals.scanned if not totals.from_project else totals.seen)
    if not totals.complete:
        text.append(f"{scanned}/{expected}…" if totals.expected is not None else "counting…")
    elif totals.capped:
        text.append(f"{seen} of the newest {scanned} of {expected}")
    else:
        text.append(f"{seen} task{'s' if totals.seen != 1 else ''}")
    kinds = [f"{kind.symbol}{fmt.count(totals.counts[kind])}" for kind in _ORDER
             if totals.counts[kind]]  # fmt: skip
    if kinds:
        text.append(": " + " ".join(kinds))
    text.append(f" · {fmt.cost(totals.cost)} · compute {fmt.duration(totals.compute_seconds)}")
    if totals.median_wait is not None:
        text.append(f" · median wait {fmt.duration(totals.median_wait)}")
    return text


def behind_text(line: Text, width: int) -> Text:
    """``line`` with the longest note of :data:`BEHIND` that fits ``width`` cells."""
    room = width - line.cell_len
    note = next((note for note in BEHIND if note.cell_len <= room), BEHIND[-1])
    return Text.assemble(line, note)


class TotalsLine(Static):
    """One line: the totals of the view, counted in the background."""

    DEFAULT_CSS = """
    TotalsLine { height: 1; color: $text-muted; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def __init__(
        self,
        source: BatchSource | None,
        clock: Callable[[], datetime],
        *,
        id: str | None = None,
    ) -> None:
        super().__init__("Σ …", id=id)
        self.source = source
        self._clock = clock
        self.view_query: TaskQuery | None = None
        """The view being counted (or counted last)."""
        self._counts: Mapping[str, int] = {}
        self.totals: Totals | None = None
        """The last count (complete or not) of :attr:`query`."""
        self._counted_at: float | None = None
        self._busy = False
        self._behind = False
        """The line says it was counted before the latest changes."""
        self._due = False
        """The view is to be counted once its first rows are in (its size known)."""

    def follow(self, query: TaskQuery, counts: Mapping[str, int], size: int | None) -> None:
        """The view is ``query`` of ``size`` tasks, the status counts ``counts``: count if due."""
        if self.source is None:
            self.display = False
            return
        if query != self.view_query:
            self.view_query, self._counts, self.totals = query, dict(counts), None
            self.update(Text("Σ counting…"))
            self.workers.cancel_group(self, "totals")
            self._due = True
        if self._due:
            if size is not None:
                # Once the view's first rows are painted: counting (up to 40 pages of
                # 500 tasks) would hold them up, at launch and after a new filter.
                self._due = False
                self.call_after_refresh(self._count, query)
            return
        totals = self.totals
        if self._busy or totals is None:
            return
        # A search's rows are those of a scan of the view; the totals' are of every page.
        differs = size is not None and totals.complete and not totals.capped
        differs = differs and not query.searched
        if not self._counts:
            # The view was first counted before the header's counts arrived.
            self._counts = dict(counts)
        if dict(counts) == self._counts and not (differs and size != totals.seen):
            return
        since = self._clock().timestamp() - (self._counted_at or 0.0)
        if since < PACE * totals.requests:
            # Not counted again yet: the header above already shows the new
            # counts, so the line says it is older rather than contradict it.
            if not self._behind:
                self._behind = True
                self.update(behind_text(totals_text(totals), self.size.width))
            return
        self._counts = dict(counts)
        self._count(query)

    def on_resize(self) -> None:
        if self._behind and self.totals is not None:
            self.update(behind_text(totals_text(self.totals), self.size.width))

    @work(exclusive=True, group="totals", exit_on_error=False)
    async def _count(self, query: TaskQuery) -> None:
        """Count ``query``'s tasks; a newer query cancels this (exclusive)."""
        assert self.source is not None
        if query != self.view_query:
            return  # another filter came before this count started
        self._busy = True
        try:
            async for totals in view_totals(self.source, query, self._clock()):
                if query != self.view_query:
                    return
                self.totals, self._behind = totals, False
                self.update(totals_text(totals))
        except ApiError as error:
            shown = self.totals
            note = Text(f" (not counted again: {error})", style="italic")
            base = totals_text(shown) if shown is not None else Text("Σ not counted")
            self.update(Text.assemble(base, note))
        finally:
            if query == self.view_query:  # a cancelled count of another view says nothing
                self._busy = False
                self._counted_at = self._clock().timestamp()
