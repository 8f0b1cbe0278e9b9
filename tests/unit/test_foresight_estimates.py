"""Start, finish and project estimates from fixed histories, with answers worked out by hand."""

from __future__ import annotations

import pytest

from inductiva_top.api.models import Task, TaskMetrics
from inductiva_top.monitor.foresight.durations import (
    Durations,
    FinishedTasks,
    Phase,
    Sample,
    Scope,
    quantile,
    spread,
)
from inductiva_top.monitor.foresight.estimates import (
    GroupFacts,
    Source,
    Span,
    WaitReason,
    estimate_finish,
    estimate_start,
    project_eta,
)
from inductiva_top.monitor.foresight.progress import ProgressTracker
from inductiva_top.monitor.foresight.queueing import all_done_in, starts_after, starts_in
from inductiva_top.monitor.foresight.wording import ends_cell, ends_sentence
from inductiva_top.ui.columns import COLUMNS
from tests.unit.foresight_tasks import NOW, at, finished, history, running, waiting


def seen(*groups: list[Task]) -> FinishedTasks:
    store = FinishedTasks()
    for tasks in groups:
        store.observe(tasks)
    return store


# -- durations ---------------------------------------------------------------------------


def test_quantiles_interpolate_between_neighbours() -> None:
    values = [60.0, 80.0, 100.0, 120.0, 140.0]
    assert quantile(values, 0.2) == pytest.approx(76.0)
    assert quantile(values, 0.5) == 100.0
    assert quantile(values, 0.8) == pytest.approx(124.0)
    assert quantile([7.0], 0.8) == 7.0


def test_only_finished_tasks_that_ran_are_samples() -> None:
    assert Sample.from_task(running("r", -5)) is None
    assert Sample.from_task(Task(task_id="z", status="zombie", end_time=NOW)) is None
    sample = Sample.from_task(finished("f", -100, 40, compute=(2, 35), status="failed"))
    assert sample is not None
    assert (sample.run_seconds, sample.compute_seconds, sample.finalize_seconds) == (40, 33, 5)
    assert sample.succeeded is False


def test_the_servers_computation_seconds_win() -> None:
    task = finished("f", -100, 40, compute=(2, 35)).model_copy(
        update={"metrics": TaskMetrics(computation_seconds=30.5)}
    )
    sample = Sample.from_task(task)
    assert sample is not None and sample.compute_seconds == 30.5


def test_the_most_alike_tier_with_three_durations_answers() -> None:
    store = seen(
        history([10, 10, 10], simulator="a", project="p"),
        history([100] * 5, simulator="b", project="q"),
    )
    mine = store.durations(Phase.RUN, group="g", simulator="a", project="p")
    assert mine is not None and (mine.typical, mine.count, mine.scope) == (
        10,
        3,
        Scope.SIMULATOR_AND_PROJECT,
    )
    other = store.durations(Phase.RUN, group="g", simulator="c", project="r")
    assert other is not None
    assert (other.scope, other.count, other.typical) == (Scope.GROUP, 8, 100)
    assert store.durations(Phase.RUN, group="elsewhere", simulator="a", project="p") is None


def test_two_alike_are_not_enough_and_the_simulator_tier_comes_next() -> None:
    store = seen(
        history([10, 10], simulator="a", project="p"),
        history([20, 20], simulator="a", project="q"),
        history([100] * 4, simulator="b", project="p"),
    )
    mine = store.durations(Phase.RUN, group="g", simulator="a", project="p")
    # 10 and 20, stretched by 5/4: there are only four (test_few_durations_widen_the_range).
    assert mine is not None and (mine.scope, mine.count, mine.low, mine.high) == (
        Scope.SIMULATOR,
        4,
        8,
        25,
    )


def test_failures_give_no_durations_but_count_as_running_at_once() -> None:
    store = seen([finished("x", -100, 50, status="failed"), finished("y", -90, 50)])
    durations = store.durations(Phase.RUN, group="g", simulator="sim", project="p")
    assert durations is not None and durations.count == 1
    assert store.parallelism("g") == 2


def test_parallelism_is_the_most_tasks_that_overlapped() -> None:
    tasks = [
        finished("a", -100, 30),
        finished("b", -90, 30),
        finished("c", -70, 30),  # starts as a ends: machine a is reused
        finished("d", -75, 10),
    ]
    assert seen(tasks).parallelism("g") == 3
    assert FinishedTasks().parallelism("g") is None


def test_the_store_keeps_the_newest_per_group() -> None:
    store = FinishedTasks(per_group=2)
    store.observe([finished("old", -500, 10), finished("mid", -300, 10), finished("new", -100, 10)])
    assert [sample.task_id for sample in store.samples("g")] == ["new", "mid"]
    assert store.observe([finished("new", -100, 10)]) == 0


