"""The line under the header: active filters, sort, marks, and the ``/`` search box.

It is one line whatever is chosen: status groups go by name (``failed (6
codes)``), the sort by the title of its column (``submitted ↓``), and what
does not fit ends in an ellipsis instead of wrapping onto a hidden line.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input, Label

from inductiva_top.monitor import fmt
from inductiva_top.monitor.rows.window import RowWindow, SortKey, TaskQuery
from inductiva_top.monitor.sanitize import sanitize_name
from inductiva_top.ui.columns import Column
from inductiva_top.ui.widgets.header import update_if_changed

__all__ = ["FilterBar", "search_scope", "sort_label"]

PLACEHOLDER = "id, name, metadata, project, simulator; key=value"


def sort_label(key: SortKey, columns: Sequence[Column]) -> str:
    """``submitted ↓``: the title of the column sorted by, and the direction."""
    title = next(
        (column.title.lower() for column in columns if column.sort_field == key.field),
        key.field.replace("_", " "),
    )
    return f"{title} {'↓' if key.descending else '↑'}"


def search_scope(window: RowWindow) -> str | None:
    """Where a search looked, said beside it: ``first 200 of 1,234 rows, ids: all``, or
    ``all 16 rows``; None: no search."""
    if not window.searching:
        return None
    if window.total is None:
        return "searching…"
    whole = window.view_total
    if whole is not None and window.scanned >= whole:
        scope = f"all {fmt.count(whole)} row{'s' if whole != 1 else ''}"
    else:
        scope = f"first {fmt.count(window.scanned)} of {fmt.count(whole or 0)} rows"
    if window.query.searched.id_word and (whole is None or window.scanned < whole):
        scope += ", ids: all"
    return scope


class FilterBar(Horizontal):
    """Always shows what the table is filtered and sorted by; hosts the ``/`` input."""

    DEFAULT_CSS = """
    FilterBar { height: 1; }
    FilterBar #filter-summary { width: 1fr; height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    FilterBar #filter-input { display: none; width: 52; height: 1; border: none; padding: 0; }
    FilterBar.-searching #filter-input { display: block; }
    """

    def __init__(self, columns: Sequence[Column], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.columns = columns
        """The table's columns: the sort is named by their titles."""
        self._summarized: tuple[object, ...] | None = None
        """What the summary was last made from (see :meth:`update_summary`)."""

    def compose(self) -> ComposeResult:
        # The selection is made when the box opens, not when its focus arrives: a key
        # typed in between (under load) would be selected with it and replaced by the next.
        yield Input(placeholder=PLACEHOLDER, id="filter-input", select_on_focus=False)
        yield Label("", id="filter-summary")

    def update_summary(
        self,
        query: TaskQuery,
        total: int | None,
        marked: int,
        read_only: bool,
        *,
        scope: str | None = None,
    ) -> None:
        """Redraw the summary from the current query and counts; ``scope``: where a
        search looked (:func:`search_scope`)."""
        summarized = (query, total, marked, read_only, scope, tuple(self.columns))
        if summarized == self._summarized:
            return  # called each second with the header: nothing here ticks
        self._summarized = summarized
        text = Text()
        text.append("tasks " + (fmt.count(total) if total is not None else "…"), style="bold")
        # What changes what a key does comes before what may be cut at the right.
        if read_only:
            text.append("  [read-only]", style="italic")
        if marked:
            text.append(f"  marked: {marked}", style="bold")
        filters = [sanitize_name(part) for part in query.describe()]
        if scope is not None and filters:
            filters[-1] += f" ({scope})"  # the search is the last filter described
        text.append("  filters: " + ("; ".join(filters) if filters else "none"))
        sort = ", ".join(sort_label(key, self.columns) for key in query.sort)
        text.append(f"  sort: {sort or 'server order'}")
        update_if_changed(self.query_one("#filter-summary", Label), text)

    def open_search(self, current: str, typed: str = "") -> None:
        """Show and focus the search box on the ``current`` search, selected (the next key
        replaces it); with keys ``typed`` in one burst with ``/``, on both, the cursor after
        them (the next key goes on)."""
        self.add_class("-searching")
        box = self.query_one("#filter-input", Input)
        box.value = current + typed
        if typed:
            box.cursor_position = len(box.value)
        else:
            box.select_all()
        box.focus()

    def close_search(self) -> None:
        """Hide the search box (the search itself stays until cleared)."""
        self.remove_class("-searching")

    @property
    def searching(self) -> bool:
        return self.has_class("-searching")
