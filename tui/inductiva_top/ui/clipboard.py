"""Copy to the clipboard with OSC 52, and what ``c`` copies where.

Textual's :meth:`~textual.app.App.copy_to_clipboard` writes the OSC 52
escape sequence, which the terminal (not the machine the app runs on) acts
on, so copying works over SSH. tmux passes it on with ``set -g
set-clipboard on``; macOS Terminal ignores it.

``c`` copies the cursor task's id; with the output pane focused, the lines
it shows (the lines matching the search when there is one); with the files
pane focused, the task's storage path.
"""

from __future__ import annotations

from textual.app import App
from textual.widget import Widget

from inductiva_top.api.models import Task
from inductiva_top.ui.widgets.files import FilesPanel
from inductiva_top.ui.widgets.tail import TailPanel
from inductiva_top.ui.widgets.tailview import TailView

__all__ = ["copy_text", "focused_pane", "tail_selection", "what_to_copy"]

PREVIEW = 40
"""Characters of the copied text shown in the toast."""


def copy_text(app: App[object], text: str, what: str) -> None:
    """Put ``text`` on the clipboard and say so in a toast naming ``what``."""
    app.copy_to_clipboard(text)
    preview = text if len(text) <= PREVIEW else text[: PREVIEW - 1] + "…"
    preview = preview.replace("\n", " ⏎ ")
    app.notify(preview, title=f"Copied {what}", timeout=3, markup=False)


def focused_pane(focused: Widget | None) -> Widget | None:
    """The tail or files panel that holds the focus, if any."""
    node = focused
    while node is not None:
        if isinstance(node, TailPanel | FilesPanel):
            return node
        parent = node.parent
        node = parent if isinstance(parent, Widget) else None
    return None


def tail_selection(view: TailView) -> str:
    """The lines the output pane shows: the search's matching lines, else those on screen."""
    lines = view.lines
    if view.matches:
        indexes = sorted({match.index for match in view.matches})
        return "\n".join(lines[i].text for i in indexes if i < len(lines))
    first = int(view.scroll_y)
    height = max(1, view.scrollable_content_region.height)
    return "\n".join(line.text for line in lines[first : first + height])


def what_to_copy(focused: Widget | None, task: Task | None) -> tuple[str, str] | None:
    """(text, what it is) for ``c``, or None when there is nothing to copy."""
    pane = focused_pane(focused)
    if isinstance(pane, TailPanel):
        text = tail_selection(pane.query_one(TailView))
        return (text, "output lines") if text else None
    if task is None:
        return None
    if isinstance(pane, FilesPanel):
        path = task.storage_path or task.storage_output_path
        return (path, "storage path") if path else None
    return task.task_id, "task id"
