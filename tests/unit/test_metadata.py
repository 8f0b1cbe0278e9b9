"""Changing one metadata key: PATCH merges a key in; removing one rewrites the rest."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from inductiva_top.monitor.task.metadata import MetadataSource, change_metadata, key_problem


class Metadata:
    """One task's metadata, with the API's three calls, each logged."""

    def __init__(self, metadata: dict[str, str]) -> None:
        self.metadata = metadata
        self.calls: list[str] = []

    async def get_metadata(self, task_id: str) -> dict[str, str]:
        self.calls.append("GET")
        return dict(self.metadata)

    async def set_metadata(self, task_id: str, metadata: Mapping[str, str]) -> None:
        self.calls.append("PUT")
        self.metadata = dict(metadata)

    async def patch_metadata(self, task_id: str, metadata: Mapping[str, str]) -> None:
        self.calls.append("PATCH")
        self.metadata.update(metadata)


async def test_set_merges_and_remove_rewrites_the_rest() -> None:
    source = Metadata({"name": "a", "alpha": "0.1"})
    assert isinstance(source, MetadataSource)
    assert await change_metadata(source, "t", "name", "b") == {"name": "b", "alpha": "0.1"}
    assert source.calls == ["PATCH", "GET"]
    source.calls.clear()
    assert await change_metadata(source, "t", "alpha", None) == {"name": "b"}
    assert source.calls == ["GET", "PUT", "GET"]
    source.calls.clear()
    assert await change_metadata(source, "t", "missing", None) == {"name": "b"}
    assert source.calls == ["GET"]  # nothing to remove: nothing written


@pytest.mark.parametrize(
    ("key", "value", "fault"),
    [
        ("", "x", "give a key"),
        ("a b", "x", "space"),
        ("a\x1b", "x", "control"),
        ("name", "", "give a value"),
    ],
)
async def test_bad_input_is_refused_before_any_request(key: str, value: str, fault: str) -> None:
    source = Metadata({})
    with pytest.raises(ValueError, match=fault):
        await change_metadata(source, "t", key, value)
    assert source.calls == []
    assert key_problem("alpha") is None