def test_few_durations_widen_the_range() -> None:
    # One duration says little about the next: half to twice it. Twenty say
    # nearly all their 10th to 90th percentiles do.
    assert spread([100.0]) == (50.0, 200.0)
    assert spread([100.0] * 4) == (pytest.approx(80.0), pytest.approx(125.0))
    twenty = [float(seconds) for seconds in range(10, 210, 10)]
    low, high = spread(twenty)
    assert (low, high) == (pytest.approx(29 * 20 / 21), pytest.approx(181 * 21 / 20))
    assert (quantile(twenty, 0.1), quantile(twenty, 0.9)) == (pytest.approx(29), pytest.approx(181))


def test_remaining_after_uses_the_durations_that_got_this_far() -> None:
    durations = Durations.of([50.0, 60.0, 70.0, 80.0, 90.0], Scope.GROUP)
    assert durations is not None
    # 5, 15, 25, 35 s left: 8 and 32 at the 10th and 90th percentiles, stretched by 5/4.
    assert durations.remaining_after(55) == (pytest.approx(6.4), pytest.approx(40.0))
    assert durations.remaining_after(95) is None
    assert Durations.average(100).remaining_after(30) == (70, 70)


# -- queueing ----------------------------------------------------------------------------


def test_a_free_machine_takes_the_head_of_the_queue_now() -> None:
    assert starts_in([], 1, 0, 10) == 0
    assert starts_in([5], 2, 0, 10) == 0


def test_the_queue_takes_machines_as_they_free_up() -> None:
    assert starts_in([5], 1, 0, 10) == 5
    assert starts_in([5], 1, 2, 10) == pytest.approx(25, abs=0.01)
    # Machines free at 20 and 70; each task takes 100: free moments 20, 70, 120, 170.
    assert starts_in([20, 70], 2, 3, 100) == pytest.approx(170, abs=0.01)


def test_a_long_queue_costs_no_more_than_a_short_one() -> None:
    assert starts_in([], 4, 1_000_000, 1.0) == pytest.approx(250_000, abs=0.01)


def test_more_tasks_running_than_machines_believes_what_runs() -> None:
    assert starts_in([10, 20, 30], 1, 1, 100) == pytest.approx(20, abs=0.01)


def test_tasks_ahead_known_one_by_one_take_their_own_time() -> None:
    assert starts_after([], 1, [10, 20], 0, 5) == 30
    # a and b start now, c when a ends (10); then one more of 5 s at 20, me at 25.
    assert starts_after([], 2, [10, 20, 30], 1, 5) == pytest.approx(25, abs=0.01)


def test_all_done_is_the_last_task_ending() -> None:
    assert all_done_in([10, 0], 2, 4, 100) == pytest.approx(210, abs=0.01)
    assert all_done_in([5, 30], 2, 0, 100) == 30
    with pytest.raises(ValueError, match="machines"):
        starts_in([], 0, 1, 1)


# -- start -------------------------------------------------------------------------------


def test_start_of_a_task_with_three_ahead_on_two_busy_machines() -> None:
    store = seen(history([100] * 5))
    held = [running("r1", -30), running("r2", -80), waiting("me")]
    estimate = estimate_start(
        held[-1],
        now=NOW,
        finished=store,
        held=held,
        tasks_ahead=3,
        facts=GroupFacts(machines=2),
    )
    assert estimate is not None
    assert estimate.span is not None
    # r2 ends in 20 s, r1 in 70 s; three tasks of 100 s go first: 20, 70, 120, then me at 170;
    # from five durations, 5/6 to 6/5 of that.
    assert (estimate.span.low, estimate.span.high) == (
        pytest.approx(170 * 5 / 6, abs=0.02),
        pytest.approx(170 * 6 / 5, abs=0.02),
    )
    assert estimate.reason is WaitReason.TASKS_AHEAD
    assert (estimate.tasks_ahead, estimate.machines, estimate.running) == (3, 2, 2)
    assert estimate.ahead_from_server and estimate.machines_described
    assert estimate.starts_between() == (at(estimate.span.low), at(estimate.span.high))


def test_varied_durations_give_a_range() -> None:
    store = seen(history([60, 80, 100, 120, 140]))
    me = waiting("me")
    estimate = estimate_start(
        me, now=NOW, finished=store, held=[me], tasks_ahead=2, facts=GroupFacts(machines=1)
    )
    assert estimate is not None and estimate.span is not None
    # The 10th and 90th percentiles are 68 and 132, stretched by 6/5 (five durations).
    assert estimate.span.low == pytest.approx(2 * 68 * 5 / 6, abs=0.02)
    assert estimate.span.high == pytest.approx(2 * 132 * 6 / 5, abs=0.02)
    assert estimate.durations is not None and estimate.durations.count == 5


