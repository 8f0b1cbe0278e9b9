"""The money meter: what the fleet costs per hour now, and how long the credits last.

Compute is billed while a machine is up, busy or not, so the fleet's rate is
the sum of each live group's ``cost_per_hour.current``. Where ``GET
/users/info`` gives credits, the runway is how long they last at that rate
before reaching ``terminate_resources_credits_threshold``, where the API
stops the machines. :meth:`Money.variants` says it at several lengths, the
words dropped first and the rate kept, so the header fits any width.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from inductiva_top.api.models import MachineGroup, UserInfo
from inductiva_top.monitor import fmt

__all__ = ["ENDED_STATUSES", "Money", "fleet_money", "runway"]

ENDED_STATUSES = frozenset({"terminated", "shutting_down"})
"""Group statuses whose machines are going or gone: they bill nothing more."""


def runway(hours: float) -> str:
    """A rough duration: ``under a minute``, ``~25 min``, ``~1h 45m``, ``~14 h``, ``~3 days``."""
    if hours < 1 / 60:
        return "under a minute"
    if hours < 1:
        return f"~{max(1, round(hours * 60))} min"
    if hours < 10:
        whole = math.floor(hours)
        minutes = round((hours - whole) * 60 / 5) * 5
        if minutes == 60:
            whole, minutes = whole + 1, 0
        return f"~{whole}h {minutes:02d}m"
    if hours < 48:
        return f"~{round(hours)} h"
    return f"~{round(hours / 24)} days"


@dataclass(frozen=True)
class Money:
    """The fleet's rate now and, when the API counts them, the credits left."""

    rate: float
    """USD per hour the live groups cost now (a lower bound when ``rate_partial``)."""
    rate_partial: bool = False
    """Some live group did not say what it costs now."""
    credits: float | None = None
    """Credits left; None when the API gives none (or does not count them)."""
    threshold: float | None = None
    """Credits left at which the API stops the machines."""
    currency: str | None = "USD"

    @property
    def exhausted(self) -> bool:
        """The credits are at (or below) the level where machines stop."""
        return self.credits is not None and self.credits <= (self.threshold or 0.0)

    @property
    def runway_hours(self) -> float | None:
        """Hours until the credits reach the stop level at this rate (None: not known or never)."""
        if self.credits is None or self.rate <= 0 or self.exhausted:
            return None
        return (self.credits - (self.threshold or 0.0)) / self.rate

    def rate_text(self) -> str:
        """``$1.37/h`` (``≥$1.37/h`` when a group did not say its rate)."""
        return f"{'≥' if self.rate_partial else ''}{fmt.money(self.rate, self.currency)}/h"

    def variants(self) -> tuple[str, ...]:
        """The meter at every length it has, longest first; the last is the rate alone."""
        rate = self.rate_text()
        if self.credits is None:
            return (rate,)
        left = fmt.money(self.credits, self.currency)
        stop = fmt.money(self.threshold, self.currency) if self.threshold is not None else None
        if self.exhausted:
            line = f"the stop line ({stop})" if stop is not None else "zero"
            return (
                f"{rate} · credits {left}: at {line}, billed machines stop",
                f"{rate} · credits exhausted",
                rate,
            )
        hours = self.runway_hours
        if hours is None:
            free = f"{rate} · credits {left}: nothing is billed now"
            return (free, f"{rate} · {left} left", rate)
        lasts = runway(hours)
        stops = f"; machines stop at {stop}" if stop is not None else ""
        return (
            f"{rate} · credits {left} last {lasts} at this rate{stops}",
            f"{rate} · {left} lasts {lasts}",
            f"{rate} · {lasts} left",
            rate,
        )


def fleet_money(groups: Iterable[MachineGroup], account: UserInfo | None) -> Money:
    """The meter from the listed groups and the account (None: not asked yet, or no credits)."""
    rate = 0.0
    partial = False
    for group in groups:
        if group.status in ENDED_STATUSES:
            continue
        current = group.cost_per_hour.current if group.cost_per_hour is not None else None
        if current is None:
            partial = True
        else:
            rate += max(0.0, current)
    credits = threshold = None
    currency = "USD"
    if account is not None and account.credits_counted:
        credits = account.total_available_credits
        threshold = account.terminate_resources_credits_threshold
        currency = account.credits_currency or currency
    return Money(rate, partial, credits, threshold, currency)
