"""``e``: export the current view to CSV or JSON.

A small dialog: the format, the path (default under the output dir) and
whether an existing file may be replaced. Export fetches every page of the
view (the table's own page fetcher, so server-side filters and sort) with a
progress bar, then writes the file. Errors (the file exists, a full disk, the
API failing) show in the dialog, which stays open to fix the path or retry;
Esc cancels, also in the middle of the fetch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, ProgressBar, RadioButton, RadioSet

from inductiva_top.api.errors import ApiError
from inductiva_top.api.models import TaskPage
from inductiva_top.monitor.names import DEFAULT_NAME_KEYS
from inductiva_top.monitor.rows.export import (
    ExportError,
    ExportFormat,
    default_export_path,
    fetch_all,
    write_export,
)
from inductiva_top.monitor.state import DashboardState
from inductiva_top.ui.widgets.toggles import RadioChoice, TickBox

__all__ = ["ExportDialog"]

PageFetcher = Callable[[int], Awaitable[TaskPage]]


def _swap_suffix(path: str, fmt: ExportFormat) -> str:
    for other in (".csv", ".json"):
        if path.endswith(other):
            return path[: -len(other)] + f".{fmt}"
    return path


class ExportDialog(ModalScreen[Path | None]):
    """Export the view ``describe`` names; dismisses with the written path, or None."""

    DEFAULT_CSS = """
    #export-dialog {
        width: 72; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    #export-format { layout: horizontal; height: auto; width: auto; border: none; }
    #export-path { width: 100%; }
    #export-progress { display: none; margin-top: 1; }
    ExportDialog.-running #export-progress { display: block; }
    #export-error { color: $error; height: auto; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "cancel", "Cancel", id="export.cancel"),
    ]

    def __init__(
        self,
        fetch_page: PageFetcher,
        per_page: int,
        *,
        default_path: Path,
        describe: str,
        name_keys: Sequence[str] = DEFAULT_NAME_KEYS,
    ) -> None:
        super().__init__()
        self.name_keys = tuple(name_keys)
        """The metadata keys that name each exported task."""
        self.fetch_page = fetch_page
        self.per_page = per_page
        self.default_path = default_path
        self.describe = describe

    @classmethod
    def of_view(cls, state: DashboardState, output_dir: Path, now: datetime) -> ExportDialog:
        """The dialog for the dashboard's current view, offering a file under ``output_dir``."""
        window = state.window
        query = window.query
        found = list(window.loaded_tasks()) if window.searching else []

        async def fetch(page: int) -> TaskPage:
            if window.searching:
                # A search's rows are filtered here, not by the server: the rows found.
                return TaskPage(total_size=len(found), tasks=found)
            return (await state.fetch_page(query, page))[1]

        described = ", ".join(query.describe()) or "every task"
        if window.total is not None:
            described += f" · {window.total} task{'s' if window.total != 1 else ''}"
        return cls(
            fetch,
            max(len(found), 1) if window.searching else window.page_size,
            default_path=default_export_path(output_dir, "csv", now),
            describe=described,
            name_keys=state.name_keys,
        )

    @property
    def fmt(self) -> ExportFormat:
        return "json" if self.query_one("#export-json", RadioButton).value else "csv"

    def compose(self) -> ComposeResult:
        with Vertical(id="export-dialog"):
            yield Label(Text("Export the view", style="bold"), classes="dialog-title")
            yield Label(Text(self.describe), classes="dialog-note")
            with RadioSet(id="export-format"):
                yield RadioChoice("CSV", value=True, id="export-csv")
                yield RadioChoice("JSON", id="export-json")
            yield Input(str(self.default_path), id="export-path")
            yield TickBox("Replace the file if it exists", id="export-overwrite")
            yield ProgressBar(id="export-progress", show_eta=False)
            yield Label("", id="export-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="export-cancel", compact=True)
                yield Button("Export", id="export-go", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#export-go", Button).focus()

    @on(RadioSet.Changed, "#export-format")
    def _format_changed(self) -> None:
        path = self.query_one("#export-path", Input)
        path.value = _swap_suffix(path.value, self.fmt)

    @on(Button.Pressed, "#export-cancel")
    def action_cancel(self) -> None:
        self.workers.cancel_group(self, "export")
        self.dismiss(None)

    @on(Button.Pressed, "#export-go")
    @on(Input.Submitted, "#export-path")
    def _go(self) -> None:
        text = self.query_one("#export-path", Input).value.strip()
        if not text:
            self._error("give a file name")
            return
        path = Path(text).expanduser()
        overwrite = self.query_one("#export-overwrite", TickBox).value
        if path.exists() and not overwrite:
            # Asked before fetching anything: a long export should not end in this.
            self._error(f"{path} already exists (tick 'Replace' to overwrite it)")
            return
        self._export(path, self.fmt, overwrite)

    def _error(self, message: str) -> None:
        self.query_one("#export-error", Label).update(Text(message))

    def _progress(self, fetched: int, total: int | None) -> None:
        self.query_one(ProgressBar).update(total=total, progress=fetched)

    @work(exclusive=True, group="export", exit_on_error=False)
    async def _export(self, path: Path, fmt: ExportFormat, overwrite: bool) -> None:
        self._error("")
        self.add_class("-running")
        self.query_one("#export-go", Button).disabled = True
        try:
            tasks = await fetch_all(self.fetch_page, self.per_page, on_progress=self._progress)
            written = await asyncio.to_thread(
                write_export, tasks, path, fmt, overwrite=overwrite, name_keys=self.name_keys
            )
        except (ApiError, ExportError) as error:
            self._error(str(error))
            return
        finally:
            if self.is_attached:  # Esc may have closed the dialog meanwhile
                self.remove_class("-running")
                self.query_one("#export-go", Button).disabled = False
        count = len(tasks)
        self.notify(
            f"{count} task{'s' if count != 1 else ''} to {written}", title="Exported", markup=False
        )
        self.dismiss(written)