def test_no_history_is_unknown_but_still_says_why() -> None:
    me = waiting("me")
    estimate = estimate_start(me, now=NOW, finished=FinishedTasks(), held=[me], tasks_ahead=4)
    assert estimate is not None
    assert estimate.span is None
    assert estimate.reason is WaitReason.TASKS_AHEAD
    assert estimate.tasks_ahead == 4


@pytest.mark.parametrize(
    ("status", "facts", "reason"),
    [
        ("pending-input", GroupFacts(machines=1), WaitReason.WAITING_FOR_INPUT),
        ("submitted", GroupFacts(machines=1, quota=True), WaitReason.QUOTA),
        ("submitted", GroupFacts(machines=1, started=False), WaitReason.GROUP_NOT_STARTED),
    ],
)
def test_waits_with_no_end_in_sight_are_unknown(
    status: str, facts: GroupFacts, reason: WaitReason
) -> None:
    me = waiting("me", status=status)
    store = seen(history([10] * 3))
    estimate = estimate_start(me, now=NOW, finished=store, held=[me], tasks_ahead=0, facts=facts)
    assert estimate is not None
    assert (estimate.span, estimate.reason) == (None, reason)


def test_next_in_line_with_a_free_machine_starts_now() -> None:
    me = waiting("me")
    held = [running("r", -5), me]
    store = seen(history([10] * 3))
    estimate = estimate_start(
        me, now=NOW, finished=store, held=held, tasks_ahead=0, facts=GroupFacts(machines=2)
    )
    assert estimate is not None
    assert (estimate.span, estimate.reason) == (Span(0, 0), WaitReason.NEXT)


def test_next_in_line_behind_busy_machines_waits_for_the_first_to_free() -> None:
    me = waiting("me")
    held = [running("r", -4), me]
    store = seen(history([10] * 3))
    estimate = estimate_start(me, now=NOW, finished=store, held=held, tasks_ahead=0)
    assert estimate is not None and estimate.span is not None
    assert estimate.reason is WaitReason.GROUP_BUSY
    assert estimate.span.low == pytest.approx(6 * 3 / 4)
    # Without a described size, the group has as many machines as ran at once.
    assert (estimate.machines, estimate.machines_described) == (1, False)


def test_machines_seen_running_at_once_in_the_history() -> None:
    overlapping = [finished(f"o{i}", -1000 + i, 100) for i in range(3)]
    me = waiting("me")
    estimate = estimate_start(me, now=NOW, finished=seen(overlapping), held=[me], tasks_ahead=5)
    assert estimate is not None and estimate.span is not None
    assert (estimate.machines, estimate.machines_described) == (3, False)
    # Three free machines, five ahead of 100 s: three start now, two at 100, me at 100
    # (from three durations: 3/4 of that at the least).
    assert estimate.span.low == pytest.approx(100 * 3 / 4, abs=0.02)


def test_tasks_ahead_counted_from_what_the_dashboard_holds() -> None:
    held = [
        waiting("a", -30),
        waiting("b", -20),
        waiting("me", -10),
        waiting("later", -1),
        waiting("no-inputs", -40, status="pending-input"),
    ]
    estimate = estimate_start(
        held[2], now=NOW, finished=seen(history([50] * 3)), held=held, tasks_ahead=None,
        facts=GroupFacts(machines=1),
    )  # fmt: skip
    assert estimate is not None and estimate.span is not None
    assert (estimate.tasks_ahead, estimate.ahead_from_server) == (2, False)
    assert estimate.span.low == pytest.approx(2 * 50 * 3 / 4, abs=0.02)


def test_held_tasks_ahead_count_with_their_own_durations() -> None:
    store = seen(history([100] * 3, simulator="long"), history([10] * 3, simulator="short"))
    held = [
        waiting("a", -30, simulator="long"),
        waiting("b", -20, simulator="long"),
        waiting("me", -10, simulator="short"),
    ]
    facts = GroupFacts(machines=1)
    both = estimate_start(held[2], now=NOW, finished=store, held=held, tasks_ahead=2, facts=facts)
    assert both is not None and both.span is not None
    assert both.span.low == pytest.approx(200 * 3 / 4, abs=0.02)
    # The server counts one more ahead than the dashboard holds: it is taken to be alike me.
    three = estimate_start(held[2], now=NOW, finished=store, held=held, tasks_ahead=3, facts=facts)
    assert three is not None and three.span is not None
    assert three.span.low == pytest.approx(210 * 3 / 4, abs=0.02)


