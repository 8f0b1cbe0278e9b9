"""The storage routes against a real uvicorn: signed URLs, Range, uploads, zip listings, removal."""

from __future__ import annotations

import time
import zipfile
import zlib
from collections.abc import Iterator

import httpx
import pytest

from inductiva_top.api.models import ZipArchiveInfo, ZipFileRange
from tests.server.storage_fixtures import (
    MAX_UPLOAD,
    STDOUT,
    TASK,
    VTK,
    Env,
    fresh,
    storage_server,
    zip_bytes,
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    with storage_server(tmp_path_factory.mktemp("storage") / "data") as env:
        yield env


@pytest.fixture
def env(server: Env) -> Env:
    return fresh(server)


def test_signed_download_serves_the_whole_file_without_the_api_key(env: Env) -> None:
    url = env.signed(f"{TASK}/output.zip")
    assert url is not None and url.startswith(env.base_url + "/local/storage/signed/")
    assert url.split("?")[0].endswith(f"/{TASK}/output.zip")
    response = env.client.get(url)
    assert response.status_code == 200
    assert response.content == env.data.output_zip(TASK).read_bytes()
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["etag"].startswith('"')
    assert "last-modified" in response.headers


def test_signed_urls_are_null_for_missing_files_and_folders(env: Env) -> None:
    response = env.client.get(
        "/storage/signed-urls",
        params={
            "paths": [f"{TASK}/nothing.zip", TASK, f"/{TASK}/output.zip"],
            "operation": "download",
        },
    )
    assert response.status_code == 200
    missing, folder, leading_slash = response.json()
    assert missing is None and folder is None
    assert leading_slash is not None


def test_head_gives_the_length_and_no_body(env: Env) -> None:
    url = env.signed(f"{TASK}/output.zip")
    assert url is not None
    response = env.client.head(url)
    assert response.status_code == 200
    assert int(response.headers["content-length"]) == env.data.output_zip(TASK).stat().st_size
    assert response.content == b""


def test_an_expired_url_is_refused(env: Env) -> None:
    old = env.signer.sign(f"{TASK}/output.zip", "download", env.base_url, now=time.time() - 3600)
    response = env.client.get(old)
    assert response.status_code == 403
    assert "expired" in response.json()["detail"]


@pytest.mark.parametrize(
    "tamper",
    [
        lambda url: url.replace("signature=", "signature=0"),
        lambda url: url.replace("output.zip", "input.zip"),
        lambda url: url.replace("expires=", "expires=9"),
        lambda url: url.split("&signature=")[0],
    ],
    ids=["signature", "path", "expiry", "no-signature"],
)
def test_a_tampered_url_is_refused(env: Env, tamper: object) -> None:
    env.data.input_zip(TASK).write_bytes(zip_bytes({"sim_dir/a": b"a"}))
    url = env.signed(f"{TASK}/output.zip")
    assert url is not None and callable(tamper)
    response = env.client.get(tamper(url))
    assert response.status_code == 403
    assert "signature" in response.json()["detail"]


def test_a_download_url_does_not_allow_an_upload(env: Env) -> None:
    url = env.signed(f"{TASK}/output.zip")
    assert url is not None
    before = env.data.output_zip(TASK).read_bytes()
    response = env.client.put(url, content=zip_bytes({"x": b"x"}))
    assert response.status_code == 403
    assert env.data.output_zip(TASK).read_bytes() == before


class TestRange:
    def url(self, env: Env) -> str:
        url = env.signed(f"{TASK}/output.zip")
        assert url is not None
        return url

    def test_a_closed_range(self, env: Env) -> None:
        whole = env.data.output_zip(TASK).read_bytes()
        response = env.client.get(self.url(env), headers={"Range": "bytes=10-19"})
        assert response.status_code == 206
        assert response.content == whole[10:20]
        assert response.headers["content-range"] == f"bytes 10-19/{len(whole)}"
        assert response.headers["content-length"] == "10"

    def test_open_and_suffix_ranges(self, env: Env) -> None:
        whole = env.data.output_zip(TASK).read_bytes()
        tail = env.client.get(self.url(env), headers={"Range": "bytes=-22"})
        assert tail.status_code == 206 and tail.content == whole[-22:]
        rest = env.client.get(self.url(env), headers={"Range": f"bytes={len(whole) - 5}-"})
        assert rest.status_code == 206 and rest.content == whole[-5:]
        past_end = env.client.get(self.url(env), headers={"Range": f"bytes=3-{len(whole) * 2}"})
        assert past_end.status_code == 206 and past_end.content == whole[3:]

    def test_an_unsatisfiable_range_is_416(self, env: Env) -> None:
        size = env.data.output_zip(TASK).stat().st_size
        response = env.client.get(self.url(env), headers={"Range": f"bytes={size}-{size + 10}"})
        assert response.status_code == 416
        assert response.headers["content-range"] == f"bytes */{size}"

    def test_several_ranges_or_garbage_get_the_whole_file(self, env: Env) -> None:
        whole = env.data.output_zip(TASK).read_bytes()
        for header in ("bytes=0-1,5-6", "lines=1-2", "bytes=9-3"):
            response = env.client.get(self.url(env), headers={"Range": header})
            assert response.status_code == 200, header
            assert response.content == whole

    def test_if_range_with_the_current_etag_or_date_gives_the_range(self, env: Env) -> None:
        first = env.client.head(self.url(env))
        for validator in (first.headers["etag"], first.headers["last-modified"]):
            response = env.client.get(
                self.url(env), headers={"Range": "bytes=0-3", "If-Range": validator}
            )
            assert response.status_code == 206
            assert response.content == b"PK\x03\x04"

    def test_if_range_after_a_change_gives_the_whole_new_file(self, env: Env) -> None:
        old_etag = env.client.head(self.url(env)).headers["etag"]
        path = env.data.output_zip(TASK)
        replacement = zip_bytes({"artifacts/new.txt": b"new"})
        path.write_bytes(replacement)
        response = env.client.get(
            self.url(env), headers={"Range": "bytes=0-3", "If-Range": old_etag}
        )
        assert response.status_code == 200
        assert response.content == replacement
        assert response.headers["etag"] != old_etag

    def test_head_with_a_range(self, env: Env) -> None:
        response = env.client.head(self.url(env), headers={"Range": "bytes=0-99"})
        assert response.status_code == 206
        assert response.headers["content-length"] == "100"
        assert response.content == b""


class TestUpload:
    def test_an_input_zip_is_stored_and_announced(self, env: Env) -> None:
        # The official client asks for "/<task_id>/input.zip" when no storage prefix is set.
        url = env.signed(f"/{TASK}/input.zip", "upload")
        assert url is not None
        body = zip_bytes({"sim_dir/run.sh": b"echo hi\n"})
        response = env.client.put(
            url, content=body, headers={"Content-Type": "application/octet-stream"}
        )
        assert response.status_code == 200, response.text
        assert env.data.input_zip(TASK).read_bytes() == body
        assert env.uploads == [TASK]
        assert sorted(p.name for p in env.data.task_storage(TASK).iterdir()) == [
            "input.zip",
            "output.zip",
        ]

    def test_a_streamed_body_of_unknown_length_is_stored(self, env: Env) -> None:
        url = env.signed(f"{TASK}/input.zip", "upload")
        assert url is not None
        body = zip_bytes({"sim_dir/big.bin": bytes(range(256)) * 300})

        def chunks() -> Iterator[bytes]:
            for start in range(0, len(body), 1000):
                yield body[start : start + 1000]

        response = env.client.put(url, content=chunks())
        assert response.status_code == 200, response.text
        assert env.data.input_zip(TASK).read_bytes() == body

    def test_a_body_that_is_not_a_zip_is_refused_and_loses_nothing(self, env: Env) -> None:
        previous = zip_bytes({"sim_dir/a": b"kept"})
        env.data.input_zip(TASK).write_bytes(previous)
        url = env.signed(f"{TASK}/input.zip", "upload")
        assert url is not None
        response = env.client.put(url, content=b"not a zip at all")
        assert response.status_code == 422
        assert "not a zip" in response.json()["detail"][0]["msg"]
        assert env.data.input_zip(TASK).read_bytes() == previous
        assert env.uploads == []
        assert sorted(p.name for p in env.data.task_storage(TASK).iterdir()) == [
            "input.zip",
            "output.zip",
        ]

    def test_an_upload_over_the_cap_is_413(self, env: Env) -> None:
        url = env.signed(f"{TASK}/input.zip", "upload")
        assert url is not None
        response = env.client.put(url, content=b"\0" * (MAX_UPLOAD + 1))
        assert response.status_code == 413

        def endless() -> Iterator[bytes]:
            for _ in range(MAX_UPLOAD // 1000 + 10):
                yield b"\0" * 1000

        try:
            streamed = env.client.put(url, content=endless())
        except httpx.TransportError:
            pass  # the server may close the connection before reading all of it
        else:
            assert streamed.status_code == 413
        assert not env.data.input_zip(TASK).exists()
        assert env.uploads == []

    def test_uploads_only_go_to_an_input_zip(self, env: Env) -> None:
        for path in (f"{TASK}/output.zip", "api_key", f"{TASK}/sub/input.zip", "input.zip"):
            response = env.client.get(
                "/storage/signed-urls", params={"paths": [path], "operation": "upload"}
            )
            assert response.status_code == 400, path
            assert "detail" in response.json()


class TestZipContents:
    def get(self, env: Env, **params: str) -> ZipArchiveInfo:
        response = env.client.get(
            "/storage/zip-contents", params={"path": f"{TASK}/output.zip", **params}
        )
        assert response.status_code == 200, response.text
        return ZipArchiveInfo.model_validate(response.json())

    def test_top_level_of_a_folder(self, env: Env) -> None:
        info = self.get(env, zip_relative_path="artifacts/", recursive="false")
        names = [f.name for f in info.contents]
        assert names == ["stderr.txt", "stdout.txt", "vtk/"]
        folder = info.contents[2]
        assert folder.size == len(VTK) * 3
        assert info.size == len(STDOUT) + len(VTK) * 3
        stdout = info.contents[1]
        assert stdout.size == len(STDOUT)
        assert stdout.compress_type == zipfile.ZIP_DEFLATED
        assert stdout.compressed_size is not None and stdout.compressed_size < len(STDOUT)
        assert stdout.creation_time is not None and stdout.creation_time.tzinfo is not None

    def test_recursive_listing_and_a_folder_without_its_slash(self, env: Env) -> None:
        recursive = self.get(env, zip_relative_path="artifacts", recursive="true")
        assert sorted(f.name for f in recursive.contents) == [
            "stderr.txt",
            "stdout.txt",
            "vtk/a.vtk",
            "vtk/deep/b.vtk",
        ]
        inner = self.get(env, zip_relative_path="artifacts/vtk/", recursive="true")
        assert sorted(f.name for f in inner.contents) == ["a.vtk", "deep/b.vtk"]

    def test_the_whole_archive(self, env: Env) -> None:
        top = self.get(env)
        assert [f.name for f in top.contents] == ["artifacts/", "sim_dir/"]
        every = self.get(env, recursive="true")
        assert len(every.contents) == 5  # files only, not the explicit sim_dir/ entry

    def test_a_missing_archive_and_a_broken_one(self, env: Env) -> None:
        missing = env.client.get("/storage/zip-contents", params={"path": "nope/output.zip"})
        assert missing.status_code == 404
        broken = env.data.task_storage("broken")
        broken.mkdir()
        (broken / "output.zip").write_bytes(b"PK but not really")
        response = env.client.get("/storage/zip-contents", params={"path": "broken/output.zip"})
        assert response.status_code == 422
        assert "zip" in response.json()["detail"][0]["msg"]


class TestZipFileRange:
    def fetch(self, env: Env, folder: str, filename: str) -> tuple[ZipFileRange, bytes]:
        response = env.client.get(
            "/storage/zip-file-range",
            params={
                "path": f"{TASK}/output.zip",
                "zip_relative_path": folder,
                "filename": filename,
            },
        )
        assert response.status_code == 200, response.text
        found = ZipFileRange.model_validate(response.json())
        url = env.signed(f"{TASK}/output.zip")
        assert url is not None
        body = env.client.get(
            url, headers={"Range": f"bytes={found.range_start}-{found.range_end}"}
        )
        assert body.status_code == 206
        return found, body.content

    def test_a_deflated_member_decompresses_to_its_content(self, env: Env) -> None:
        found, raw = self.fetch(env, "artifacts/", "stdout.txt")
        assert found.compress_type == zipfile.ZIP_DEFLATED
        assert zlib.decompressobj(-zlib.MAX_WBITS).decompress(raw) == STDOUT

    def test_a_stored_member_is_its_content(self, env: Env) -> None:
        found, raw = self.fetch(env, "artifacts/vtk", "a.vtk")
        assert found.compress_type == zipfile.ZIP_STORED
        assert raw == VTK

    def test_range_start_agrees_with_the_listing(self, env: Env) -> None:
        found, _ = self.fetch(env, "artifacts/", "vtk/deep/b.vtk")
        listing = env.client.get(
            "/storage/zip-contents",
            params={
                "path": f"{TASK}/output.zip",
                "zip_relative_path": "artifacts/",
                "recursive": "true",
            },
        ).json()
        starts = {f["name"]: f["range_start"] for f in listing["contents"]}
        assert starts["vtk/deep/b.vtk"] == found.range_start

    def test_a_missing_member_is_404(self, env: Env) -> None:
        response = env.client.get(
            "/storage/zip-file-range",
            params={
                "path": f"{TASK}/output.zip",
                "zip_relative_path": "artifacts/",
                "filename": "vtk",
            },
        )
        assert response.status_code == 404


# --- DELETE /storage/: what the official client's Task.remove_remote_files asks for ---


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
