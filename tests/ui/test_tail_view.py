"""The tail view alone, fed directly: follow, pause, unseen lines, End, bounded drops."""

from __future__ import annotations

from inductiva_top.monitor.output.tailbuffer import TailBuffer
from inductiva_top.ui.widgets.tailview import TailView
from tests.ui.pane_helpers import PaneApp


def feed(view: TailView, first: int, count: int) -> None:
    text = "".join(f"line {i}\n" for i in range(first, first + count))
    view.apply(view.buffer.feed(text))


def top_line(view: TailView) -> str:
    return "".join(segment.text for segment in view.render_line(0)).strip()


async def test_scrolling_up_pauses_counts_new_lines_end_resumes_and_home_goes_back() -> None:
    app = PaneApp(lambda: TailView(TailBuffer(max_lines=50), id="view"))
    async with app.run_test(size=(60, 12)) as pilot:
        view = app.query_one(TailView)
        view.focus()
        feed(view, 0, 100)
        await pilot.pause()
        assert view.following and view.scroll_y == view.max_scroll_y
        assert top_line(view) == f"line {100 - view.size.height}"
        await pilot.press("up", "up", "up")
        assert not view.following
        reading = top_line(view)
        feed(view, 100, 10)  # ten new lines, ten old ones dropped
        await pilot.pause()
        assert view.new_lines == 10
        assert top_line(view) == reading  # what the user reads stays put
        await pilot.press("end")
        assert view.following and view.new_lines == 0
        await pilot.pause()
        assert top_line(view) == f"line {110 - view.size.height}"
        # At 1,000 lines/s every batch drops old lines and lands while Home is on its
        # way (a press in Pilot waits for the end): Home went nowhere, the batch's
        # follow scroll took the view back to the end before the animation moved.
        app.animation_level = "full"  # as in a terminal (tests run without animations)
        await view.run_action("scroll_home")
        feed(view, 110, 5)
        await pilot.pause()
        assert not view.following and view.scroll_y == 0
        assert top_line(view) == "line 65"  # the oldest line kept


def row_text(view: TailView, y: int) -> str:
    return "".join(segment.text for segment in view.render_line(y))


async def test_wrap_puts_a_long_line_over_rows_and_back() -> None:
    app = PaneApp(lambda: TailView(TailBuffer(), id="view"))
    async with app.run_test(size=(30, 12)) as pilot:
        view = app.query_one(TailView)
        view.apply(view.buffer.feed("x" * 70 + "\nshort\n"))
        await pilot.pause()
        assert view.virtual_size.height == 2 and view.virtual_size.width > 30
        view.wrap = True
        await pilot.pause()
        width = view.scrollable_content_region.width
        rows = -(-70 // width)
        assert view.virtual_size == (width, rows + 1)
        assert [row_text(view, y)[:width].rstrip() for y in range(rows + 1)] == [
            *(("x" * 70)[i : i + width] for i in range(0, 70, width)),
            "short",
        ]
        view.wrap = False
        await pilot.pause()
        assert view.virtual_size.height == 2


async def test_a_message_wraps_to_be_read_in_full() -> None:
    app = PaneApp(lambda: TailView(TailBuffer(), id="view"))
    async with app.run_test(size=(24, 8)) as pilot:
        view = app.query_one(TailView)
        message = "Could not read the output: the API refused the connection (retrying in 3 s)"
        view.reset(message)
        await pilot.pause()
        shown = " ".join(row_text(view, y).strip() for y in range(8)).split()
        assert shown == message.split()
