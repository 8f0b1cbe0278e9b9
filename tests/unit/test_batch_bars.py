"""Status counts by kind and the stacked bars drawn from them (as data)."""

from __future__ import annotations

import pytest

from inductiva_top.api.models import Project
from inductiva_top.monitor.batch.bars import (
    BAR_ORDER,
    GLYPHS,
    KindCounts,
    completion,
    legend,
    stacked_bar,
)
from inductiva_top.monitor.foresight.notify import Notifier, NotifyVia
from inductiva_top.monitor.statuses import StatusKind

S, F, K, R, W = (
    StatusKind.SUCCESS,
    StatusKind.FAILED,
    StatusKind.KILLED,
    StatusKind.RUNNING,
    StatusKind.WAITING,
)


def test_an_overview_is_counted_by_kind_and_nulls_count_nothing() -> None:
    counts = KindCounts.of_overview(
        {"success": 5, "failed": 1, "zombie": 2, "killed": None, "submitted": 3, "started": 1}
    )
    assert (counts[S], counts[F], counts[K], counts[W], counts[R]) == (5, 3, 0, 3, 1)
    assert counts.total == 12 and counts.done == 8 and counts.active == 4
    assert counts.success_rate == pytest.approx(5 / 8)
    assert KindCounts.of_overview(None).success_rate is None


def test_codes_of_unknown_or_missing_status_count_as_other() -> None:
    counts = KindCounts.of_codes(["success", None, "warp-drive-failure"])
    assert counts[S] == 1 and counts[StatusKind.OTHER] == 2
    assert (counts + counts)[S] == 2


def test_a_bar_fills_its_width_done_first_then_running_then_waiting() -> None:
    counts = KindCounts({W: 5, S: 3, F: 1, R: 1})
    bar = stacked_bar(counts, 20)
    assert [segment.kind for segment in bar] == [S, F, R, W]
    assert sum(segment.cells for segment in bar) == 20
    assert "".join(segment.text for segment in bar) == "█" * 6 + "╳" * 2 + "▒" * 2 + "░" * 10


def test_a_single_failure_among_ten_thousand_still_shows() -> None:
    bar = stacked_bar(KindCounts({S: 9_999, F: 1}), 12)
    assert [(segment.kind, segment.cells) for segment in bar] == [(S, 11), (F, 1)]


@pytest.mark.parametrize("width", [0, 1, 3, 7, 30])
def test_a_bar_is_exactly_as_wide_as_asked_for_any_mix(width: int) -> None:
    counts = KindCounts({S: 7, F: 2, K: 1, R: 3, W: 11, StatusKind.OTHER: 1})
    assert sum(segment.cells for segment in stacked_bar(counts, width)) == width


def test_no_task_draws_no_bar() -> None:
    assert stacked_bar(KindCounts(), 10) == ()


def test_every_kind_has_its_own_glyph_and_the_legend_names_them() -> None:
    assert len(set(GLYPHS.values())) == len(BAR_ORDER)
    entries = legend()
    assert [glyph for _, glyph, _ in entries] == [GLYPHS[kind] for kind, _, _ in entries]
    assert [word for _, _, word in entries] == ["ok", "failed", "killed", "running", "waiting"]


def test_completion_of_the_named_projects_and_its_tab_progress_bytes() -> None:
    projects = [
        Project(name="a", task_status_overview={"success": 1, "failed": 1, "in-queue": 2}),
        Project(name="b", task_status_overview={"computation-started": 4}),
        Project(name="other", task_status_overview={"success": 10}),
    ]
    assert completion(projects, {"a"}) == 50.0
    assert completion(projects, {"a", "b"}) == 25.0
    assert completion(projects, {"gone"}) is None
    windows = Notifier(NotifyVia.OSC777, progress_bar=True)
    assert windows.progress(completion(projects, {"a", "b"})) == "\x1b]9;4;1;25\x07"
