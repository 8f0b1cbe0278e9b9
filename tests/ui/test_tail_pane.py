"""The tail pane against a real embedded server: follow, archive, modes, hostile output."""

from __future__ import annotations

import pytest

from inductiva_top.api.live import LiveTask, NoLive
from inductiva_top.monitor.output.tailsource import TailMode, TailSource
from inductiva_top.ui.services import PaneServices
from inductiva_top.ui.widgets.tail import TailPanel
from tests.conftest import ServerFactory, ServerProcess
from tests.server.task_helpers import submit, wait_status
from tests.ui.dashboard_helpers import until
from tests.ui.pane_helpers import PY, client_of, restartable_server, run_python, tail_on


def texts(panel: TailPanel) -> list[str]:
    return [line.text for line in panel.view.lines]


async def test_follow_shows_new_lines_of_a_running_task(module_server: ServerProcess) -> None:
    script = (
        "import sys, time\n"
        "for i in range(600):\n"
        "    print(f'tick {i}', flush=True)\n"
        "    time.sleep(0.1)\n"
    )
    task_id = run_python(module_server, script, "computation-started")
    async with client_of(module_server, kill=[task_id]) as client:
        task = await client.get_task(task_id)
        async with tail_on(PaneServices(client), task) as (pilot, panel):
            await until(pilot, lambda: panel.target is not None, "a target")
            assert panel.target is not None and panel.target.source is TailSource.LIVE
            await until(pilot, lambda: len(texts(panel)) >= 3, "three lines")
            assert isinstance(panel.live, LiveTask) and panel.live.via == "HTTP"
            seen = len(texts(panel))
            await until(pilot, lambda: len(texts(panel)) > seen, "a newer line")
            assert texts(panel)[0] == "tick 0"
            assert panel.view.following


async def test_the_line_being_written_shows_and_is_rewritten_in_place(
    module_server: ServerProcess,
) -> None:
    """A ``\r`` progress bar shows while it runs, as one line a terminal would rewrite."""
    script = (
        "import sys, time\n"
        "print('solving', flush=True)\n"
        "for i in range(6000):\n"
        "    sys.stdout.write(f'\\rstep {i:4d} of 6000 [' + '#' * (i % 20) + ']')\n"
        "    sys.stdout.flush()\n"
        "    time.sleep(0.1)\n"
        "print()\n"
    )
    task_id = run_python(module_server, script, "computation-started")
    async with client_of(module_server, kill=[task_id]) as client:
        task = await client.get_task(task_id)
        async with tail_on(PaneServices(client), task, size=(100, 20)) as (pilot, panel):

            def bar() -> str:
                lines = panel.view.lines
                return lines[-1].text if lines and not lines[-1].complete else ""

            await until(pilot, lambda: bar().startswith("step"), "the progress bar")
            shown = bar()
            await until(pilot, lambda: bar() not in ("", shown), "the bar to move")
            assert texts(panel)[0] == "solving"
            assert len(panel.view.lines) == 2  # rewritten in place, not a line per step
            row = "".join(segment.text for segment in panel.view.render_line(1))
            assert row.startswith(bar())