def test_finish_estimates_made_by_the_caller_are_used_for_the_busy_machines() -> None:
    me = waiting("me")
    held = [running("r", -4), me]
    estimate = estimate_start(
        me,
        now=NOW,
        finished=seen(history([10] * 3)),
        held=held,
        tasks_ahead=0,
        running_left={"r": Span(40, 60)},
    )
    assert estimate is not None and estimate.span == Span(40, 60)


def test_an_overdue_running_task_may_end_now_or_take_a_typical_run() -> None:
    me = waiting("me")
    held = [running("r", -500), me]
    estimate = estimate_start(
        me, now=NOW, finished=seen(history([10] * 3)), held=held, tasks_ahead=0
    )
    assert estimate is not None and estimate.span == Span(0, 10)


def test_only_waiting_tasks_have_a_start_estimate() -> None:
    task = running("r", -4)
    assert estimate_start(task, now=NOW, finished=FinishedTasks(), held=[], tasks_ahead=0) is None


# -- finish ------------------------------------------------------------------------------


def test_finish_from_how_long_alike_tasks_computed() -> None:
    store = seen(history([55, 65, 75, 85, 95], finalize=5))
    estimate = estimate_finish(running("r", -55), now=NOW, finished=store)
    assert estimate is not None and estimate.span is not None
    # Computations of 50..90 s; those past 55 s have 5, 15, 25, 35 s left (6.4 to 40 s,
    # test_remaining_after_...); then five finalizings of 5 s (5 * 5/6 to 5 * 6/5).
    assert estimate.span.low == pytest.approx(6.4 + 5 * 5 / 6)
    assert estimate.span.high == pytest.approx(40 + 5 * 6 / 5)
    assert (estimate.source, estimate.phase, estimate.overdue) == (
        Source.HISTORY,
        Phase.COMPUTE,
        False,
    )
    assert estimate.ends_between() == (at(estimate.span.low), at(estimate.span.high))


def test_a_task_past_every_alike_duration_is_overdue() -> None:
    store = seen(history([55, 65, 75, 85, 95], finalize=5))
    estimate = estimate_finish(running("r", -100), now=NOW, finished=store)
    assert estimate is not None
    assert (estimate.span, estimate.source, estimate.overdue) == (None, None, True)


def test_a_task_past_every_alike_duration_reads_longer_than_usual_not_as_an_alarm() -> None:
    # The demo's long run read "overdue" after 36 s: its alike tasks were all shorter.
    store = seen(history([55, 65, 75, 85, 95], finalize=5))
    estimate = estimate_finish(running("r", -100), now=NOW, finished=store)
    assert estimate is not None
    cell = ends_cell(estimate, NOW)
    assert cell == "> usual"
    assert len(cell) <= COLUMNS["ends"].width  # whole at the column's narrowest
    sentence = ends_sentence(estimate, NOW)
    assert sentence.startswith("longer than usual: it has run longer than every alike")
    assert "5 finished tasks" in sentence and "overdue" not in sentence


def test_preparing_and_finalizing_use_their_own_durations() -> None:
    store = seen(history([55, 65, 75, 85, 95], finalize=5))
    preparing = estimate_finish(running("p", -10, status="started"), now=NOW, finished=store)
    assert preparing is not None and preparing.phase is Phase.RUN
    # Runs of 55..95 s, 10 s gone: 45..85 s left, 49 at the 10th percentile, times 5/6.
    assert preparing.span is not None and preparing.span.low == pytest.approx(49 * 5 / 6)
    ending = running("e", -70).model_copy(
        update={"status": "computation-ended", "computation_end_time": at(-2)}
    )
    finalizing = estimate_finish(ending, now=NOW, finished=store)
    assert finalizing is not None and finalizing.phase is Phase.FINALIZE
    assert finalizing.span is not None
    assert (finalizing.span.low, finalizing.span.high) == (
        pytest.approx(3 * 5 / 6),
        pytest.approx(3 * 6 / 5),
    )


def test_without_compute_times_the_whole_run_is_used() -> None:
    store = seen(history([100] * 3))
    estimate = estimate_finish(running("r", -30), now=NOW, finished=store)
    assert estimate is not None and estimate.phase is Phase.RUN
    assert estimate.span is not None
    assert (estimate.span.low, estimate.span.high) == (
        pytest.approx(70 * 3 / 4),
        pytest.approx(70 * 4 / 3),
    )
    finalizing = running("e", -95, status="computation-ended")
    ending = estimate_finish(finalizing, now=NOW, finished=store)
    assert ending is not None and ending.phase is Phase.RUN
    assert ending.span is not None
    assert (ending.span.low, ending.span.high) == (
        pytest.approx(5 * 3 / 4),
        pytest.approx(5 * 4 / 3),
    )


