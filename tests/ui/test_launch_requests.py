"""What the dashboard asks the server at launch, counted (issue 16).

At launch the cursor lands on the first row and fetches that task's detail;
the follow-up refresh, due at once after the first rows, fetched the same
detail again while the first request was still in flight. The requests are
counted at the client, against the real embedded server; no timings.
"""

from __future__ import annotations

from collections import Counter

import pytest

from inductiva_top.api.client import InductivaClient
from inductiva_top.ui.screens.main import MainScreen
from tests.ui.conftest import Seeded
from tests.ui.dashboard_helpers import make_app, until


async def test_the_first_rows_selected_task_is_fetched_once_at_launch(
    seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: Counter[tuple[str, str]] = Counter()
    request_json = InductivaClient.request_json

    async def counting(self: InductivaClient, method: str, path: str, **kwargs: object) -> object:
        sent[method, path] += 1
        return await request_json(self, method, path, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(InductivaClient, "request_json", counting)
    app = make_app(seeded.server, refresh=60.0)  # no second refresh while this counts
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await until(pilot, lambda: screen.state.ticks >= 1, "the follow-up refresh")
        await until(pilot, lambda: screen.state.selected is not None, "the selected detail")
        selected = screen.state.selected
        assert selected is not None and selected.task_id == screen.state.selected_id
        await pilot.pause(0.2)  # a late second request would be counted by now
        assert sent["GET", f"/tasks/{selected.task_id}"] == 1, sent
