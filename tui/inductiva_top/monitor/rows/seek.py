"""Find the next row of the view whose task matches (``]`` / ``[``: the next failed task).

The view's rows are the server's sorted, filtered list, fetched page by page.
:func:`seek_row` walks from a row down (or up) through the pages the window
holds, and fetches the view's next pages as it reaches them, at most
:data:`SEEK_PAGES` per search: the cost of one key press stays bounded
whatever the number of tasks. The pages fetched stay in the window, so the
table shows the row found without asking again. Nothing here knows about
Textual.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from inductiva_top.api.models import Task, TaskPage
from inductiva_top.monitor.rows.window import RowWindow, TaskQuery

__all__ = ["SEEK_PAGES", "Seek", "seek_row"]

SEEK_PAGES = 10
"""Most pages one search fetches (each one request, or one per code of a merged view)."""


class PagedView(Protocol):
    """What a search walks: the row window and how to fetch one of its pages.

    The dashboard state is one; the rows room does not import it, since the
    state is built on top of the rows.
    """

    @property
    def window(self) -> RowWindow:
        """The rows fetched so far for the current query."""
        ...

    async def fetch_page(self, query: TaskQuery, page: int) -> tuple[int, TaskPage]:
        """Page ``page`` of ``query``, with its number."""
        ...


@dataclass(frozen=True)
class Seek:
    """The outcome of a search: the row found, or how far it looked."""

    index: int | None
    """The row of the first matching task, or None."""
    searched: int
    """Rows looked at."""
    complete: bool
    """True when the search reached the end (or start) of the view."""


async def seek_row(
    state: PagedView,
    start: int,
    step: int,
    wanted: Callable[[Task], bool],
    *,
    max_pages: int = SEEK_PAGES,
) -> Seek:
    """The first row after ``start`` (``step`` 1) or before it (-1) whose task is ``wanted``.

    Raises :class:`~inductiva_top.api.errors.ApiError` when a page fetch
    fails. A view changed meanwhile ends the search (nothing found).
    """
    window = state.window
    query = window.query
    step = 1 if step > 0 else -1
    index, searched, fetched = start + step, 0, 0
    while window.total is not None and 0 <= index < window.total:
        task = window.row(index)
        if task is None:
            if fetched >= max_pages:
                return Seek(None, searched, complete=False)
            page = index // window.page_size + 1
            _, result = await state.fetch_page(query, page)
            if window.query != query:
                return Seek(None, searched, complete=False)
            window.store(query, page, result)
            fetched += 1
            task = window.row(index)
            if task is None:  # the page came back shorter: the view shrank meanwhile
                return Seek(None, searched, complete=True)
        searched += 1
        if wanted(task):
            return Seek(index, searched, complete=True)
        index += step
    return Seek(None, searched, complete=True)