def test_finish_from_the_tasks_own_progress() -> None:
    store = seen(history([55, 65, 75, 85, 95], finalize=5))
    tracker = ProgressTracker()
    tracker.observe(at(-20), "\rsolving [###---] 30% 30/100")
    reading = tracker.observe(NOW, "\rsolving [#####-] 50% 50/100")
    assert reading is not None and reading.recent_rate == pytest.approx(0.01)
    estimate = estimate_finish(running("r", -100), now=NOW, finished=store, progress=reading)
    assert estimate is not None and estimate.span is not None
    # Half done: 50 s left at the recent rate, 100 s at the rate since the start; then
    # five finalizings of 5 s (5 * 5/6 to 5 * 6/5).
    assert (estimate.span.low, estimate.span.high) == (
        pytest.approx(50 + 5 * 5 / 6),
        pytest.approx(100 + 5 * 6 / 5),
    )
    assert (estimate.source, estimate.progress) == (Source.PROGRESS, reading)


def test_a_reading_from_a_while_ago_counts_the_time_since() -> None:
    tracker = ProgressTracker()
    reading = tracker.observe(at(-10), "25%")
    assert reading is not None
    estimate = estimate_finish(
        running("r", -50), now=NOW, finished=FinishedTasks(), progress=reading
    )
    assert estimate is not None
    # 25 % in 40 s: 120 s left when read, 10 s ago; nothing known of finalizing.
    assert estimate.span == Span(110, 110)


def test_progress_without_a_rate_falls_back_to_history() -> None:
    store = seen(history([100] * 3))
    tracker = ProgressTracker()
    reading = tracker.observe(NOW, "0%")
    estimate = estimate_finish(running("r", -30), now=NOW, finished=store, progress=reading)
    assert estimate is not None and estimate.source is Source.HISTORY


def test_no_history_no_progress_is_unknown() -> None:
    estimate = estimate_finish(running("r", -30), now=NOW, finished=FinishedTasks())
    assert estimate is not None
    assert (estimate.span, estimate.source, estimate.overdue) == (None, None, False)


def test_a_task_being_killed_has_no_finish_estimate() -> None:
    store = seen(history([100] * 3))
    assert (
        estimate_finish(running("k", -30, status="pending-kill"), now=NOW, finished=store) is None
    )


def test_only_running_tasks_have_a_finish_estimate() -> None:
    assert estimate_finish(waiting("w"), now=NOW, finished=FinishedTasks()) is None


# -- project -----------------------------------------------------------------------------


def test_project_eta_runs_the_waiting_tasks_after_the_running_ones() -> None:
    eta = project_eta(
        now=NOW,
        waiting=4,
        running_left=[Span(10, 20)],
        durations=Durations.average(100),
        machines=2,
    )
    # Machines free at 0 and 10 (20): tasks start 0, 10, 100, 110 (0, 20, 100, 120).
    assert eta.span is not None
    assert (eta.span.low, eta.span.high) == (
        pytest.approx(210, abs=0.02),
        pytest.approx(220, abs=0.02),
    )
    assert (eta.waiting, eta.running, eta.machines) == (4, 1, 2)


def test_project_eta_edges() -> None:
    done = project_eta(now=NOW, waiting=0, running_left=[], durations=None)
    assert done.span == Span(0, 0)
    running_only = project_eta(
        now=NOW, waiting=0, running_left=[Span(5, 8), Span(1, 30)], durations=None
    )
    assert running_only.span == Span(5, 30)
    assert project_eta(now=NOW, waiting=3, running_left=[], durations=None).span is None
    # Nothing runs and no size is given: how many at once is not known.
    no_machines = project_eta(now=NOW, waiting=3, running_left=[], durations=Durations.average(9))
    assert no_machines.span is None
    # As many at once as run now, by default; an unknown finish takes up to a typical run.
    eta = project_eta(now=NOW, waiting=1, running_left=[None], durations=Durations.average(10))
    assert eta.span is not None and eta.machines == 1
    assert (eta.span.low, eta.span.high) == (
        pytest.approx(10, abs=0.02),
        pytest.approx(20, abs=0.02),
    )


def test_project_durations_come_from_any_group() -> None:
    store = seen(history([10, 20], group="a", project="p"), history([30], group="b", project="p"))
    durations = store.project_durations("p")
    assert durations is not None and (durations.count, durations.typical) == (3, 20)
