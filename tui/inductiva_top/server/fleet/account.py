"""The account's credits: a budget the server was given, and what the fleet has spent of it.

Spending is what the machine groups cost (machines are billed while they
are up), summed over every group this data dir has had, past incarnations
and terminated groups included, so restarting the server gives no credits
back. With no budget (the default) credits are not counted at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from inductiva_top.server.tasks.groups import MachineGroupRow
from inductiva_top.server.tasks.machines import Fleet


@dataclass(frozen=True)
class Budget:
    """The credits the server was started with (``serve --credits``)."""

    credits: float
    """USD the account had before this data dir's first machine was billed."""
    threshold: float = 0.0
    """USD left below which billed machines stop (``terminate_resources_credits_threshold``)."""


def group_cost(row: MachineGroupRow, fleet: Fleet, now: float) -> float:
    """What the current incarnation of a group has cost by ``now``."""
    group = fleet.of(row)
    if group is None:
        return row.cost
    return group.cost_at(now)


def spent(rows: list[MachineGroupRow], fleet: Fleet, now: float) -> float:
    """What every group in ``rows`` (give them all, terminated ones too) has cost by ``now``."""
    return sum(row.past_cost + group_cost(row, fleet, now) for row in rows)


def available(budget: Budget, rows: list[MachineGroupRow], fleet: Fleet, now: float) -> float:
    """Credits left by ``now`` (may fall below zero between two meter ticks)."""
    return budget.credits - spent(rows, fleet, now)
