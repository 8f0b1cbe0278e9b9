"""``DELETE /storage/``: what the official client's ``Task.remove_remote_files`` asks for."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.server.storage_fixtures import TASK, Env, fresh, storage_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    with storage_server(tmp_path_factory.mktemp("removal") / "data") as env:
        yield env


@pytest.fixture
def env(server: Env) -> Env:
    return fresh(server)


def test_a_tasks_folder_goes_then_a_second_removal_is_404(env: Env) -> None:
    (env.data.storage / TASK / "input.zip").write_bytes(b"in")
    # The official client adds the slash: "<task_id>/".
    first = env.client.delete("/storage/", params={"path": f"{TASK}/", "region": "local"})
    assert first.status_code == 200, first.text
    assert first.json() == {"path": TASK, "removed_files": 2}
    assert not (env.data.storage / TASK).exists()
    assert env.signed(f"{TASK}/output.zip") is None
    again = env.client.delete("/storage/", params={"path": f"{TASK}/"})
    assert again.status_code == 404
    assert "detail" in again.json()


def test_one_file_goes_and_its_neighbours_stay(env: Env) -> None:
    (env.data.storage / TASK / "input.zip").write_bytes(b"in")
    response = env.client.delete("/storage/", params={"path": f"{TASK}/output.zip"})
    assert response.json() == {"path": f"{TASK}/output.zip", "removed_files": 1}
    assert sorted(p.name for p in (env.data.storage / TASK).iterdir()) == ["input.zip"]


def test_a_file_being_written_is_left_to_its_writer(env: Env) -> None:
    folder = env.data.storage / TASK
    (folder / "output.zip.partial").write_bytes(b"half")
    response = env.client.delete("/storage/", params={"path": TASK})
    assert response.json()["removed_files"] == 1
    assert [p.name for p in folder.iterdir()] == ["output.zip.partial"]
    alone = env.client.delete("/storage/", params={"path": f"{TASK}/output.zip.partial"})
    assert alone.status_code == 404


def test_links_are_removed_not_followed(env: Env) -> None:
    outside = env.data.root / "keep"
    outside.mkdir()
    (outside / "precious.txt").write_text("stay")
    (env.data.storage / TASK / "link").symlink_to(outside)
    assert env.client.delete("/storage/", params={"path": TASK}).status_code == 200
    assert (outside / "precious.txt").read_text() == "stay"
    assert not (env.data.storage / TASK).exists()


@pytest.mark.parametrize(("path", "status"), [("", 400), ("/", 400), ("../x", 400), ("a\\b", 400)])
def test_the_whole_storage_and_unsafe_paths_are_refused(env: Env, path: str, status: int) -> None:
    before = sorted(p.name for p in env.data.storage.iterdir())
    assert env.client.delete("/storage/", params={"path": path}).status_code == status
    assert sorted(p.name for p in env.data.storage.iterdir()) == before
