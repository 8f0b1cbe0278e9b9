"""The launch runs without the cyclic garbage collector; it resumes after the first rows.

A launch is mostly imports and building widgets: a few hundred thousand
objects that live as long as the dashboard, none of them garbage. The cyclic
collector still walked them again and again while they piled up, finding
nothing: about 100 ms of CPU before the first rows were painted (issue 16,
``bench/launch.py`` with a ``gc.callbacks`` count). Reference counting
still frees whatever dies meanwhile; only cycles wait.

:func:`pause` is called by the command line first thing; :func:`resume`
once the first refresh has been painted (or has failed), and at the latest
when :data:`RESUME_AFTER` seconds have passed. Resuming freezes what the
launch built (:func:`gc.freeze`): the modules, the app and its screen stay
for the session, so later full collections need not walk them again.
:func:`release` unfreezes them when the app has ended (a profile switch
starts a fresh app: the old one can then be collected).

From then on the youngest generation is collected after
:data:`YOUNG_THRESHOLD` allocations rather than Python's 700: each redraw of
a busy screen (50 running tasks) makes a few thousand short-lived objects
(strips, segments, styles) that reference counting frees anyway, and every
tenth young collection walks the middle generation, every hundredth all that
is not frozen: with 700 the collections were a tenth of the dashboard's CPU.
"""

from __future__ import annotations

import gc

__all__ = ["RESUME_AFTER", "YOUNG_THRESHOLD", "pause", "paused", "release", "resume"]

RESUME_AFTER = 3.0
"""Seconds after the app started at which the collector resumes, even with no rows yet."""

YOUNG_THRESHOLD = 7000
"""Allocations between two young collections once the launch is over (Python's: 700)."""

_paused = False
_frozen = False
_thresholds: tuple[int, int, int] | None = None
"""Python's thresholds before :func:`resume` raised the young one (None: not raised)."""


def pause() -> None:
    """Stop the cyclic collector until :func:`resume` (nothing to do if it is off already)."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def paused() -> bool:
    """Whether :func:`pause` stopped the collector and it has not resumed yet."""
    return _paused


def resume() -> None:
    """Resume the collector that :func:`pause` stopped, freezing what was built until now.

    Does nothing when :func:`pause` did not stop it (a test, an embedding
    program that runs with the collector off), or when it resumed already.
    """
    global _paused, _frozen, _thresholds
    if not _paused:
        return
    _paused = False
    gc.freeze()
    _frozen = True
    _thresholds = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, *_thresholds[1:])
    gc.enable()


def release() -> None:
    """Unfreeze what :func:`resume` froze, so that it can be collected once unused, and
    give Python's thresholds back."""
    global _frozen, _thresholds
    if _frozen:
        _frozen = False
        gc.unfreeze()
    if _thresholds is not None:
        gc.set_threshold(*_thresholds)
        _thresholds = None
