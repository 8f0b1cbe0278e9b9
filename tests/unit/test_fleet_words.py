"""Why, in words, the money meter and the header's room for it: sentences and figures."""

from __future__ import annotations

import pytest

from inductiva_top.api.models import Executer, MachineGroup, Task, UserInfo
from inductiva_top.monitor import fmt
from inductiva_top.monitor.fleet.money import Money, fleet_money, runway
from inductiva_top.monitor.fleet.why import GUIDANCE, status_why, task_why, waiting_why
from inductiva_top.monitor.foresight.estimates import WaitReason
from inductiva_top.monitor.statuses import KNOWN_STATUSES
from inductiva_top.ui.widgets.header import fit_header

# -- why a status ----------------------------------------------------------------------


def test_every_known_status_has_its_own_guidance_and_nothing_else_does() -> None:
    assert set(GUIDANCE) == set(KNOWN_STATUSES)
    for code, guidance in GUIDANCE.items():
        assert guidance.what.endswith(".") and guidance.todo.endswith("."), code
        assert guidance.what != guidance.todo


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("spot-instance-preempted", "automatic resubmission"),
        ("executer-failed", "full disk"),
        ("executer-terminated-ttl-exceeded", "longer time to live"),
        ("zombie", "shut down before it started"),
        ("executer-terminated-credits-exhausted", "Add credits"),
        ("failed", "stderr"),
    ],
)
def test_guidance_carries_the_lifecycle_guides_facts(code: str, words: str) -> None:
    assert words in status_why(code).line


def test_an_unknown_status_gets_an_honest_generic_line_naming_it() -> None:
    why = status_why("warp-\x1b[31mdrive")
    assert "does not know" in why.what and "warp-drive" in why.what
    assert "\x1b" not in why.line


def test_a_full_disk_in_the_executors_detail_is_named_whatever_the_status() -> None:
    task = Task(
        task_id="t",
        status="failed",
        executer=Executer(error_detail="OSError: [Errno 28] No space left on device"),
    )
    why = task_why(task)
    assert why.what.startswith("The machine's disk was full")
    assert "No space left on device" in why.what
    assert "larger disk" in why.todo


def test_a_tasks_own_error_detail_is_quoted_sanitized_and_short() -> None:
    detail = "solver diverged at step 120\x1b]52;c;evil\x07" + "x" * 500
    why = task_why(Task(task_id="t", status="failed", error_detail=detail))
    assert "It said: solver diverged at step 120" in why.what
    assert "\x1b" not in why.what and "evil" not in why.what
    assert len(why.what) < len(GUIDANCE["failed"].what) + 200
    assert why.todo == GUIDANCE["failed"].todo


def test_without_quoting_the_detail_is_left_out_but_a_full_disk_still_named() -> None:
    failed = Task(task_id="t", status="failed", error_detail="solver diverged")
    assert task_why(failed, quote=False) == GUIDANCE["failed"]
    full = Task(task_id="t", status="failed", error_detail="ENOSPC: no space left")
    assert task_why(full, quote=False).what == "The machine's disk was full."


# -- why it waits --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "ahead", "machines", "running", "status", "words"),
    [
        (WaitReason.TASKS_AHEAD, 3, 2, 2, None, "3 tasks ahead of it on 2 machines, all busy."),
        (WaitReason.TASKS_AHEAD, 1, 1, 1, None, "1 task ahead of it on 1 machine, which is busy."),
        (WaitReason.TASKS_AHEAD, 4, None, 0, None, "4 tasks ahead of it."),
        (WaitReason.GROUP_BUSY, 0, 1, 1, None, "Next in line; the group's one machine is busy."),
        (WaitReason.GROUP_BUSY, 0, 3, 3, None, "all 3 machines of its group are busy"),
        (WaitReason.NEXT, 0, 2, 1, None, "Next in line for a free machine."),
        (WaitReason.GROUP_NOT_STARTED, 0, 0, 0, "starting", "still starting"),
        (WaitReason.GROUP_NOT_STARTED, 0, 0, 0, "start_failed", "failed to start"),
        (WaitReason.GROUP_TERMINATED, 2, 0, 0, "terminated", "will never start"),
        (WaitReason.WAITING_FOR_INPUT, 0, 1, 0, None, "input files"),
    ],
)
def test_why_a_task_waits_in_words(
    reason: WaitReason,
    ahead: int,
    machines: int | None,
    running: int,
    status: str | None,
    words: str,
) -> None:
    said = waiting_why(
        reason, tasks_ahead=ahead, machines=machines, running=running, group_status=status
    )
    assert words in said


def test_quota_names_the_credits_left() -> None:
    said = waiting_why(WaitReason.QUOTA, tasks_ahead=0, machines=1, running=0, credits_left="$0.20")
    assert said.startswith("Quota reached") and "$0.20 left" in said


