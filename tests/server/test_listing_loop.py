"""Where ``GET /tasks`` does its SQLite work: quick pages on the event loop, the rest in threads.

A page every dashboard polls costs well under a millisecond of SQLite; a
hand-off to the thread pool and back costs more than that under many
pollers, so quick pages stay on the loop. Listings that scan many rows
(ticking sorts, id searches, deep pages) must not hold the loop up.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from inductiva_top.server.app import create_app
from inductiva_top.server.layout import DataDir
from inductiva_top.server.routes import tasks as task_routes
from inductiva_top.server.tasks import queries
from tests.server.router_harness import serve


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


@pytest.fixture
def listing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[httpx.Client, list[bool]]]:
    """A client of an in-process app, and where each listing's query ran (True: the loop)."""
    where: list[bool] = []
    page_json = queries.page_json

    def recording(conn: sqlite3.Connection, query: queries.TaskQuery, *args: Any) -> str:
        where.append(_on_event_loop())
        return page_json(conn, query, *args)

    monkeypatch.setattr(task_routes.queries, "page_json", recording)
    data = DataDir(tmp_path / "data")
    app = create_app(data)
    key = data.api_key_file.read_text(encoding="ascii").strip()
    try:
        with serve(app) as url, httpx.Client(base_url=url, headers={"X-API-Key": key}) as client:
            yield client, where
    finally:
        app.state.parts.store.close()


@pytest.mark.parametrize(
    ("params", "on_loop"),
    [
        ({}, True),
        ({"status": "failed", "sort": "end_time:desc"}, True),
        ({"page": 2000}, False),
        ({"sort": "computation_seconds:desc"}, False),
        ({"sort": "position_in_queue:asc"}, False),
        ({"task_id_filter": "abc"}, False),
    ],
)
def test_quick_pages_are_answered_on_the_event_loop(
    listing: tuple[httpx.Client, list[bool]], params: dict[str, Any], on_loop: bool
) -> None:
    client, where = listing
    response = client.get("/tasks", params={"per_page": 50, **params})
    assert response.status_code == 200
    assert response.json()["total_size"] == 0
    assert where == [on_loop]
