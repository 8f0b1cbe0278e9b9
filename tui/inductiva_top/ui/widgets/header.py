"""The header line: API, connection state, data age, follow mode, history, counts, money meter.

The history (:mod:`~inductiva_top.monitor.foresight.header_history`) is three
small sparklines since the dashboard started: tasks running, tasks waiting,
finishes per minute. It is handed down once per refresh and shown only where
the title, the full counts and the money meter's fullest form still fit
beside it. The meter (:mod:`~inductiva_top.monitor.fleet.money`) drops its
words before the counts shrink; its rate always stays.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, Static

from inductiva_top.monitor import fmt
from inductiva_top.monitor.fleet.money import Money
from inductiva_top.monitor.foresight.header_history import HeaderSparks
from inductiva_top.monitor.poller import Connection, Freshness
from inductiva_top.monitor.statuses import StatusKind, status_info
from inductiva_top.ui.widgets.task_table import KIND_CLASSES

__all__ = [
    "HISTORY_CELLS",
    "StatusHeader",
    "counts_text",
    "fit_header",
    "follow_text",
    "history_text",
]

HISTORY_CELLS = 8
"""Cells of each of the header's history sparklines."""

TITLE = "inductiva-top"

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
    """One line: API label, connection state, freshness, counts, the money meter at the right."""

    DEFAULT_CSS = """
    StatusHeader { height: 1; }
    StatusHeader Label { padding: 0 1 0 0; }
    StatusHeader #header-counts { width: 1fr; text-align: right; }
    StatusHeader #header-money { padding: 0 0 0 1; text-style: bold; }
    """

    COMPONENT_CLASSES = set(KIND_CLASSES.values())

    def __init__(self, api_label: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._api_label = api_label
        self._history = Text()
        self._shown: tuple[Freshness, float, Mapping[str, int], bool, int, Money | None] | None = (
            None
        )
        self._fitted: tuple[object, ...] | None = None
        """What the counts, meter and history were last fitted from (see :meth:`update_status`)."""

    def on_resize(self) -> None:
        # The room for counts and meter is the width: fit them again at once.
        if self._shown is not None:
            freshness, now, counts, follow, new_above, money = self._shown
            self.update_status(
                freshness, now, counts, follow=follow, new_above=new_above, money=money
            )

    def compose(self) -> ComposeResult:
        yield Label(Text(TITLE, style="bold"), id="header-title")
        yield Label(Text(f"API {self._api_label}"), id="header-api")
        yield Label(Connection.CONNECTING.value, id="header-state")
        yield Label("", id="header-age")
        yield Label("", id="header-follow")
        yield Label("", id="header-history")
        yield Label("", id="header-counts")
        yield Label("", id="header-money")

    def update_status(
        self,
        freshness: Freshness,
        now: float,
        counts: Mapping[str, int],
        *,
        follow: bool = False,
        new_above: int = 0,
        money: Money | None = None,
    ) -> None:
        """Redraw from the freshness, the follow mode, the status counts and the money meter."""
        self._shown = (freshness, now, counts, follow, new_above, money)
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
        used = sum(
            len(part) + 1
            for part in (f"API {self._api_label}", state_label_text(state), following)
            if part
        )
        room = self.size.width - used - len(age_text) - 2
        meters = money.variants() if money else ()
        exhausted = money is not None and money.exhausted
        fitted = (room, dict(counts), meters, self._history, exhausted, self.app.theme)
        if fitted == self._fitted:
            # Called each second for the age: fitting builds the counts' texts and looks
            # up their styles, which only a new count, meter, width or theme changes.
            return
        self._fitted = fitted
        history = self.query_one("#header-history", Label)
        # The history only where the title, the full counts and the whole meter
        # still fit beside it: the counts and the money are what the header is for.
        fits = False
        if self._history:
            spare = room - self._history.cell_len - 1
            with_history = fit_header(spare, counts, meters[:1], style=self._kind_style)
            full = counts_text(counts, style=self._kind_style)
            fits = with_history[0] and with_history[1] == full and spare >= 0
            fits = fits and (not meters or with_history[2] == meters[0])
        history.display = fits
        if fits:
            room -= self._history.cell_len + 1
        title, shown, meter = fit_header(room, counts, meters, style=self._kind_style)
        self.query_one("#header-title").display = title
        update_if_changed(self.query_one("#header-counts", Label), shown)
        money_label = self.query_one("#header-money", Label)
        update_if_changed(money_label, meter)
        money_label.display = bool(meter)
        money_label.set_class(exhausted, "-trouble")

    def update_history(self, sparks: HeaderSparks) -> None:
        """The history's sparklines (once per refresh: they move no faster); none while
        all three are blank (nothing ran, waited or finished since the start)."""
        blank = not (sparks.running + sparks.waiting + sparks.finishes).strip()
        self._history = Text() if blank else history_text(sparks)
        update_if_changed(self.query_one("#header-history", Label), self._history)

    def _kind_style(self, kind: StatusKind) -> Style:
        style = self.get_component_rich_style(KIND_CLASSES[kind], partial=True)
        return Style(color=style.color, bold=style.bold)


def fit_header(
    room: int,
    counts: Mapping[str, int],
    meters: tuple[str, ...],
    *,
    style: Callable[[StatusKind], Style] | None = None,
) -> tuple[bool, Text, str]:
    """What fits in ``room`` columns: whether the title shows, the counts, the meter.

    The meter's words go first (its longest form with full counts, then with
    compact counts, and so on down to the rate alone), the title last; the
    rate itself always stays. ``style`` colours the counts (see :func:`counts_text`).
    """
    full = counts_text(counts, style=style)
    compact = counts_text(counts, compact=True, style=style)
    forms = meters or ("",)

    def width(title: bool, shown: Text, meter: str) -> int:
        return (len(TITLE) + 1 if title else 0) + shown.cell_len + (len(meter) + 1 if meter else 0)

    tries = [(True, shown, meter) for meter in forms for shown in (full, compact)]
    tries += [(False, compact, meter) for meter in forms]
    for title, shown, meter in tries:
        if width(title, shown, meter) <= room:
            return title, shown, meter
    return False, compact, forms[-1]


def update_if_changed(label: Static, content: str | Text) -> None:
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