# -- money ---------------------------------------------------------------------------


def _group(name: str, current: float | None, status: str = "started") -> MachineGroup:
    return MachineGroup.model_validate(
        {"name": name, "status": status, "cost_per_hour": {"current": current}}
    )


def _account(credits: float, threshold: float = 5.0, counted: bool = True) -> UserInfo:
    return UserInfo(
        total_available_credits=credits,
        terminate_resources_credits_threshold=threshold,
        credits_counted=counted,
    )


def test_the_fleets_rate_sums_live_groups_and_ignores_ended_ones() -> None:
    groups = [_group("a", 1.2), _group("b", 0.25), _group("c", 9.0, status="terminated")]
    money = fleet_money(groups, None)
    assert money.rate == pytest.approx(1.45) and not money.rate_partial
    assert money.variants() == ("$1.45/h",)


def test_a_group_that_does_not_say_its_rate_makes_the_sum_a_lower_bound() -> None:
    money = fleet_money([_group("a", 1.0), _group("b", None)], None)
    assert money.rate_text() == "≥$1.00/h"


def test_runway_is_the_credits_above_the_stop_line_at_this_rate() -> None:
    money = fleet_money([_group("a", 2.0)], _account(33.0, threshold=5.0))
    assert money.runway_hours == pytest.approx(14.0)
    assert money.variants() == (
        "$2.00/h · credits $33.00 last ~14 h at this rate; machines stop at $5.00",
        "$2.00/h · $33.00 lasts ~14 h",
        "$2.00/h · ~14 h left",
        "$2.00/h",
    )


def test_uncounted_credits_give_the_rate_alone() -> None:
    money = fleet_money([_group("a", 0.3)], _account(0.0, threshold=0.0, counted=False))
    assert money.credits is None and money.variants() == ("$0.30/h",)


def test_nothing_billing_and_exhausted_credits_say_so() -> None:
    idle = fleet_money([], _account(12.0))
    assert idle.runway_hours is None
    assert idle.variants()[0] == "$0.00/h · credits $12.00: nothing is billed now"
    spent = fleet_money([_group("a", 0.5)], _account(4.0, threshold=5.0))
    assert spent.exhausted and spent.variants()[1] == "$0.50/h · credits exhausted"
    assert spent.variants()[-1] == "$0.50/h"


@pytest.mark.parametrize(
    ("hours", "text"),
    [
        (0.001, "under a minute"),
        (0.4, "~24 min"),
        (1.93, "~1h 55m"),
        (2.999, "~3h 00m"),
        (14.2, "~14 h"),
        (100.0, "~4 days"),
    ],
)
def test_runway_reads_roughly(hours: float, text: str) -> None:
    assert runway(hours) == text


def test_amounts_are_short() -> None:
    assert [fmt.money(v) for v in (0, 0.004, 0.45, 2.414, 1234.5)] == [
        "$0.00",
        "$0.004",
        "$0.45",
        "$2.41",
        "$1,234",
    ]
    assert fmt.money(3.5, "EUR") == "3.50 EUR"


def test_money_variants_always_end_with_the_rate() -> None:
    for money in (Money(1.0), Money(1.0, credits=3.0, threshold=1.0), Money(0.0, credits=1.0)):
        assert money.variants()[-1] == money.rate_text()


# -- the header's room ----------------------------------------------------------------

COUNTS = {"computation-started": 4, "submitted": 6, "success": 20, "failed": 6, "killed": 1}
METER = Money(1.41, credits=2.99, threshold=0.25)


def test_the_header_drops_the_meters_words_first_and_keeps_the_rate() -> None:
    wide = fit_header(200, COUNTS, METER.variants())
    assert wide[0] and wide[2] == METER.variants()[0] and "running" in str(wide[1])
    # 120 columns leave about 83 for title, counts and meter: the counts go compact
    # before the meter loses its runway.
    title, counts, meter = fit_header(83, COUNTS, METER.variants())
    assert title and str(counts) == "▶4 ◷6 ✔20 ✘6 ⊘1"
    assert meter == "$1.41/h · $2.99 lasts ~1h 55m"
    # 80 columns: the rate alone, the title kept.
    assert fit_header(43, COUNTS, METER.variants()) == (True, counts, "$1.41/h")
    # Narrower still: the title goes, the rate stays.
    assert fit_header(26, COUNTS, METER.variants()) == (False, counts, "$1.41/h")
    assert fit_header(5, COUNTS, METER.variants())[2] == "$1.41/h"


def test_the_header_without_a_meter_is_as_before() -> None:
    title, counts, meter = fit_header(120, COUNTS, ())
    assert title and meter == "" and "running" in str(counts)
