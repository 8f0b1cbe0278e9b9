"""Watching tasks until they finish."""

from __future__ import annotations

import pytest

from inductiva_top.api.models import Task
from inductiva_top.monitor.foresight.rules import WatchRule
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


# -- watch rules -------------------------------------------------------------------------


def of(task_id: str, status: str, project: str = "sweep-a", simulator: str = "sim") -> Task:
    return Task(task_id=task_id, status=status, project=project, simulator=simulator)


def test_a_rule_reports_the_tasks_of_its_project_on_its_events() -> None:
    rule = WatchRule(project="sweep-a", on=("failed",))
    watcher = Watcher(rules=(rule,))
    assert (
        watcher.observe([of("a", "started"), of("b", "started"), of("c", "started", "other")]) == []
    )
    arrivals = watcher.observe(
        [of("a", "failed"), of("b", "success"), of("c", "executer-failed", "other")]
    )
    assert [(a.task_id, a.kind, a.rule) for a in arrivals] == [("a", "failed", rule)]
    assert not watcher.is_watched("a")  # a rule does not put tasks on the w list


def test_a_rule_reports_every_entry_into_its_events() -> None:
    watcher = Watcher(rules=(WatchRule(project="sweep-a", on=("running",)),))
    watcher.observe([of("a", "submitted")])
    assert [a.status for a in watcher.observe([of("a", "started")])] == ["started"]
    # Moving within the group is not news; coming back to it after a preemption is.
    assert watcher.observe([of("a", "computation-started")]) == []
    assert watcher.observe([of("a", "spot-instance-preempted")]) == []
    assert [a.status for a in watcher.observe([of("a", "started")])] == ["started"]


def test_a_rule_says_nothing_of_a_task_first_seen_in_its_event() -> None:
    watcher = Watcher(rules=(WatchRule(project="sweep-a"),))
    assert watcher.observe([of("a", "failed"), of("b", "success")]) == []


def test_by_default_a_rule_reports_finished_and_failed() -> None:
    watcher = Watcher(rules=(WatchRule(simulator="openfoam"),))
    started = [of(t, "started", simulator="openfoam") for t in "abc"]
    watcher.observe([*started, of("d", "started")])
    ended = [
        of("a", "success", simulator="openfoam"),
        of("b", "killed", simulator="openfoam"),
        of("c", "ttl-exceeded", simulator="openfoam"),
        of("d", "failed"),
    ]
    assert [a.task_id for a in watcher.observe(ended)] == ["a", "b", "c"]


def test_a_task_watched_and_selected_by_a_rule_is_told_once() -> None:
    rule = WatchRule(project="sweep-a", on=("running", "failed"))
    watcher = Watcher(rules=(rule,))
    watcher.toggle(of("a", "submitted"))
    watcher.observe([of("a", "submitted")])
    assert [(a.status, a.rule) for a in watcher.observe([of("a", "started")])] == [
        ("started", rule)
    ]
    assert watcher.is_watched("a")  # still watched: it has not ended
    assert [(a.status, a.rule) for a in watcher.observe([of("a", "failed")])] == [("failed", rule)]
    assert not watcher.is_watched("a")


def test_rule_projects_name_what_to_poll() -> None:
    watcher = Watcher(
        rules=(WatchRule(project="a"), WatchRule(simulator="s"), WatchRule(project="b"))
    )
    assert watcher.rule_projects() == {"a", "b"}


def test_rules_know_their_events() -> None:
    rule = WatchRule(project="p", on=("failed", "killed"))
    assert "executer-failed" in rule.codes and "killed" in rule.codes
    assert "success" not in rule.codes
    assert rule.describe() == "project p: failed, killed"
    assert WatchRule().describe() == "every task: finished, failed"
    with pytest.raises(ValueError, match="unknown event 'faild'"):
        WatchRule(on=("faild",))
    with pytest.raises(ValueError, match="at least one event"):
        WatchRule(on=())


def test_a_toast_says_what_happened_without_repeating_itself() -> None:
    def said(status: str) -> str:
        watcher = Watcher()
        watcher.toggle(task("a", "started"))
        (arrival,) = watcher.observe([task("a", status)])
        return arrival.sentence

    assert said("success") == "a succeeded"
    assert said("failed") == "a failed"
    assert said("executer-failed") == "a failed: Machine Failed"
    assert said("killed") == "a was killed"
    assert said("executer-terminated-by-user") == "a was stopped: Terminated by User"
    assert " is " not in said("success")
