"""The follow engine alone: a line that never ends costs what was written, and stays bounded."""

from __future__ import annotations

from pathlib import Path

import pytest

from inductiva_top.server.live import follow
from inductiva_top.server.live.follow import FOLLOW_BATCH_BYTES, FollowBatch, follow_batches

PIECE = 64 * 1024


@pytest.fixture(autouse=True)
def _no_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    """The writes come from ``is_running``: no need to wait between reads."""
    monkeypatch.setattr(follow, "FOLLOW_POLL_SECONDS", 0.0)


async def test_a_line_without_newline_is_sent_once_and_held_bounded(tmp_path: Path) -> None:
    """3.5 MiB of progress bar with no newline: no byte goes out twice as ``partial``.

    The engine holds at most :data:`FOLLOW_BATCH_BYTES` of the unfinished line;
    past that it is passed on as a line and a new one starts. Each batch
    carries only what was written since the previous one, so the cost is
    linear in what the task writes, however long its line grows.
    """
    path = tmp_path / "stdout.txt"
    path.write_bytes(b"")
    pieces = [(f"\r{n:07d} " + "#" * (PIECE - 9)).encode() for n in range(56)]
    written = iter(pieces)
    running = [True]

    def is_running(task_id: str) -> bool:
        piece = next(written, None)
        if piece is None:
            return running.pop() if running else False
        with path.open("ab") as handle:
            handle.write(piece)
        return True

    batches: list[FollowBatch] = [
        batch async for batch in follow_batches(path, "t", [], 0, is_running)
    ]
    total = sum(len(piece) for piece in pieces)
    assert max(len(batch.partial) for batch in batches) <= PIECE  # what one read brought
    built = ""
    lines: list[str] = []
    for batch in batches:
        if batch.lines:
            # The line comes whole; what the partials built of it is its start.
            assert batch.lines[0].startswith(built)
            built = ""
        lines += batch.lines
        built += batch.partial
    assert "".join(lines) == b"".join(pieces).decode()
    assert len(lines) == -(-total // FOLLOW_BATCH_BYTES)
    assert all(len(line) <= FOLLOW_BATCH_BYTES for line in lines)


async def test_a_multibyte_character_split_across_reads_arrives_whole(tmp_path: Path) -> None:
    path = tmp_path / "stdout.txt"
    path.write_bytes(b"")
    pieces = iter([b"caf\xc3", b"\xa9 \xe4\xb8", b"\xad\n"])

    def is_running(task_id: str) -> bool:
        piece = next(pieces, None)
        if piece is None:
            return False
        with path.open("ab") as handle:
            handle.write(piece)
        return True

    batches = [batch async for batch in follow_batches(path, "t", [], 0, is_running)]
    assert [batch.partial for batch in batches[1:3]] == ["caf", "é "]
    assert [line for batch in batches for line in batch.lines] == ["café 中"]
