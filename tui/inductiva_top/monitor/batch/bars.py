"""Task counts by status kind, and the stacked bar that draws them, as data.

A bar is a sequence of :class:`BarSegment` (a kind and how many cells it
takes), done first: succeeded, failed, killed, then running and waiting. Each
kind has its own glyph (:data:`GLYPHS`), so a bar reads without colour
(``NO_COLOR``, a monochrome terminal); :func:`legend` names them. Every kind
that has a task gets at least one cell when the bar is wide enough, so one
failure among 10,000 runs is still visible.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from inductiva_top.api.models import Project
from inductiva_top.monitor.statuses import StatusKind, status_info

__all__ = [
    "BAR_ORDER",
    "GLYPHS",
    "BarSegment",
    "KindCounts",
    "completion",
    "legend",
    "stacked_bar",
]

BAR_ORDER: tuple[StatusKind, ...] = (
    StatusKind.SUCCESS,
    StatusKind.FAILED,
    StatusKind.KILLED,
    StatusKind.RUNNING,
    StatusKind.WAITING,
    StatusKind.OTHER,
)
"""Left to right: what is done, then what runs, then what waits."""

GLYPHS: Mapping[StatusKind, str] = MappingProxyType(
    {
        StatusKind.SUCCESS: "█",
        StatusKind.FAILED: "╳",
        StatusKind.KILLED: "╱",
        StatusKind.RUNNING: "▒",
        StatusKind.WAITING: "░",
        StatusKind.OTHER: "?",
    }
)
"""One glyph per kind, all different: the bar reads without colour."""

_LEGEND_WORDS: Mapping[StatusKind, str] = MappingProxyType(
    {
        StatusKind.SUCCESS: "ok",
        StatusKind.FAILED: "failed",
        StatusKind.KILLED: "killed",
        StatusKind.RUNNING: "running",
        StatusKind.WAITING: "waiting",
        StatusKind.OTHER: "other",
    }
)

_DONE = frozenset({StatusKind.SUCCESS, StatusKind.FAILED, StatusKind.KILLED})


@dataclass(frozen=True)
class KindCounts:
    """How many tasks there are of each status kind."""

    by_kind: Mapping[StatusKind, int] = field(default_factory=dict)

    @classmethod
    def of_overview(cls, overview: Mapping[str, int | None] | None) -> KindCounts:
        """From a ``task_status_overview`` (status code -> count; nulls count as 0)."""
        by_kind: dict[StatusKind, int] = {}
        for code, count in (overview or {}).items():
            if count:
                kind = status_info(code).kind
                by_kind[kind] = by_kind.get(kind, 0) + count
        return cls(by_kind)

    @classmethod
    def of_codes(cls, codes: Iterable[str | None]) -> KindCounts:
        """One task per code (``None``: a task whose status is not known, counted as other)."""
        by_kind: dict[StatusKind, int] = {}
        for code in codes:
            kind = status_info(code).kind if code is not None else StatusKind.OTHER
            by_kind[kind] = by_kind.get(kind, 0) + 1
        return cls(by_kind)

    def __getitem__(self, kind: StatusKind) -> int:
        return self.by_kind.get(kind, 0)

    def __add__(self, other: KindCounts) -> KindCounts:
        kinds = set(self.by_kind) | set(other.by_kind)
        return KindCounts({kind: self[kind] + other[kind] for kind in kinds})

    @property
    def total(self) -> int:
        """Every task counted."""
        return sum(self.by_kind.values())

    @property
    def done(self) -> int:
        """Tasks that succeeded, failed or were killed."""
        return sum(self[kind] for kind in _DONE)

    @property
    def active(self) -> int:
        """Tasks running or waiting."""
        return self[StatusKind.RUNNING] + self[StatusKind.WAITING]

    @property
    def success_rate(self) -> float | None:
        """Succeeded over done; ``None`` before anything is done."""
        done = self.done
        return self[StatusKind.SUCCESS] / done if done else None


@dataclass(frozen=True)
class BarSegment:
    """``cells`` cells of the glyph of ``kind``."""

    kind: StatusKind
    cells: int

    @property
    def glyph(self) -> str:
        return GLYPHS[self.kind]

    @property
    def text(self) -> str:
        return self.glyph * self.cells


def stacked_bar(counts: KindCounts, width: int) -> tuple[BarSegment, ...]:
    """The segments of a bar ``width`` cells wide; empty when there is no task.

    Cells are shared in proportion (largest remainder); then every kind
    present that got none takes one from the widest, so a rare kind never
    vanishes while the bar has room for it.
    """
    present = [kind for kind in BAR_ORDER if counts[kind] > 0]
    total = counts.total
    if width <= 0 or total == 0:
        return ()
    shares = {kind: counts[kind] / total * width for kind in present}
    cells = {kind: int(shares[kind]) for kind in present}
    left = width - sum(cells.values())
    # The largest remainders take the cells rounding left over (ties: bar order).
    for kind in sorted(present, key=lambda k: shares[k] - int(shares[k]), reverse=True)[:left]:
        cells[kind] += 1
    for kind in present:
        widest = max(present, key=lambda k: cells[k])
        if cells[kind] == 0 and cells[widest] > 1:
            cells[widest] -= 1
            cells[kind] = 1
    return tuple(BarSegment(kind, cells[kind]) for kind in present if cells[kind] > 0)


def completion(projects: Iterable[Project], names: Iterable[str]) -> float | None:
    """Percent of the tasks of the projects ``names`` that are done (finished, any way).

    ``None`` when none of them is listed or they have no tasks: nothing to show.
    """
    wanted = set(names)
    counts = KindCounts()
    for project in projects:
        if project.name in wanted:
            counts += KindCounts.of_overview(project.task_status_overview)
    return 100 * counts.done / counts.total if counts.total else None


def legend(
    kinds: Iterable[StatusKind] = BAR_ORDER[:-1],
) -> tuple[tuple[StatusKind, str, str], ...]:
    """(kind, glyph, word) triples that explain a bar: ``(SUCCESS, "█", "ok")``...

    Other (a status this version does not know) is left out unless asked for.
    """
    return tuple((kind, GLYPHS[kind], _LEGEND_WORDS[kind]) for kind in kinds)
