"""The live tail pane: the cursor task's output, followed live or read from its archive.

Attributes down: :attr:`TailPanel.selected` is bound to the cursor task
(``data_bind``), and :attr:`TailPanel.services` is handed down. The panel
works out the source (:func:`~inductiva_top.monitor.tailsource.choose_source`)
and restarts only when the task, the mode or the source changes; one
exclusive worker per panel reads, so moving the cursor cancels the previous
task's stream or range read. A running task is followed through
:mod:`~inductiva_top.api.live`, whichever transport reaches it.

Keys while the pane has focus: ``o`` cycles stdout / stderr / both, ``/``
searches (a regular expression), ``n``/``N`` move between matches, End
resumes follow mode.
"""

from __future__ import annotations

from contextlib import AsyncExitStack, aclosing
from typing import ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Input, Static

from inductiva_top.api.errors import TRANSIENT, ApiError
from inductiva_top.api.live import LiveTask, NoLive
from inductiva_top.api.models import Task, TaskWithStatusHistory
from inductiva_top.monitor.tailbuffer import SearchError, SearchQuery, TailBuffer
from inductiva_top.monitor.tailsource import (
    TailMode,
    TailSource,
    TailTarget,
    choose_source,
    mode_files,
    next_mode,
    source_message,
)
from inductiva_top.transfer.errors import TransferError
from inductiva_top.ui.services import PaneServices
from inductiva_top.ui.tailfeed import Data, FeedEvent, Lines, Notice, archived, follow
from inductiva_top.ui.widgets.tailview import TailView

__all__ = ["FOLLOW_BACKLOG", "TailPanel"]

FOLLOW_BACKLOG = 10_000
"""Most lines the follow stream is asked to start with (the server's own cap)."""

RETRY_SECONDS = 5.0
"""Wait before reading the archive again after a transient error (timeout, 5xx, 429...)."""

UNTIL_THE_END = "The output shows here once the task has finished."


