"""The machine-group and monitoring settings the ``serve`` command line takes, with their bounds.

Kept free of heavy imports: the command line imports this module when it starts.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_RATE = 10_000.0
"""The highest rate a local group takes, in USD per machine-hour."""
MAX_IDLE_SECONDS = 30 * 24 * 3600.0
"""The longest idle limit a local group takes (30 days)."""
METRICS_INTERVAL = 5.0
"""Seconds between rows of a running task's ``system_metrics.csv`` (unless told otherwise)."""


@dataclass(frozen=True)
class GroupSpec:
    """A machine group as configured (``serve --machine-group``)."""

    name: str
    slots: int
    machine_type: str = "local"
    cost_per_hour: float = 0.0
    """USD per machine-hour (0: the machines cost nothing)."""
    max_idle_time: float | None = None
    """Seconds without a task after which the group terminates (None: never)."""
