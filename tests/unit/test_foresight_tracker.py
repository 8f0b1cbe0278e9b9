"""What the dashboard foresees of the tasks it holds, and the words the table shows for it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from inductiva_top.api.models import Task
from inductiva_top.monitor.fleet.why import start_why
from inductiva_top.monitor.foresight.estimates import GroupFacts, Span
from inductiva_top.monitor.foresight.tracker import Foresight, left_of
from inductiva_top.monitor.foresight.wording import (
    ends_cell,
    ends_sentence,
    range_text,
    shown_span,
    starts_cell,
    starts_sentence,
)
from tests.unit.foresight_tasks import NOW, at, history, task


def running(task_id: str, since: float) -> Task:
    return task(
        task_id, "computation-started", start_time=at(since), computation_start_time=at(since)
    )


def waiting(task_id: str, queued: float) -> Task:
    return task(task_id, "in-queue", create_time=at(queued), input_submit_time=at(queued))


@pytest.mark.parametrize(
    ("low", "high", "text"),
    [
        (0, 3, "<5 s"),
        (12, 41, "10-45 s"),
        (240, 540, "4-9 min"),
        (300, 300, "5 min"),
        (7200, 10000, "2-3 h"),
    ],
)
def test_ranges_in_words(low: float, high: float, text: str) -> None:
    assert range_text(Span(low, high)) == text


@pytest.mark.parametrize(
    ("low", "high", "shown"),
    [
        (0, 3, (0, 5)),
        (12, 41, (10, 45)),
        (250, 530, (240, 540)),
        (7200, 10000, (7200, 10800)),
    ],
)
def test_the_range_shown_is_what_the_words_say(
    low: float, high: float, shown: tuple[float, float]
) -> None:
    # What the benchmark scores as "inside the range shown": 4-9 min is 240 to 540 s.
    assert shown_span(Span(low, high)) == Span(*shown)


def test_a_span_is_shown_from_now_not_from_when_it_was_made() -> None:
    assert left_of(Span(60, 120), NOW, NOW + timedelta(seconds=90)) == Span(0, 30)


def test_no_history_says_unknown_never_a_number() -> None:
    seer = Foresight(NOW, stall_after=1800)
    tasks = [running("r1", -30), waiting("w1", -20)]
    seer.observe(tasks, {"w1": 0}, NOW)
    assert starts_cell(seer.starts["w1"], NOW) == "unknown"
    assert ends_cell(seer.finishes["r1"], NOW) == "unknown"
    assert "no finished task" in starts_sentence(seer.starts["w1"], NOW)
    assert ends_cell(None, NOW) == starts_cell(None, NOW) == "-"


def test_history_gives_ranges_and_says_so() -> None:
    seer = Foresight(NOW, stall_after=1800)
    done = history([600, 600, 600, 600])  # ten minutes each, one machine seen
    seer.observe([*done, running("r1", -60), waiting("w1", -30)], {"w1": 0}, NOW)
    # 9 min left, from four durations: 4/5 to 5/4 of that (7.2 to 11.25 min).
    assert ends_cell(seer.finishes["r1"], NOW) == "≈7-12 min"
    assert ends_sentence(seer.finishes["r1"], NOW).endswith(
        "(from 4 finished tasks, same simulator and project)"
    )
    # One machine: w1 starts when r1 ends.
    assert starts_cell(seer.starts["w1"], NOW) == "in 7-12 min"
    # A minute later, without a refresh, the cell counts down.
    assert starts_cell(seer.starts["w1"], NOW + timedelta(minutes=1)) == "in 6-11 min"


def test_the_fleets_group_size_wins_over_the_tasks_seen_running_at_once() -> None:
    seer = Foresight(NOW, stall_after=1800)
    done = history([600, 600, 600, 600])  # one machine seen busy at once
    held = [*done, running("r1", -60), waiting("w1", -30), waiting("w2", -20)]
    seer.observe(held, {"w1": 0, "w2": 1}, NOW, {"g": GroupFacts(machines=2, started=True)})
    start = seer.starts["w2"]
    assert (start.machines, start.machines_described) == (2, True)
    # Two machines, one free: w1 takes it now, w2 the other when r1 ends in 7-12 min.
    assert starts_cell(start, NOW) == "in 7-12 min"
    assert starts_sentence(start, NOW).endswith("; 2 machines)")
    assert start_why(start) == "1 task ahead of it on 2 machines."
    # A refresh without the fleet's word keeps what it last said.
    seer.observe(held, {"w1": 0, "w2": 1}, NOW)
    assert seer.starts["w2"].machines_described


def test_running_tasks_left_by_project_for_the_board() -> None:
    seer = Foresight(NOW, stall_after=1800)
    other = task("o1", "computation-started", project="q", group="h", start_time=at(-60),
                 computation_start_time=at(-60))  # fmt: skip
    seer.observe([*history([600] * 4), running("r1", -60), other], {}, NOW)
    left = seer.running_left(NOW + timedelta(minutes=1))
    # Project p's tasks ran 10 min: r1 has 9 min left (4/5 to 5/4 of it, from four), a
    # minute later a minute less; q's group no history.
    assert list(left) == ["p"]
    assert left["p"] == [Span(540 * 4 / 5 - 60, 540 * 5 / 4 - 60)]


def test_a_start_that_cannot_come_says_why_once() -> None:
    seer = Foresight(NOW, stall_after=1800)
    held = [*history([600] * 4), waiting("w1", -30)]
    seer.observe(held, {"w1": 0}, NOW, {"g": GroupFacts(machines=1, terminated=True)})
    start = seer.starts["w1"]
    # The Starts line no longer repeats the reason the Why line gives (in the fleet's words).
    assert starts_sentence(start, NOW) == "not while the reason below holds"
    assert start_why(start).startswith("Its machine group is terminated: this task will never")


def test_progress_from_the_output_wins_and_names_itself() -> None:
    seer = Foresight(NOW, stall_after=1800)
    seer.observe([*history([600] * 4), running("r1", -100)], {}, NOW)
    seer.note_line("r1", "step [#####-----] 50%", NOW)
    seer.observe([*history([600] * 4), running("r1", -100)], {}, NOW)
    estimate = seer.finishes["r1"]
    assert ends_cell(estimate, NOW) == "1-2 min 50%"  # 100 s for half: 100 s more
    assert ends_sentence(estimate, NOW) == "in 1-2 min (from its output's progress, 50%)"


def test_stalled_only_once_the_output_time_is_known_and_old() -> None:
    seer = Foresight(NOW, stall_after=1800)
    seer.observe([running("r1", -7200)], {}, NOW)
    assert not seer.stalled(running("r1", -7200), NOW)  # nobody asked yet
    old = (NOW - timedelta(minutes=31)).isoformat()
    assert seer.note_output_update("r1", [f"{old},/work/r1/output/artifacts/out.vtk"])
    assert seer.stalled(running("r1", -7200), NOW)
    assert seer.output_age("r1", NOW) == pytest.approx(31 * 60)
    fresh = (NOW - timedelta(minutes=2)).isoformat()
    seer.note_output_update("r1", [f"{fresh},/work/r1/output/artifacts/out.vtk"])
    assert not seer.stalled(running("r1", -7200), NOW)


def test_stall_after_zero_never_stalls_and_ended_tasks_are_forgotten() -> None:
    seer = Foresight(NOW, stall_after=0)
    seer.observe([running("r1", -7200)], {}, NOW)
    seer.note_output_update("r1", [f"{(NOW - timedelta(days=1)).isoformat()},/x"])
    assert not seer.stalled(running("r1", -7200), NOW)
    seer.observe([task("r1", "success")], {}, NOW)
    assert seer.output_age("r1", NOW) is None and "r1" not in seer.finishes


def test_the_longest_running_are_checked_first() -> None:
    seer = Foresight(NOW, stall_after=1800)
    seer.observe([running("new", -10), running("old", -900), running("mid", -300)], {}, NOW)
    assert seer.running_ids(2) == ["old", "mid"]


def test_the_history_starts_with_the_first_counts_not_from_zero() -> None:
    seer = Foresight(NOW, stall_after=1800)
    seer.record_counts(NOW, {})  # the first refresh brought no counts yet
    seer.record_counts(NOW + timedelta(seconds=2), {"success": 40})
    seer.record_counts(NOW + timedelta(seconds=4), {"success": 41})
    assert seer.history.total_finishes == 1


def test_new_finished_tasks_change_the_answer_at_the_next_refresh() -> None:
    seer = Foresight(NOW, stall_after=1800)
    seer.observe([*history([600] * 4), running("r1", -60)], {}, NOW)
    assert ends_cell(seer.finishes["r1"], NOW) == "≈7-12 min"
    longer = history([1200] * 6, project="p")
    seer.observe([*longer, running("r1", -60)], {}, NOW)
    # 19 min left, from the six runs of 20 min of its simulator and project (6/7 to 7/6).
    assert ends_cell(seer.finishes["r1"], NOW) == "≈16-23 min"
