"""Running a blocking step in a worker thread without leaving it behind on cancellation."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import ParamSpec, TypeVar

__all__ = ["in_thread", "stoppable_in_thread"]

P = ParamSpec("P")
T = TypeVar("T")


async def in_thread(func: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """``asyncio.to_thread``, except that a cancellation waits for the thread to finish.

    A write cut off mid-way would otherwise go on in its thread while the
    caller already closes or removes the file it writes to.
    """
    future = asyncio.ensure_future(asyncio.to_thread(func, *args, **kwargs))
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        await asyncio.wait([future])
        raise


async def stoppable_in_thread(func: Callable[[threading.Event], T]) -> T:
    """Run ``func(stop)`` in a thread; a cancellation sets ``stop`` and waits for it to return.

    ``func`` checks ``stop`` between steps, so a long extraction ends soon
    after the user cancels, having cleaned up after itself.
    """
    stop = threading.Event()
    future = asyncio.ensure_future(asyncio.to_thread(func, stop))
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        stop.set()
        await asyncio.wait([future])
        raise
