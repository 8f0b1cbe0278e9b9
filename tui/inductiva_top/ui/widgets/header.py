"""The header line: which API, connection state, data age, follow mode, history, counts.

The history (:mod:`~inductiva_top.monitor.foresight.header_history`) is three
small sparklines since the dashboard started: tasks running, tasks waiting,
finishes per minute. It is handed down once per refresh and shown only where
the full counts still fit beside it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label

from inductiva_top.monitor import fmt
from inductiva_top.monitor.foresight.header_history import HeaderSparks
from inductiva_top.monitor.poller import Connection, Freshness
from inductiva_top.monitor.statuses import StatusKind, status_info
from inductiva_top.ui.widgets.task_table import KIND_CLASSES

__all__ = ["HISTORY_CELLS", "StatusHeader", "counts_text", "follow_text", "history_text"]

HISTORY_CELLS = 8
"""Cells of each of the header's history sparklines."""

_KIND_ORDER = (
    StatusKind.RUNNING,
    StatusKind.WAITING,
    StatusKind.SUCCESS,
    StatusKind.FAILED,
    StatusKind.KILLED,
    StatusKind.OTHER,
)


def counts_text(
    counts: Mapping[str, int],
    *,
    compact: bool = False,
    style: Callable[[StatusKind], Style] | None = None,
) -> Text:
    """Counts by status kind: symbol, number and kind name (just symbol and number if compact).

    ``style`` colours each kind's count (as the table colours its rows).
    """
    by_kind: dict[StatusKind, int] = {}
    for code, count in counts.items():
        kind = status_info(code).kind
        by_kind[kind] = by_kind.get(kind, 0) + count
    text = Text()
    for kind in _KIND_ORDER:
        if by_kind.get(kind):
            if text:
                text.append(" " if compact else "  ")
            number = fmt.count(by_kind[kind])
            label = f"{kind.symbol}{number}" if compact else f"{kind.symbol} {number} {kind.value}"
            text.append(label, style=style(kind) if style is not None else "")
    return text


def history_text(sparks: HeaderSparks) -> Text:
    """``▶▁▂▃ ◷▅▃▂ ✔▁▁▂/m``: running, waiting and finishes per minute since the start."""
    text = Text()
    for symbol, line, style in (
        (StatusKind.RUNNING.symbol, sparks.running, "cyan"),
        (StatusKind.WAITING.symbol, sparks.waiting, "yellow"),
        (StatusKind.SUCCESS.symbol, sparks.finishes, "green"),
    ):
        if text:
            text.append(" ")
        text.append(symbol, style="dim")
        text.append(line, style=style)
    text.append("/m", style="dim")
    return text


def follow_text(follow: bool, new_above: int) -> str:
    """Whether new tasks take the cursor, and how many arrived above the screen."""
    parts = ["following new"] if follow else []
    if new_above:
        parts.append(f"{fmt.count(new_above)} new ↑")
    return " · ".join(parts)


class StatusHeader(Horizontal):
    """One line: API label, connection state, freshness, counts."""

    DEFAULT_CSS = """
    StatusHeader { height: 1; }
    StatusHeader Label { padding: 0 1 0 0; }
    StatusHeader #header-counts { width: 1fr; text-align: right; }
    """

    COMPONENT_CLASSES = set(KIND_CLASSES.values())

    def __init__(self, api_label: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._api_label = api_label
        self._history = Text()

    def compose(self) -> ComposeResult:
        yield Label(Text("inductiva-top", style="bold"), id="header-title")
        yield Label(Text(f"API {self._api_label}"), id="header-api")
        yield Label(Connection.CONNECTING.value, id="header-state")
        yield Label("", id="header-age")
        yield Label("", id="header-follow")
        yield Label("", id="header-history")
        yield Label("", id="header-counts")

    def update_status(
        self,
        freshness: Freshness,
        now: float,
        counts: Mapping[str, int],
        *,
        follow: bool = False,
        new_above: int = 0,
    ) -> None:
        """Redraw from the poll loop's freshness, the table's follow mode and the status counts."""
        state = freshness.state(now)
        state_label = self.query_one("#header-state", Label)
        update_if_changed(state_label, state_label_text(state))
        state_label.set_class(state is not Connection.CONNECTED, "-trouble")
        age_text = freshness.describe(now)
        age = self.query_one("#header-age", Label)
        update_if_changed(age, age_text)
        # A hung refresh ages the data as surely as a failed one.
        age.set_class(freshness.stale or state is Connection.WAITING, "-stale")
        following = follow_text(follow, new_above)
        follow_label = self.query_one("#header-follow", Label)
        update_if_changed(follow_label, following)
        follow_label.display = bool(following)
        # Use the room the other labels leave: full counts, else compact, else drop the title.
        title = "inductiva-top"
        used = sum(
            len(part) + 1
            for part in (f"API {self._api_label}", state_label_text(state), following)
            if part
        )
        room = self.size.width - used - len(age_text) - 2
        full = counts_text(counts, style=self._kind_style)
        history = self.query_one("#header-history", Label)
        # The history only beside the full counts: the counts are what the header is for.
        history.display = bool(self._history) and (
            full.cell_len + self._history.cell_len + 1 <= room - len(title) - 1
        )
        if history.display:
            room -= self._history.cell_len + 1
        compact = full.cell_len > room - len(title) - 1
        shown = counts_text(counts, compact=True, style=self._kind_style) if compact else full
        self.query_one("#header-title").display = shown.cell_len <= room - len(title) - 1
        update_if_changed(self.query_one("#header-counts", Label), shown)

    def update_history(self, sparks: HeaderSparks) -> None:
        """The history's sparklines (once per refresh: they move no faster); none while
        all three are blank (nothing ran, waited or finished since the start)."""
        blank = not (sparks.running + sparks.waiting + sparks.finishes).strip()
        self._history = Text() if blank else history_text(sparks)
        update_if_changed(self.query_one("#header-history", Label), self._history)

    def _kind_style(self, kind: StatusKind) -> Style:
        style = self.get_component_rich_style(KIND_CLASSES[kind], partial=True)
        return Style(color=style.color, bold=style.bold)


def update_if_changed(label: Label, content: str | Text) -> None:
    """Set ``label``'s content unless it already shows exactly that.

    ``Static.update`` repaints even for identical content, and asks for a new
    layout, which repaints the scrollbars of the whole screen. The header is
    updated every second: an unchanged label must cost the terminal nothing,
    and a new text of the same width only its own cells.
    """
    old = label.content
    if old == content:
        return
    same_width = isinstance(old, (str, Text)) and _cells(old) == _cells(content)
    label.update(content, layout=not same_width)


def _cells(content: str | Text) -> int:
    return content.cell_len if isinstance(content, Text) else Text(content).cell_len


STATE_SYMBOLS = {
    Connection.CONNECTED: "●",
    Connection.CONNECTING: "○",
    Connection.WAITING: "◌",
    Connection.THROTTLED: "◔",
}
"""The symbol before the connection state's word; other trouble is ✘."""


def state_label_text(state: Connection) -> str:
    """The connection state as shown: a symbol and the word.

    Waiting is the symbol alone: the age text says it (``waiting for the API 5s``).
    """
    symbol = STATE_SYMBOLS.get(state, "✘")
    return symbol if state is Connection.WAITING else f"{symbol} {state.value}"
