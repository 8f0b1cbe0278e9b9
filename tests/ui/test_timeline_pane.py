"""The timeline pane fed with real tasks of a real embedded server."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from textual.visual import Visual

from inductiva_top.api.models import Task, TaskWithStatusHistory
from inductiva_top.monitor.fmt import Formatter
from inductiva_top.monitor.task.timeline import build_timeline
from inductiva_top.ui.widgets import timeline as timeline_module
from inductiva_top.ui.widgets.timeline import TimelineView, render_timeline
from tests.conftest import ServerProcess
from tests.server.task_helpers import submit, wait_status
from tests.ui.pane_helpers import PY, Shown, client_of, pane_on, run_python


def timeline_on(task: Task | TaskWithStatusHistory, size: tuple[int, int]) -> Shown[TimelineView]:
    """The timeline pane alone, on ``task``."""
    return pane_on(lambda: TimelineView(id="timeline"), task, size=size)


def screen_text(view: TimelineView) -> str:
    return "\n".join("".join(s.text for s in view.render_line(y)) for y in range(view.size.height))


async def test_timeline_of_a_task_that_waited_ran_and_succeeded(
    live_server: ServerProcess,
) -> None:
    with live_server.client() as http:
        # Two slots: the third task waits in the queue until one of the first two ends.
        blockers = [submit(http, [PY, "-c", "import time; time.sleep(1.0)"]) for _ in range(2)]
        task_id = submit(http, [PY, "-c", "import time; print('x'); time.sleep(0.3)"])
        for other in [*blockers, task_id]:
            wait_status(http, other, "success")
    async with client_of(live_server) as client:
        task = await client.get_task(task_id)
        async with timeline_on(task, (100, 20)) as (pilot, view):
            await pilot.pause()
            timeline = view.timeline
            assert timeline is not None and not timeline.live
            codes = [s.code for s in timeline.states]
            assert codes[:2] == ["pending-input", "submitted"] and codes[-1] == "success"
            waited = timeline.states[1].seconds
            ran = next(s for s in timeline.states if s.code == "computation-started").seconds
            assert waited >= 0.5 and ran >= 0.3  # it queued behind the blockers, then ran
            ops = [s.code for s in timeline.rows if s.depth == 1]
            assert ops == [
                "download_input",
                "uncompress_input",
                "exec_command",
                "compress_output",
                "upload_output",
            ]
            text = screen_text(view)
            assert "In Queue" in text and "Running" in text and "Success" in text
            assert "█" in text and "$ " in text and "time.sleep(0.3)" in text
            # The queue bar is longer than the preparing bar: lengths are proportional.
            lines = text.splitlines()
            queue = next(line for line in lines if "In Queue" in line)
            prep = next(line for line in lines if "Preparing" in line)
            assert queue.count("█") > prep.count("█")
            # The compact form for narrow panes: no bars, durations kept.
            await pilot.resize_terminal(40, 20)
            await pilot.pause()
            narrow = screen_text(view)
            assert "█" not in narrow and "In Queue" in narrow


async def test_timeline_of_a_killed_task(live_server: ServerProcess) -> None:
    task_id = run_python(live_server, "import time; time.sleep(600)", "computation-started")
    async with client_of(live_server) as client:
        task = await client.get_task(task_id)
        async with timeline_on(task, (100, 20)) as (pilot, view):
            await pilot.pause()
            assert view.timeline is not None and view.timeline.live
            assert view.timeline.rows[-1].open or view.timeline.states[-1].open
            await client.kill(task_id)
            with live_server.client() as http:
                wait_status(http, task_id, "killed")
            view.selected = await client.get_task(task_id)
            await pilot.pause()
            timeline = view.timeline
            assert timeline is not None and not timeline.live
            codes = [s.code for s in timeline.states]
            assert codes[-2:] == ["pending-kill", "killed"]
            exec_op = next(s for s in timeline.rows if s.code == "exec_command")
            assert exec_op.status == "FAILED" and exec_op.killed  # the server's word, read right
            text = screen_text(view)
            assert "FAILED" not in text and "      killed" in text
            # The outcome comes first, and why.
            assert text.splitlines()[0].startswith("⊘ Killed · after ")
            assert text.splitlines()[1].strip() == "Killed on request."


T0 = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)


def _at(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat()


def _entry(status: str, start: float, end: float | None, **extra: Any) -> dict[str, Any]:
    end_at = _at(end) if end is not None else None
    return {"status": status, "timestamp": _at(start), "end_timestamp": end_at, **extra}


def _task(status: str, history: list[dict[str, Any]]) -> TaskWithStatusHistory:
    return TaskWithStatusHistory.model_validate(
        {"task_id": "t1", "status": status, "status_history": history}
    )


def test_only_failed_operations_are_spelled_out() -> None:
    history = [
        _entry(
            "computation-started",
            0,
            None,
            operations=[
                {
                    "name": "download_input",
                    "start_timestamp": _at(0),
                    "end_timestamp": _at(1),
                    "status": "FAILED",
                },
                {"name": "exec_command", "start_timestamp": _at(1), "status": "RUNNING"},
            ],
        )
    ]
    text = render_timeline(build_timeline(_task("computation-started", history), T0), 80).plain
    assert "FAILED" in text and "RUNNING" not in text


async def test_a_failed_task_says_so_and_why_on_top(live_server: ServerProcess) -> None:
    """At 120x40 the timeline pane is short: the outcome and its reason are its first lines."""
    script = "import sys\nprint('bad input', file=sys.stderr)\nsys.exit(3)\n"
    task_id = run_python(live_server, script, "failed")
    async with client_of(live_server) as client:
        task = await client.get_task(task_id)
        async with timeline_on(task, (36, 12)) as (pilot, view):
            await pilot.pause()
            lines = screen_text(view).splitlines()
            assert lines[0].startswith("✘ Failed · after ")
            reason = " ".join(line.strip() for line in lines[1:3])
            assert reason == "the command failed with exit code 3", lines


def test_a_running_task_counts_its_time_so_far() -> None:
    history = [_entry("submitted", 0, 5), _entry("computation-started", 5, None)]
    timeline = build_timeline(_task("computation-started", history), T0 + timedelta(seconds=42))
    first = render_timeline(timeline, 80).plain.splitlines()[0]
    assert first == "▶ Running · 42s so far"


async def test_a_poll_that_changes_nothing_redraws_nothing(
    live_server: ServerProcess, monkeypatch: Any
) -> None:
    """Each poll hands the panes a fresh copy of the cursor task: over SSH a timeline
    that says the same must not be redrawn (nor the screen laid out again)."""
    task_id = run_python(live_server, "print('x')", "success")
    async with client_of(live_server) as client:
        task = await client.get_task(task_id)
        async with timeline_on(task, (100, 20)) as (pilot, view):
            await pilot.pause()
            refreshes: list[dict[str, Any]] = []
            monkeypatch.setattr(
                view, "refresh", lambda *regions, **kw: refreshes.append({"regions": regions, **kw})
            )
            # A field the timeline does not show changed, as the next poll brings.
            view.selected = task.model_copy(update={"estimated_computation_cost": 1.5})
            await pilot.pause()
            assert refreshes == []


def _running_with_steps() -> TaskWithStatusHistory:
    """A task that waited, prepared in two steps and runs (open since 40 s in)."""
    history = [
        _entry("submitted", 0, 10),
        _entry(
            "started",
            10,
            40,
            operations=[
                {"name": "download_input", "timestamp": _at(10), "end_timestamp": _at(20)},
                {"name": "uncompress_input", "timestamp": _at(20), "end_timestamp": _at(40)},
            ],
        ),
        _entry("computation-started", 40, None),
    ]
    return _task("computation-started", history)


async def test_a_tick_paints_only_the_lines_that_say_something_new(monkeypatch: Any) -> None:
    """Textual painted the whole text whenever part of it was repainted: the timeline of a
    running task, a dozen lines, through Textual's content pipeline every second."""
    clock = [T0 + timedelta(seconds=1000, microseconds=1)]  # bars move once in 15 s
    formatter = Formatter(clock=lambda: clock[0])
    task = _running_with_steps()
    async with pane_on(lambda: TimelineView(formatter, id="timeline"), task, size=(100, 20)) as (
        pilot,
        view,
    ):
        await pilot.pause()
        before = screen_text(view).splitlines()
        painted: list[int] = []
        to_strips = Visual.to_strips.__func__  # type: ignore[attr-defined]

        def counting(cls: type[Visual], widget: Any, *args: Any, **kwargs: Any) -> Any:
            strips = to_strips(cls, widget, *args, **kwargs)
            if widget is view:
                painted.append(len(strips))
            return strips

        monkeypatch.setattr(Visual, "to_strips", classmethod(counting))
        made: list[int] = []
        render = timeline_module.render_timeline

        def making(*args: Any, **kwargs: Any) -> Any:
            made.append(1)
            return render(*args, **kwargs)

        monkeypatch.setattr(timeline_module, "render_timeline", making)
        clock[0] += timedelta(seconds=1)
        view._tick()
        await pilot.pause()
        after = screen_text(view).splitlines()
        changed = sum(1 for old, new in zip(before, after, strict=True) if old != new)
        assert 0 < changed < len(after)  # the total, the open state's duration
        assert sum(painted) == changed
        assert len(made) == 1  # its height, its lines and its paint ask for the same text
        assert after[0].startswith("▶ Running · 16m 41s so far")
