"""The cursor stays on its task as new ones arrive, unless following; the table fits its width."""

from __future__ import annotations

from inductiva_top.ui.columns import COLUMNS, DEFAULT_COLUMNS, optional_columns
from tests.ui.table_helpers import TableApp, task


async def test_new_tasks_do_not_take_the_cursor_and_are_counted_above() -> None:
    """On row 0 each new submission used to take the cursor (and every key acting on it)."""
    app = TableApp()
    async with app.run_test(size=(120, 8)) as pilot:
        window = app.show([task(n) for n in range(10, 30)])
        table = app.table
        await pilot.pause()
        assert table.cursor_id == task(10).task_id
        app.show([task(n) for n in range(7, 30)], window)  # three newer tasks on top
        await pilot.pause()
        assert (table.cursor, table.cursor_id) == (3, task(10).task_id)
        assert table.first_row == 3 and table.new_above == 3
        await pilot.press("g")  # to the first row: there they are
        assert (table.cursor, table.first_row, table.new_above) == (0, 0, 0)
        assert table.cursor_id == task(7).task_id


async def test_following_puts_the_cursor_on_each_new_task() -> None:
    app = TableApp()
    async with app.run_test(size=(120, 8)) as pilot:
        window = app.show([task(n) for n in range(10, 30)])
        table = app.table
        table.move_to(5)
        table.set_follow(True)  # to the first row, and ride it
        assert table.cursor_id == task(10).task_id
        app.show([task(n) for n in range(8, 30)], window)
        await pilot.pause()
        assert (table.cursor, table.cursor_id, table.new_above) == (0, task(8).task_id, 0)
        # Off the first row the cursor stays on its task, following or not.
        table.move_to(4)
        app.show([task(n) for n in range(6, 30)], window)
        await pilot.pause()
        assert (table.cursor, table.cursor_id) == (6, task(12).task_id)
        table.set_follow(False)
        table.move_to(0)
        app.show([task(n) for n in range(5, 30)], window)
        await pilot.pause()
        assert table.cursor_id == task(6).task_id


async def test_columns_share_the_width_and_the_id_stays_put() -> None:
    """A long project name is whole at 200 columns; at 80 the id is a unique prefix, frozen."""
    long = "orbital-dynamics-of-three-bodies"
    tasks = [task(n, project=long) for n in range(5)]
    app = TableApp()
    async with app.run_test(size=(200, 10)) as pilot:
        app.show(tasks)
        await pilot.pause()
        row = app.table.render_line(1).text
        assert long in row and tasks[0].task_id in row
    app = TableApp()
    async with app.run_test(size=(80, 10)) as pilot:
        app.show(tasks)
        await pilot.pause()
        table = app.table
        row = table.render_line(1).text
        assert tasks[0].task_id not in row
        prefix = row.split()[0]
        assert tasks[0].task_id.startswith(prefix) and len(prefix) == 8  # unique among the five
        table.action_scroll_columns(40)
        await pilot.pause()
        assert table.scroll_x > 0
        assert table.render_line(1).text.split()[0] == prefix
        assert table.render_line(0).text.split()[0] == "ID"


async def test_the_estimates_show_by_default_only_where_every_column_fits() -> None:
    """STARTS and ENDS join the default set at 200 columns; at 120 they would push
    GROUP and QUEUE off the screen, so they stay out; named in ``columns:``, they scroll."""
    tasks = [task(n, "in-queue", machine_group_name="default") for n in range(5)]
    app = TableApp(optional=optional_columns(None))
    async with app.run_test(size=(200, 20)) as pilot:
        app.show(tasks)
        await pilot.pause()
        keys = [column.key for column in app.table.columns]
        assert keys[-2:] == ["starts", "ends"]
        assert "STARTS" in app.table.render_line(0).text
        await pilot.resize_terminal(120, 20)
        await pilot.pause()
        assert [column.key for column in app.table.columns] == list(DEFAULT_COLUMNS[:-2])
        assert app.table.table_width <= 120
    named = TableApp([COLUMNS[key] for key in DEFAULT_COLUMNS], optional=optional_columns(["id"]))
    async with named.run_test(size=(120, 20)) as pilot:
        named.show(tasks)
        await pilot.pause()
        assert [column.key for column in named.table.columns] == list(DEFAULT_COLUMNS)
