"""When the n-th task of a FIFO queue gets one of m machines.

A machine group has ``machines`` slots; some are busy now and free up in
known times, the rest are free. The tasks of the queue take the slots in
order as they free up, each holding one for ``each`` seconds. Then the task
with ``ahead`` tasks before it starts at the ``ahead + 1``-th moment a slot
is free: slot ``i`` is free at ``free_in[i] + c * each`` for ``c = 0, 1, ...``.

The answer is found by bisection on that count, so it costs
``O(machines * log)`` whatever the queue's length: cheap enough for every
waiting row of every refresh. When some tasks ahead are known one by one,
each with its own duration, :func:`starts_after` places them first, one
at a time, and the rest as above.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence

__all__ = ["all_done_in", "starts_after", "starts_in"]

_PRECISION = 0.01
"""Seconds: bisection stops when the answer is known this closely."""

_SHORTEST = 1e-3
"""A task takes at least this long, so a queue always drains in finite steps."""


def _slots(free_in: Sequence[float], machines: int) -> list[float]:
    if machines < 1:
        raise ValueError(f"machines must be at least 1, got {machines}")
    busy = [max(0.0, seconds) for seconds in free_in]
    # More tasks running than the group is said to have: believe what runs.
    return sorted(busy + [0.0] * max(0, machines - len(busy)))


def _free_moments(slots: Sequence[float], each: float, until: float) -> int:
    """How many times, by ``until``, a slot becomes free (its first time included)."""
    return sum(math.floor((until - free) / each) + 1 for free in slots if free <= until)


def starts_in(free_in: Sequence[float], machines: int, ahead: int, each: float) -> float:
    """Seconds until the task with ``ahead`` tasks before it gets a slot.

    ``free_in``: seconds until each busy slot is free (at most one per slot;
    more than ``machines`` of them count as that many slots); ``each``: how
    long every task ahead holds its slot.
    """
    if ahead < 0:
        raise ValueError(f"ahead must be at least 0, got {ahead}")
    slots = _slots(free_in, machines)
    each = max(each, _SHORTEST)
    wanted = ahead + 1
    low, high = slots[0], slots[0] + ahead * each
    if _free_moments(slots, each, low) >= wanted:
        return low
    # Invariant: fewer than ``wanted`` moments by ``low``, enough by ``high``.
    while high - low > _PRECISION:
        middle = (low + high) / 2
        if _free_moments(slots, each, middle) >= wanted:
            high = middle
        else:
            low = middle
    return high


def starts_after(
    free_in: Sequence[float],
    machines: int,
    known: Sequence[float],
    more: int,
    each: float,
) -> float:
    """Seconds until the task behind ``known`` and then ``more`` tasks ahead gets a slot.

    ``known``: the durations of the first tasks ahead, in queue order; the
    ``more`` after them hold a slot ``each`` seconds.
    """
    slots = _slots(free_in, machines)
    heapq.heapify(slots)
    for seconds in known:
        heapq.heapreplace(slots, slots[0] + max(seconds, _SHORTEST))
    return starts_in(slots, len(slots), max(0, more), each)


def all_done_in(free_in: Sequence[float], machines: int, waiting: int, each: float) -> float:
    """Seconds until the busy slots and ``waiting`` more tasks are all done."""
    busy_done = max((max(0.0, seconds) for seconds in free_in), default=0.0)
    if waiting <= 0:
        return busy_done
    last_start = starts_in(free_in, machines, waiting - 1, each)
    return max(busy_done, last_start + max(each, _SHORTEST))
