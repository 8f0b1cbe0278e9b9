"""A watched task's news reaches the desktop: the chosen sequence, written to the terminal."""

from __future__ import annotations

import pytest

from inductiva_top.monitor.foresight.notify import NotifyVia
from inductiva_top.monitor.foresight.rules import WatchRule
from inductiva_top.ui.app import InductivaTopApp
from tests.conftest import ServerProcess
from tests.server.task_helpers import submit
from tests.ui.dashboard_helpers import PY, make_app, until

# Seen running for a few refreshes, then fails: a rule fires on the change it sees.
FAILS_LATER = [PY, "-c", "import sys, time; time.sleep(3); sys.exit(3)"]


async def written_until(
    app: InductivaTopApp,
    monkeypatch: pytest.MonkeyPatch,
    marker: str,
    linger: float = 0.0,
    keep: str | None = None,
) -> list[str]:
    """What ``app`` writes to its terminal until some of it holds ``marker`` (and ``linger``
    seconds more): the escape sequences of its own, between Textual's frames, that hold
    ``keep`` (default: ``marker``)."""
    written: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        driver = app._driver
        assert driver is not None
        monkeypatch.setattr(driver, "write", written.append)
        await until(pilot, lambda: any(marker in text for text in written), "a notification")
        await pilot.pause(linger)
    return [text for text in written if (keep or marker) in text]


async def test_a_watch_rule_writes_the_chosen_sequence_wrapped_for_tmux(
    live_server: ServerProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMUX", "/tmp/tmux-0/default,1,0")
    app = make_app(
        live_server,
        notify_via=NotifyVia.OSC777,
        watch=(WatchRule(project="sweep-a", on=("failed",)),),
    )
    with live_server.client() as client:
        task_id = submit(client, FAILS_LATER, project="sweep-a")
        submit(client, FAILS_LATER, project="other")  # no rule selects it
    # The other task fails too (lingering 1.5 s), and must say nothing.
    notifications = await written_until(app, monkeypatch, "]777;", linger=1.5)
    expected = f"\x1bPtmux;\x1b\x1b]777;notify;inductiva-top: Watch rule;{task_id} failed\x07\x1b\\"
    assert notifications == [expected]


async def test_notify_watches_every_task_and_osc9_writes_one_field(
    live_server: ServerProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TMUX", raising=False)
    app = make_app(live_server, notify=True, notify_via=NotifyVia.OSC9)
    with live_server.client() as client:
        task_id = submit(client, FAILS_LATER, project="any")
    notifications = await written_until(app, monkeypatch, "\x1b]9;")
    # One field: the title's ": " joins it to the body; ";" never separates anything more.
    assert notifications == [f"\x1b]9;inductiva-top: Task finished: {task_id} failed\x07"]


async def test_the_tab_shows_a_watched_projects_completion_then_takes_it_away(
    live_server: ServerProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TMUX", raising=False)
    monkeypatch.setenv("WT_SESSION", "1")  # Windows Terminal draws OSC 9;4
    app = make_app(live_server, notify_via=NotifyVia.OSC777, watch=(WatchRule(project="sweep-c"),))
    with live_server.client() as client:
        submit(client, [PY, "-c", "pass"], project="sweep-c")
        submit(client, [PY, "-c", "import time; time.sleep(3)"], project="sweep-c")
        submit(client, [PY, "-c", "pass"], project="other")  # no rule names it
    progress = await written_until(app, monkeypatch, "\x1b]9;4;0;0\x07", keep="\x1b]9;4;")
    # Half done while the long one runs (maybe none done at first), then the bar goes.
    assert "\x1b]9;4;1;50\x07" in progress
    assert progress[-1] == "\x1b]9;4;0;0\x07"
    assert set(progress) <= {"\x1b]9;4;1;0\x07", "\x1b]9;4;1;50\x07", "\x1b]9;4;0;0\x07"}
    assert len(progress) == len(set(progress))  # each written once: only on change
