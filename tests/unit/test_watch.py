"""Watching tasks until they finish."""

from __future__ import annotations

from inductiva_top.api.models import Task
from inductiva_top.monitor.watch import Watcher


def task(task_id: str, status: str) -> Task:
    return Task(task_id=task_id, status=status)


def test_a_watched_task_is_reported_once_when_it_finishes() -> None:
    watcher = Watcher()
    assert watcher.toggle(task("a", "started")) is True
    assert watcher.observe([task("a", "started"), task("b", "started")]) == []
    arrivals = watcher.observe([task("a", "success"), task("b", "failed")])
    assert [(a.task_id, a.status, a.kind) for a in arrivals] == [("a", "success", "success")]
    assert watcher.observe([task("a", "success")]) == []
    assert not watcher.is_watched("a")


def test_unwatching_stops_the_report() -> None:
    watcher = Watcher()
    watcher.toggle(task("a", "in-queue"))
    assert watcher.toggle(task("a", "in-queue")) is False
    assert watcher.observe([task("a", "killed")]) == []


def test_watch_all_reports_every_transition_but_not_tasks_first_seen_finished() -> None:
    watcher = Watcher(watch_all=True)
    assert watcher.observe([task("a", "started"), task("b", "success")]) == []
    arrivals = watcher.observe([task("a", "executer-failed"), task("b", "success")])
    assert [(a.task_id, a.kind) for a in arrivals] == [("a", "failed")]
    assert watcher.is_watched("zzz")


def test_a_task_watched_when_already_finished_says_nothing() -> None:
    watcher = Watcher()
    watcher.toggle(task("a", "success"))
    assert watcher.observe([task("a", "success")]) == []
    assert watcher.pending() == set()


def test_pending_lists_watched_tasks_not_yet_finished() -> None:
    watcher = Watcher()
    watcher.toggle(task("a", "started"))
    watcher.toggle(task("b", "failed"))
    assert watcher.pending() == {"a"}


def test_the_server_is_terminated_flag_wins() -> None:
    watcher = Watcher()
    watcher.toggle(task("a", "started"))
    arrivals = watcher.observe([Task(task_id="a", status="weird-new-code", is_terminated=True)])
    assert [a.label for a in arrivals] == ["weird-new-code"]


def test_to_fetch_names_pending_watched_tasks_not_held_up_to_a_limit() -> None:
    watcher = Watcher()
    for task_id in ("c", "a", "b", "d"):
        watcher.toggle(task(task_id, "started"))
    watcher.toggle(task("done", "success"))
    assert watcher.to_fetch([task("b", "started")], limit=2) == ["a", "c"]
    assert watcher.to_fetch([task("b", "started")]) == ["a", "c", "d"]
