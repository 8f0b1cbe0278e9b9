"""Storage listing and path safety against a real uvicorn.

Every path that would leave the data dir gets a 4xx, and nothing on disk changes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server.storage_fixtures import TASK, Env, fresh, storage_server, zip_bytes

SECRET = b"the api key file"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    with storage_server(tmp_path_factory.mktemp("safety") / "data") as env:
        yield env


@pytest.fixture
def env(server: Env) -> Env:
    fresh(server)
    server.data.api_key_file.write_bytes(SECRET)
    return server


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every path below ``root`` (the tmp dir holding the data dir) with size and mtime."""
    found: dict[str, tuple[int, int]] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            info = os.lstat(os.path.join(folder, name))
            found[os.path.relpath(os.path.join(folder, name), root)] = (
                info.st_size,
                info.st_mtime_ns,
            )
    return found


class TestContents:
    def populate(self, env: Env) -> None:
        second = env.data.task_storage("t1second")
        second.mkdir()
        (second / "input.zip").write_bytes(b"x" * 5000)
        (second / ".input.zip.0123.partial").write_bytes(b"half written")
        (second / "output.zip.partial").write_bytes(b"half written")
        os.utime(env.data.task_storage(TASK) / "output.zip", (1_700_000_000, 1_700_000_000))
        os.utime(second / "input.zip", (1_800_000_000, 1_800_000_000))
        (env.data.storage / "loose.txt").write_bytes(b"abc")
        os.utime(env.data.storage / "loose.txt", (1_600_000_000, 1_600_000_000))

    def test_the_root_with_folder_sizes(self, env: Env) -> None:
        self.populate(env)
        response = env.client.get(
            "/storage/contents",
            params={"path": "/", "recursive": "true", "sort_by": "size", "order": "asc"},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["total_files"] == 3
        assert body["available_regions"] == ["local"]
        rows = body["contents"]
        assert [row["name"] for row in rows] == ["loose.txt", "t1second", TASK]
        assert rows[1]["size_bytes"] == 5000  # half-written files are not counted
        assert rows[1]["is_directory"] is True and rows[0]["is_directory"] is False
        assert rows[2]["size_bytes"] == env.data.output_zip(TASK).stat().st_size
        for row in rows:
            assert set(row) == {
                "name",
                "size_bytes",
                "creation_time",
                "is_directory",
                "provider_id",
                "region",
            }
            assert row["provider_id"] == "LOCAL" and row["region"] == "local"

    def test_folders_have_no_size_unless_recursive(self, env: Env) -> None:
        self.populate(env)
        rows = env.client.get("/storage/contents", params={"sort_by": "name"}).json()["contents"]
        sizes = {row["name"]: row["size_bytes"] for row in rows}
        assert sizes == {TASK: None, "t1second": None, "loose.txt": 3}

    def test_a_task_folder_newest_first_by_default(self, env: Env) -> None:
        self.populate(env)
        env.data.input_zip(TASK).write_bytes(b"in")
        rows = env.client.get("/storage/contents", params={"path": f"{TASK}/"}).json()["contents"]
        assert [row["name"] for row in rows] == [f"{TASK}/input.zip", f"{TASK}/output.zip"]

    def test_paging_and_filter(self, env: Env) -> None:
        self.populate(env)
        pages = [
            env.client.get(
                "/storage/contents",
                params={"per_page": 2, "page": page, "sort_by": "name", "order": "asc"},
            ).json()
            for page in (1, 2, 3)
        ]
        assert [[r["name"] for r in p["contents"]] for p in pages] == [
            ["loose.txt", "t0abc123"],
            ["t1second"],
            [],
        ]
        assert {p["total_files"] for p in pages} == {3}
        filtered = env.client.get("/storage/contents", params={"path_filter": "second"}).json()
        assert [r["name"] for r in filtered["contents"]] == ["t1second"]
        assert filtered["total_files"] == 1

    def test_bad_parameters_are_422_and_missing_is_404(self, env: Env) -> None:
        for params in ({"per_page": 0}, {"per_page": 101}, {"page": 0}, {"sort_by": "colour"}):
            response = env.client.get("/storage/contents", params=params)
            assert response.status_code == 422, params
        assert env.client.get("/storage/contents", params={"path": "nope"}).status_code == 404


TRAVERSALS = [
    "../api_key",
    f"{TASK}/../../api_key",
    "/../api_key",
    "./api_key",
    "..\\api_key",
    f"{TASK}\\..\\..\\api_key",
    "a\x00b",
    f"{TASK}//output.zip",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_api_routes_refuse_paths_that_leave_storage(env: Env, path: str) -> None:
    before = snapshot(env.data.root.parent)
    for operation in ("download", "upload"):
        response = env.client.get(
            "/storage/signed-urls", params={"paths": [path], "operation": operation}
        )
        assert response.status_code == 400, (path, operation)
        assert "detail" in response.json()
    for route, params in (
        ("/storage/zip-contents", {"path": path}),
        ("/storage/zip-file-range", {"path": path, "filename": "stdout.txt"}),
        ("/storage/contents", {"path": path}),
    ):
        response = env.client.get(route, params=params)
        assert response.status_code == 400, (route, path)
    assert snapshot(env.data.root.parent) == before


def test_an_absolute_path_stays_inside_storage(env: Env) -> None:
    # Leading slashes are storage-rooted, as the official client sends them.
    response = env.client.get(
        "/storage/signed-urls", params={"paths": ["/etc/passwd"], "operation": "download"}
    )
    assert response.json() == [None]
    listing = env.client.get("/storage/contents", params={"path": "/etc"})
    assert listing.status_code == 404


def test_symlinks_are_refused(env: Env, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "input.zip").write_bytes(zip_bytes({"sim_dir/a": b"outside"}))
    (env.data.storage / "linked").symlink_to(outside, target_is_directory=True)
    (env.data.task_storage(TASK) / "key").symlink_to(env.data.api_key_file)
    before = snapshot(env.data.root.parent) | snapshot(outside)
    for path, operation in (
        ("linked/input.zip", "download"),
        ("linked/input.zip", "upload"),
        (f"{TASK}/key", "download"),
    ):
        response = env.client.get(
            "/storage/signed-urls", params={"paths": [path], "operation": operation}
        )
        assert response.status_code == 403, (path, operation)
        assert "symbolic link" in response.json()["detail"]
    assert env.client.get("/storage/contents", params={"path": "linked"}).status_code == 403
    listing = env.client.get("/storage/contents", params={"path": TASK}).json()
    assert [row["name"] for row in listing["contents"]] == [f"{TASK}/output.zip"]
    assert snapshot(env.data.root.parent) | snapshot(outside) == before


def test_signed_route_refuses_encoded_traversal_and_writes_nothing(env: Env) -> None:
    # Even with a valid signature over the raw path, the server refuses it.
    before = snapshot(env.data.root.parent)
    for raw in (
        "../api_key",
        "%2e%2e/api_key",
        "%2E%2E%2Fapi_key",
        "t0abc123/%2e%2e/%2e%2e/api_key",
    ):
        url = env.signer.sign(raw, "download", env.base_url).replace(
            "/local/storage/signed/" + raw.replace("%", "%25"), "/local/storage/signed/" + raw
        )
        response = env.client.get(url)
        assert 400 <= response.status_code < 500, raw
        assert SECRET not in response.content
    for raw in ("../evil/input.zip", "%2e%2e/evil/input.zip"):
        url = env.signer.sign(raw, "upload", env.base_url).replace(
            "/local/storage/signed/" + raw.replace("%", "%25"), "/local/storage/signed/" + raw
        )
        response = env.client.put(url, content=zip_bytes({"x": b"x"}))
        assert 400 <= response.status_code < 500, raw
    assert snapshot(env.data.root.parent) == before
    assert env.uploads == []


def test_a_symlinked_output_zip_is_not_served(env: Env) -> None:
    # A link swapped in after the URL was signed is still refused.
    url = env.signed(f"{TASK}/output.zip")
    assert url is not None
    target = env.data.output_zip(TASK)
    target.unlink()
    target.symlink_to(env.data.api_key_file)
    response = env.client.get(url)
    assert response.status_code == 403
    assert SECRET not in response.content


def test_a_half_written_file_is_never_served(env: Env) -> None:
    partial = env.data.task_storage(TASK) / "output.zip.partial"
    partial.write_bytes(b"PK half")
    response = env.client.get(
        "/storage/signed-urls",
        params={"paths": [f"{TASK}/output.zip.partial"], "operation": "download"},
    )
    assert response.json() == [None]
    url = env.signer.sign(f"{TASK}/output.zip.partial", "download", env.base_url)
    refused = env.client.get(url)
    assert refused.status_code == 404
    assert "being written" in refused.json()["detail"]
    listing = env.client.get("/storage/contents", params={"path": TASK}).json()
    assert [row["name"] for row in listing["contents"]] == [f"{TASK}/output.zip"]