class TailPanel(Vertical):
    """The tail of the selected task's output, with a one-line status under it."""

    DEFAULT_CSS = """
    TailPanel { height: 1fr; }
    TailPanel > #tail-status { height: 1; color: $text-muted; }
    TailPanel > #tail-search { display: none; height: 3; }
    TailPanel.-searching > #tail-search { display: block; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o", "cycle_mode", "Output", id="tail.cycle_mode"),
        Binding("slash", "search", "Search", id="tail.search"),
        Binding("n", "match(1)", "Next", show=False, id="tail.next_match"),
        Binding("N", "match(-1)", "Previous", show=False, id="tail.prev_match"),
    ]

    selected: reactive[TaskWithStatusHistory | Task | None] = reactive(None)
    """The task whose output is shown; a new task, mode or source restarts the pane."""

    class ModeShown(Message):
        """What the pane shows changed: ``label`` names the files ("" with no task)."""

        def __init__(self, label: str) -> None:
            super().__init__()
            self.label = label

    def __init__(
        self,
        services: PaneServices | None = None,
        *,
        mode: TailMode = TailMode.STDOUT,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.services = services
        self.mode = mode
        max_lines = services.tail_lines if services is not None else 10_000
        self.buffer = TailBuffer(max_lines=max_lines)
        self.target: TailTarget | None = None
        """What is being shown now."""
        self.live: LiveTask | NoLive | None = None
        """The running task's live interface being followed (or why there is none)."""
        self._stream_ended = False
        self._notes: list[str] = []
        self._search_note = ""

    def compose(self) -> ComposeResult:
        yield TailView(self.buffer, id="tail-view")
        yield Input(placeholder="search (regex), Enter to find, Esc to close", id="tail-search")
        yield Static(id="tail-status")

    @property
    def view(self) -> TailView:
        """The line view."""
        return self.query_one(TailView)

    # --- attributes down ----------------------------------------------------------

    def watch_selected(self) -> None:
        self._retarget()

    def _retarget(self) -> None:
        task = self.selected
        self.post_message(self.ModeShown(self.mode.label if task is not None else ""))
        if task is None:
            self.workers.cancel_group(self, "tail")
            self.target = None
            self.view.reset("No task selected.")
            self._status()
            return
        if self.services is None:
            self.view.reset("Output needs the API client.")
            return
        target = TailTarget(task.task_id, self.mode, choose_source(task))
        if target == self.target:
            return
        previous, self.target = self.target, target
        if (
            previous is not None
            and previous.task_id == target.task_id
            and previous.mode == target.mode
            and previous.source is TailSource.LIVE
            and target.source is TailSource.ARCHIVE
            and self._stream_ended
        ):
            return  # the live stream already showed everything up to the end
        self._load(target, task)

    # --- loading ----------------------------------------------------------------------

    @work(exclusive=True, group="tail", exit_on_error=False)
    async def _load(self, target: TailTarget, task: Task) -> None:
        services = self.services
        self._stream_ended = False
        self._notes = []
        self.live = live = None
        message = source_message(target.source)
        self.view.reset(message or "loading…")
        self._status()
        if message is not None or services is None:
            return
        backlog = min(services.tail_lines, FOLLOW_BACKLOG)
        try:
            async with AsyncExitStack() as closing:
                if target.source is TailSource.ARCHIVE:
                    events = archived(services.client, task, target.mode)
                else:
                    found = self.live = await services.live.live_for(task.task_id)
                    if isinstance(found, NoLive):
                        self.view.show_message(f"{found.message} {UNTIL_THE_END}")
                        self._status()
                        return
                    # Its connections close with this worker (cancelled on a new target).
                    live = await closing.enter_async_context(aclosing(found))
                    events = follow(live, target.mode, backlog)
                stream = await closing.enter_async_context(aclosing(events))
                async for event in stream:
                    self._consume(event)
        except (ApiError, TransferError) as error:
            self._notes.append(f"error: {error}")
            if live is not None and isinstance(error, ApiError):
                delay = live.retry_after(error)
            else:
                delay = RETRY_SECONDS if isinstance(error, TRANSIENT) else None
            if delay is not None:
                self.view.show_message(
                    f"Could not read the output: {error} (retrying in {delay:g} s)"
                )
                self.set_timer(delay, lambda: self._retry(target))
            else:
                self.view.show_message(f"Could not read the output: {error}")
        else:
            self._stream_ended = True
            for stream_name, _ in mode_files(target.mode):
                self.view.apply(self.buffer.flush(stream_name))
            if not self.buffer.lines():
                self.view.show_message(self._notes[0] if self._notes else "(no output)")
        self._status()

    def _retry(self, target: TailTarget) -> None:
        """Load ``target`` again, unless the pane has moved on since it failed."""
        if self.target == target:
            self.target = None
            self._retarget()

    def _consume(self, event: FeedEvent) -> None:
        if isinstance(event, Lines):
            if event.lines:
                self.view.apply(self.buffer.feed("\n".join(event.lines) + "\n", event.stream))
            elif not self.buffer.lines():
                # The stream is open and the file is empty so far.
                self.view.show_message("No output yet; new lines show here as they are written.")
        elif isinstance(event, Data):
            data = event.data
            if event.truncated:
                data = data[data.find(b"\n") + 1 :]  # the first line starts before the range
            self.view.apply(self.buffer.feed(data, event.stream))
            self.view.apply(self.buffer.flush(event.stream))
        elif isinstance(event, Notice):
            self._notes.append(event.text)
            if not self.buffer.lines():
                self.view.show_message(event.text)
            self._status()

    # --- status line ------------------------------------------------------------------

    def _status(self) -> None:
        # Most urgent first: a narrow pane cuts the end of the line.
        target = self.target
        view = self.view
        parts = []
        if not view.following:
            unseen = f"{view.new_lines:,} new lines" if view.new_lines else "paused"
            parts.append(f"⏸ {unseen} (End resumes)")
        if self._search_note:
            parts.append(self._search_note)
        if target is not None:
            if target.source is TailSource.LIVE and isinstance(self.live, LiveTask):
                parts.append("live" if not self._stream_ended else "ended")
            elif target.source is TailSource.ARCHIVE:
                parts.append("from the output archive")
        parts.append(self.mode.label)
        parts.extend(note for note in self._notes if not note.startswith("error"))
        self.query_one("#tail-status", Static).update(Text(" · ".join(parts)))

    @on(TailView.FollowChanged)
    def _follow_changed(self) -> None:
        self._status()

    # --- actions ----------------------------------------------------------------------

    def action_cycle_mode(self) -> None:
        """``o``: stdout, stderr, both."""
        self.mode = next_mode(self.mode)
        self._retarget()
        self._status()

    def action_search(self) -> None:
        """``/``: open the search line."""
        self.add_class("-searching")
        self.query_one("#tail-search", Input).focus()

    def action_match(self, step: int) -> None:
        """``n``/``N``: next or previous match."""
        match = self.view.step_match(step)
        if match is not None:
            number = self.view.matches.index(match) + 1
            self._search_note = f"match {number}/{len(self.view.matches)}"
            self._status()

    @on(Input.Submitted, "#tail-search")
    def _search(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            query = SearchQuery.compile(event.value, regex=True)
        except SearchError as error:
            self._search_note = "bad regex"
            self.notify(str(error), title="Search", severity="warning")
            self._status()
            return
        count = self.view.set_search(query if event.value else None)
        if event.value:
            self._search_note = f"{count:,} matches for /{event.value}/" if count else "no match"
        else:
            self._search_note = ""
        self.remove_class("-searching")
        self.view.focus()
        self._status()

    def on_key(self, event: events.Key) -> None:
        if event.key == "escape" and self.has_class("-searching"):
            event.stop()
            self.remove_class("-searching")
            self.view.focus()
