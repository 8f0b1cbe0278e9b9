"""A request does not search ``sys.path`` for a module that is not installed (issue 16).

httpcore asks ``import sniffio`` on every request; where sniffio is absent, each
failed import searched every path entry again, per request. No timings here:
the finders that would be asked are counted.
"""

from __future__ import annotations

import asyncio
import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType

import httpcore._synchronization as httpcore_sync
import pytest

import inductiva_top.api.wire  # noqa: F401  (settles sniffio on import)


class _CountingFinder(importlib.abc.MetaPathFinder):
    """Counts the searches for ``sniffio`` (and finds nothing itself)."""

    def __init__(self) -> None:
        self.asked = 0

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname == "sniffio":
            self.asked += 1
        return None


def test_asking_the_event_loop_per_request_searches_no_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    finder = _CountingFinder()
    monkeypatch.setattr(sys, "meta_path", [finder, *sys.meta_path])

    async def ask() -> list[str]:
        return [httpcore_sync.current_async_library() for _ in range(3)]

    assert asyncio.run(ask()) == ["asyncio"] * 3
    assert finder.asked == 0
