"""The line under the header: active filters, sort, marks, and the id search box."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input, Label

from inductiva_top.monitor import fmt
from inductiva_top.monitor.sanitize import sanitize_name
from inductiva_top.monitor.window import TaskQuery
from inductiva_top.ui.widgets.header import update_if_changed

__all__ = ["FilterBar"]


class FilterBar(Horizontal):
    """Always shows what the table is filtered and sorted by; hosts the ``/`` input."""

    DEFAULT_CSS = """
    FilterBar { height: 1; }
    FilterBar #filter-summary { width: 1fr; }
    FilterBar #filter-input { display: none; width: 40; height: 1; border: none; padding: 0; }
    FilterBar.-searching #filter-input { display: block; }
    """

    def compose(self) -> ComposeResult:
        yield Input(placeholder="task id contains…", id="filter-input")
        yield Label("", id="filter-summary")

    def update_summary(
        self, query: TaskQuery, total: int | None, marked: int, read_only: bool
    ) -> None:
        """Redraw the summary from the current query and counts."""
        text = Text()
        text.append("tasks " + (fmt.count(total) if total is not None else "…"), style="bold")
        filters = [sanitize_name(part) for part in query.describe()]
        text.append("  filters: " + ("; ".join(filters) if filters else "none"))
        sort = ", ".join(key.param for key in query.sort)
        text.append(f"  sort: {sort}")
        if marked:
            text.append(f"  marked: {marked}", style="bold")
        if read_only:
            text.append("  [read-only]", style="italic")
        update_if_changed(self.query_one("#filter-summary", Label), text)

    def open_search(self, current: str) -> None:
        """Show and focus the id search box."""
        self.add_class("-searching")
        box = self.query_one("#filter-input", Input)
        box.value = current
        box.focus()

    def close_search(self) -> None:
        """Hide the id search box (the filter itself stays until cleared)."""
        self.remove_class("-searching")

    @property
    def searching(self) -> bool:
        return self.has_class("-searching")
