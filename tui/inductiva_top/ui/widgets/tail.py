"""The live tail pane: the cursor task's output, followed live or read from its archive.

Attributes down: :attr:`TailPanel.selected` is bound to the cursor task
(``data_bind``), and :attr:`TailPanel.services` is handed down. The panel
works out the source (:func:`~inductiva_top.monitor.output.tailsource.choose_source`)
and restarts only when the task, the mode or the source changes; one
exclusive worker per panel reads, so moving the cursor cancels the previous
task's stream or range read. A running task is followed through
:mod:`~inductiva_top.api.live`, whichever transport reaches it.

A failure to read is shown (in the view while it has no lines, and in the
status line) only while it lasts: the pane asks again by itself at the poll
loop's pace (:class:`~inductiva_top.monitor.retrying.Retrying`), and a
transport that knows better (WebRTC) waits longer.

Keys while the pane has focus: ``o`` cycles stdout / stderr / both, ``/``
searches (a regular expression), ``n``/``N`` move between matches, ``W``
wraps long lines, End resumes follow mode.
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

from inductiva_top.api.errors import ApiError
from inductiva_top.api.live import LiveTask, NoLive
from inductiva_top.api.models import Task, TaskWithStatusHistory
from inductiva_top.monitor import fmt
from inductiva_top.monitor.output.tailbuffer import SearchError, SearchQuery, TailBuffer
from inductiva_top.monitor.output.tailsource import (
    TailMode,
    TailSource,
    TailTarget,
    choose_source,
    mode_files,
    next_mode,
    source_message,
)
from inductiva_top.monitor.retrying import Retrying, transient_wait, waiting_text
from inductiva_top.transfer.errors import TransferError
from inductiva_top.ui.services import PaneServices
from inductiva_top.ui.tailfeed import Data, FeedEvent, Lines, Notice, archived, follow
from inductiva_top.ui.widgets.tailview import TailView

__all__ = ["FOLLOW_BACKLOG", "TailPanel"]

FOLLOW_BACKLOG = 10_000
"""Most lines the follow stream is asked to start with (the server's own cap)."""

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
        Binding("W", "toggle_wrap", "Wrap", id="tail.wrap"),
    ]

    selected: reactive[TaskWithStatusHistory | Task | None] = reactive(None, repaint=False)
    """The task whose output is shown; a new task, mode or source restarts the pane.
    Set without a repaint:
    that would redraw the whole pane, borders and all, at every poll."""

    class ModeShown(Message):
        """What the pane shows changed: ``label`` names the files ("" with no task)."""

        def __init__(self, label: str) -> None:
            super().__init__()
            self.label = label

    class LiveLine(Message):
        """The newest line of a running task's followed output (the line being written, if
        any): what its progress is read from (:mod:`~inductiva_top.monitor.foresight.progress`)."""

        def __init__(self, task_id: str, line: str) -> None:
            super().__init__()
            self.task_id = task_id
            self.line = line

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, TailPanel.LiveLine) and message.task_id == self.task_id

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
        self._trouble = ""
        """Why the output cannot be read right now (shown while it lasts)."""
        self._pattern = ""
        """The search shown (``/pattern/``); its matches are counted live."""
        self._bad_pattern = False
        self._stepped = False
        """Whether ``n``/``N`` moved to a match since the search (the note says which)."""

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
        if previous is None or previous.task_id != target.task_id:
            self._clear_search()  # a search, and its count, belong to one task's output
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
        self._trouble = ""
        self.live = None
        message = source_message(target.source)
        self.view.reset(message or "loading…")
        self._status()
        if message is not None or services is None:
            return
        retrying = Retrying(services.policy)
        restarted = False
        while True:
            try:
                ended = await self._read(services, target, task, retrying, restarted)
            except (ApiError, TransferError) as error:
                least = self._retry_wait(error)
                if least is None or not isinstance(error, ApiError):
                    self._trouble = f"Could not read the output: {error}"
                    self.view.show_message(self._trouble)
                    break
                await retrying.wait_after(error, self._waiting, least)
                restarted = True
                continue
            if ended:
                self._stream_ended = True
                for stream_name, _ in mode_files(target.mode):
                    self.view.apply(self.buffer.flush(stream_name))
                if not self.buffer.lines():
                    self.view.show_message(self._notes[0] if self._notes else "(no output)")
            break
        self._status()

    async def _read(
        self,
        services: PaneServices,
        target: TailTarget,
        task: Task,
        retrying: Retrying,
        restarted: bool,
    ) -> bool:
        """Read ``target`` to its end; False when there is no live view to read."""
        backlog = min(services.tail_lines, FOLLOW_BACKLOG)
        async with AsyncExitStack() as closing:
            if target.source is TailSource.ARCHIVE:
                events = archived(services.client, task, target.mode)
            else:
                found = self.live = await services.live.live_for(task.task_id)
                if isinstance(found, NoLive):
                    self._trouble = ""
                    self.view.show_message(f"{found.message} {UNTIL_THE_END}")
                    return False
                self._status()  # say "live"
                # Its connections close with this worker (cancelled on a new target).
                live = await closing.enter_async_context(aclosing(found))
                events = follow(live, target.mode, backlog)
            stream = await closing.enter_async_context(aclosing(events))
            async for event in stream:
                if restarted:
                    # Read again from the start after a failure: the lines come
                    # again, so those shown before it go (as the error does).
                    restarted = False
                    self._notes = []
                    self.view.reset()
                if self._trouble:
                    self._trouble = ""
                    self.view.show_message(None)
                    self._status()
                retrying.succeeded()
                self._consume(event)
        return True

    def _retry_wait(self, error: ApiError | TransferError) -> float | None:
        """The least wait before reading again after ``error``; None: it cannot help."""
        if not isinstance(error, ApiError):
            return None
        if isinstance(self.live, LiveTask):
            return self.live.retry_after(error)
        return transient_wait(error)

    def _waiting(self, error: ApiError, seconds_left: float) -> None:
        self._trouble = f"Could not read the output: {waiting_text(error, seconds_left)}"
        self.view.show_message(self._trouble)
        self._status()

    def _consume(self, event: FeedEvent) -> None:
        if isinstance(event, Lines):
            if event.lines or event.partial:
                self.view.apply(self.buffer.feed_lines(event.lines, event.stream, event.partial))
                task = self.selected
                if task is not None and event.stream != "stderr":
                    newest = event.partial or event.lines[-1]
                    self.post_message(self.LiveLine(task.task_id, newest))
                if self._pattern:
                    self._status()  # the match count follows the lines
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
        if self._trouble:
            parts.append(self._trouble)
        if not view.following:
            unseen = fmt.plural(view.new_lines, "new line") if view.new_lines else "paused"
            parts.append(f"⏸ {unseen} (End resumes)")
        search = self._search_note()
        if search:
            parts.append(search)
        if view.wrap:
            parts.append("wrap")
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
        if self.view.step_match(step) is not None:
            self._stepped = True
            self._status()

    def action_toggle_wrap(self) -> None:
        """``W``: wrap long lines over the next rows, or let them run off to the right."""
        self.view.wrap = not self.view.wrap
        self._status()

    def _search_note(self) -> str:
        """The search in the status line, counted from the lines shown now."""
        if self._bad_pattern:
            return "bad regex"
        if not self._pattern:
            return ""
        matches = self.view.matches
        where = f"/{self._pattern}/"
        current = self.view.current_match
        if current is not None and self._stepped:
            return f"match {current + 1:,}/{len(matches):,} for {where}"
        if not matches:
            return f"no match for {where}"
        return f"{fmt.plural(len(matches), 'match', 'matches')} for {where}"

    def _clear_search(self) -> None:
        self._pattern = ""
        self._bad_pattern = False
        self._stepped = False
        self.view.set_search(None)

    @on(Input.Submitted, "#tail-search")
    def _search(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            query = SearchQuery.compile(event.value, regex=True)
        except SearchError as error:
            self._bad_pattern = True
            self.notify(str(error), title="Search", severity="warning")
            self._status()
            return
        self._bad_pattern = False
        self._stepped = False
        self._pattern = event.value
        self.view.set_search(query if event.value else None)
        self.remove_class("-searching")
        self.view.focus()
        self._status()

    def on_key(self, event: events.Key) -> None:
        if event.key == "escape" and self.has_class("-searching"):
            event.stop()
            self.remove_class("-searching")
            self.view.focus()