HOSTILE = (
    "import sys\n"
    "out = sys.stdout.buffer\n"
    "out.write(b'osc52 \\x1b]52;c;aGVsbG8=\\x07 end\\n')\n"
    "out.write(b'title \\x1b]0;pwned\\x07 end\\n')\n"
    "out.write(b'csi \\x1b[31mred\\x1b[0m \\x1b[2J end\\n')\n"
    "out.write('c1 \\x9b31m \\x85 end\\n'.encode())\n"
    "out.write('bidi \\u202egnp.exe\\u202c \\u2066x\\u2069 end\\n'.encode())\n"
    "out.write(b'markup [bold]x[/] [link=http://e.vil]y[/link]\\n')\n"
    "out.write(b'invalid \\xff\\xfe\\xc3 utf8\\n')\n"
    "out.write(b'progress 10%\\rprogress 50%\\rprogress 100%\\n')\n"
    "out.write(b'L' * 1_000_000 + b'\\n')\n"
    "out.write(b'last line\\n')\n"
)
FORBIDDEN = set(chr(c) for c in range(0x00, 0x20)) | set(chr(c) for c in range(0x7F, 0xA0))
FORBIDDEN |= set("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def rendered(panel: TailPanel, rows: int) -> list[str]:
    """The text of the pane's rendered strips, segment by segment, as the terminal gets it."""
    view = panel.view
    out = []
    for y in range(rows):
        strip = view.render_line(y)
        out.append("".join(segment.text for segment in strip))
    return out


@pytest.mark.parametrize("live", [False, True], ids=["archive", "follow"])
async def test_hostile_output_never_reaches_the_terminal_raw(
    module_server: ServerProcess, live: bool
) -> None:
    if live:  # still running: the lines come over the follow stream
        script = HOSTILE + "sys.stdout.flush()\nimport time\ntime.sleep(600)\n"
        task_id = run_python(module_server, script, "computation-started")
    else:
        task_id = run_python(module_server, HOSTILE, "success")
    async with client_of(module_server, kill=[task_id] if live else []) as client:
        task = await client.get_task(task_id)
        async with tail_on(PaneServices(client), task, size=(120, 30)) as (pilot, panel):
            await until(pilot, lambda: "last line" in texts(panel), "the last line")
            expected = TailSource.LIVE if live else TailSource.ARCHIVE
            assert panel.target is not None and panel.target.source is expected
            panel.view.scroll_to(0, 0, animate=False, immediate=True)
            await pilot.pause()
            screen = rendered(panel, 12)
            for row in screen:
                assert not FORBIDDEN & set(row), repr(row)
            joined = "\n".join(screen)
            assert "markup [bold]x[/] [link=http://e.vil]y[/link]" in joined
            assert "progress 100%" in joined and "progress 10%" not in joined
            assert "pwned" not in joined.replace("title", "")  # the OSC payload is dropped
            long_line = next(line for line in panel.view.lines if line.text.startswith("LLL"))
            assert long_line.cut and len(long_line.text) < 2100
            assert "cut" in long_line.text
            # Every segment the widget hands to the compositor is clean too.
            for y in range(12):
                for segment in panel.view.render_line(y):
                    assert not FORBIDDEN & set(segment.text)


async def test_finished_task_tail_reads_only_the_file_range(
    module_server: ServerProcess,
) -> None:
    # A 4 MiB incompressible file sits in the archive beside a small stdout.
    script = (
        "import os\n"
        "open('big.bin', 'wb').write(os.urandom(4 * 1024 * 1024))\n"
        "for i in range(50):\n"
        "    print(f'line {i}')\n"
    )
    task_id = run_python(module_server, script, "success")
    async with client_of(module_server) as client:
        task = await client.get_task(task_id)
        before = client.stats.snapshot()
        async with tail_on(PaneServices(client), task) as (pilot, panel):
            await until(pilot, lambda: "line 49" in texts(panel), "the last stdout line")
            assert texts(panel)[0] == "line 0"
        spent = client.stats.snapshot() - before
        assert spent.bytes_received < 256 * 1024, spent


async def test_mode_cycles_to_stderr_and_both(module_server: ServerProcess) -> None:
    script = "import sys\nprint('to out')\nprint('to err', file=sys.stderr)\n"
    task_id = run_python(module_server, script, "success")
    async with client_of(module_server) as client:
        task = await client.get_task(task_id)
        async with tail_on(PaneServices(client), task) as (pilot, panel):
            await until(pilot, lambda: texts(panel) == ["to out"], "stdout")
            panel.view.focus()
            await pilot.press("o")
            assert panel.mode is TailMode.STDERR
            await until(pilot, lambda: texts(panel) == ["to err"], "stderr")
            await pilot.press("o")
            await until(pilot, lambda: len(texts(panel)) == 2, "both")
            streams = {line.stream for line in panel.view.lines}
            assert streams == {"stdout", "stderr"}
            assert "err│" in "".join(s.text for s in panel.view.render_line(1))


async def test_cloud_running_task_says_live_tail_is_not_available(
    module_server: ServerProcess,
) -> None:
    task_id = run_python(module_server, "import time; time.sleep(600)", "computation-started")
    async with client_of(module_server, kill=[task_id]) as client:
        # Without aiortc there is no WebRTC file tracker to follow the task with.
        services = PaneServices(client, webrtc=False)
        services.live.routes = False  # what the probe finds on the Inductiva cloud
        task = await client.get_task(task_id)
        async with tail_on(services, task) as (pilot, panel):
            await until(pilot, lambda: isinstance(panel.live, NoLive), "the choice")
            assert panel.target is not None and panel.target.source is TailSource.LIVE
            assert "not available yet" in (panel.view.message or "")
            assert "pip install 'inductiva-top[live]'" in (panel.view.message or "")
            assert "live" not in str(panel.query_one("#tail-status").render())
            assert not panel.workers or all(
                w.group != "tail" or w.is_finished for w in panel.workers
            )


async def test_search_highlights_and_bad_regex_is_explained(
    module_server: ServerProcess,
) -> None:
    script = "for i in range(30):\n    print(f'row {i} ' + ('ERROR' if i % 10 == 3 else 'ok'))\n"
    task_id = run_python(module_server, script, "success")
    async with client_of(module_server) as client:
        task = await client.get_task(task_id)
        async with tail_on(PaneServices(client), task, size=(100, 12)) as (pilot, panel):
            await until(pilot, lambda: len(texts(panel)) == 30, "30 lines")
            panel.view.focus()
            await pilot.press("slash")
            await pilot.press(*"ERR(OR")
            await pilot.press("enter")
            status = str(panel.query_one("#tail-status").render())
            assert "bad regex" in status
            search = panel.query_one("#tail-search")
            search.value = "ERR.R"  # type: ignore[attr-defined]
            await pilot.press("enter")
            assert len(panel.view.matches) == 3
            await pilot.press("n")
            first = panel.view.matches[0]
            assert first.index == 3
            strip = panel.view.render_line(first.index - int(panel.view.scroll_y))
            styled = [s for s in strip if s.text == "ERROR"]
            assert styled and styled[0].style is not None and styled[0].style.bgcolor is not None
            assert not panel.view.following
            await pilot.press("end")
            assert panel.view.following


async def test_moving_to_another_task_cancels_the_previous_stream(
    module_server: ServerProcess,
) -> None:
    chatty = (
        "import time\nfor i in range(6000):\n    print(f'a {i}', flush=True)\n    time.sleep(0.1)\n"
    )
    with module_server.client() as http:
        first = submit(http, [PY, "-c", chatty])
        second = submit(http, [PY, "-c", "print('b only')"])
        wait_status(http, first, "computation-started")
        wait_status(http, second, "success")
    async with client_of(module_server, kill=[first]) as client:
        task = await client.get_task(first)
        async with tail_on(PaneServices(client, tail_lines=50), task) as (pilot, panel):
            await until(pilot, lambda: len(texts(panel)) >= 2, "the first task's lines")
            streaming = [w for w in panel.app.workers if w.group == "tail" and not w.is_finished]
            assert len(streaming) == 1
            panel.selected = await client.get_task(second)
            await until(pilot, lambda: texts(panel) == ["b only"], "the second task's output")
            await until(pilot, lambda: streaming[0].is_finished, "the first stream to stop")
            assert streaming[0].is_cancelled
            await pilot.pause(0.5)
            assert texts(panel) == ["b only"]  # nothing of the first task leaks in


async def test_the_buffer_keeps_at_most_tail_lines(module_server: ServerProcess) -> None:
    task_id = run_python(module_server, "for i in range(500):\n    print(f'l {i}')\n", "success")
    async with client_of(module_server) as client:
        task = await client.get_task(task_id)
        async with tail_on(PaneServices(client, tail_lines=50), task) as (pilot, panel):
            await until(pilot, lambda: "l 499" in texts(panel), "the last line")
            assert texts(panel) == [f"l {i}" for i in range(450, 500)]


async def test_a_failed_read_is_retried_once_the_server_is_back(
    server_factory: ServerFactory,
) -> None:
    server = restartable_server(server_factory)
    task_id = run_python(server, "print('survived')", "success")
    async with client_of(server) as client:
        task = await client.get_task(task_id)
        server.stop()
        # Finished: read from the archive, no probe needed.
        async with tail_on(PaneServices(client), task, size=(100, 20)) as (pilot, panel):
            await until(pilot, lambda: "retrying" in (panel.view.message or ""), "the retry note")
            server.start()
            await until(pilot, lambda: texts(panel) == ["survived"], "the output after the retry")


async def test_search_counts_agree_in_number_and_stay_with_their_task(
    module_server: ServerProcess,
) -> None:
    with module_server.client() as http:
        one = submit(http, [PY, "-c", "print('ERROR once')\nprint('fine')"])
        other = submit(http, [PY, "-c", "print('nothing to see')"])
        wait_status(http, one, "success")
        wait_status(http, other, "success")
    async with client_of(module_server) as client:
        task = await client.get_task(one)
        async with tail_on(PaneServices(client), task, size=(100, 12)) as (pilot, panel):

            def status() -> str:
                return str(panel.query_one("#tail-status").render())

            await until(pilot, lambda: len(texts(panel)) == 2, "the first task's output")
            panel.view.focus()
            await pilot.press("slash", *"ERROR", "enter")
            assert "1 match for /ERROR/" in status()
            panel.selected = await client.get_task(other)
            await until(pilot, lambda: texts(panel) == ["nothing to see"], "the other output")
            assert "match" not in status() and "ERROR" not in status()
            assert panel.view.matches == []
