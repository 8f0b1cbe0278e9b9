"""The API surface of a real server: auth, listing, projects, metadata, errors, startup."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import httpx
import pytest

from inductiva_top.cli import main
from tests.conftest import ServerFactory, ServerProcess
from tests.server.task_helpers import create, status, submit, task, wait_status


def test_every_api_route_needs_the_key(module_server: ServerProcess) -> None:
    base = module_server.base_url
    for method, path in [
        ("GET", "/tasks"),
        ("GET", "/tasks/abc"),
        ("GET", "/tasks/abc/status"),
        ("POST", "/tasks/abc/kill"),
        ("POST", "/tasks/submit"),
        ("GET", "/projects"),
        ("GET", "/users/info"),
        ("GET", "/users/fees"),
        ("DELETE", "/compute/group?machine_group_id=x"),
        ("GET", "/local/machine-groups"),
    ]:
        missing = httpx.request(method, base + path)
        assert missing.status_code == 401, (method, path)
        assert missing.json() == {"detail": "missing X-API-Key header"}
        wrong = httpx.request(method, base + path, headers={"X-API-Key": "not-the-key"})
        assert wrong.status_code == 401, (method, path)
        assert wrong.json() == {"detail": "invalid API key"}
    ok = httpx.get(base + "/tasks", headers=module_server.headers)
    assert ok.status_code == 200


def test_api_key_is_private_and_well_formed(module_server: ServerProcess) -> None:
    key_file = module_server.data_dir / "api_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert re.fullmatch(r"[A-Za-z0-9._-]+", module_server.api_key)
    assert module_server.api_key not in module_server.log()
    assert module_server.api_key not in repr(module_server)


def test_version_and_version_check_are_public(module_server: ServerProcess) -> None:
    # As in the real API: the official client checks the version at import
    # time, before it sends its key.
    version = httpx.get(module_server.base_url + "/version").json()
    check = httpx.get(
        module_server.base_url + "/version-check", params={"client_version": "0.18.12"}
    ).json()
    assert version["version"] and version["min_supported_client_version"] is None
    assert check == {
        "is_valid": True,
        "client_version": "0.18.12",
        "server_version": version["version"],
        "min_supported_client_version": None,
    }


def test_listing_filters_sorts_and_pages(live_server: ServerProcess) -> None:
    with live_server.client() as client:
        ok = [submit(client, ["true"], project="p1") for _ in range(3)]
        bad = submit(client, ["false"], project="p2")
        waiting = create(client, ["true"], project="p2")
        for task_id in [*ok, bad]:
            wait_status(client, task_id)

        def ids(**params: object) -> tuple[int, list[str]]:
            response = client.get("/tasks", params=params)  # type: ignore[arg-type]
            assert response.status_code == 200, response.text
            body = response.json()
            return body["total_size"], [t["task_id"] for t in body["tasks"]]

        total, newest_first = ids()
        assert total == 5
        assert newest_first == [waiting, bad, *reversed(ok)]
        assert ids(sort="create_time:asc")[1] == [*ok, bad, waiting]
        assert ids(per_page=2, page=2) == (5, [ok[2], ok[1]])
        assert ids(per_page=2, page=9) == (5, [])
        assert ids(project="p1") == (3, list(reversed(ok)))
        assert ids(status="failed") == (1, [bad])
        assert ids(active=True) == (1, [waiting])
        assert ids(active=False)[0] == 4
        assert ids(task_id_filter=bad[3:12]) == (1, [bad])
        assert ids(project="p2", status="pending-input") == (1, [waiting])
        by_status = ids(sort=["status:asc", "create_time:asc"])[1]
        assert by_status == [waiting, bad, *ok]  # active, then failed, then finished
        assert client.get("/tasks", params={"sort": "colour:asc"}).status_code == 422
        assert client.get("/tasks", params={"sort": "status:up"}).status_code == 422
        assert client.get("/tasks", params={"status": "sleeping"}).status_code == 422
        assert client.get("/tasks", params={"per_page": 501}).status_code == 422
        assert client.get("/tasks", params={"page": 10**30}).status_code == 422
        assert client.get("/projects", params={"page": 10**30}).status_code == 422
        listed = client.get("/tasks", params={"task_id_filter": bad}).json()["tasks"][0]
        assert "status_history" not in listed
        assert listed["duration_seconds"] is not None


def test_projects_overview_and_statistics(live_server: ServerProcess) -> None:
    with live_server.client() as client:
        for command in (["true"], ["true"], ["false"]):
            wait_status(client, submit(client, command, project="study"))
        create(client, ["true"], project="study")
        projects = client.get("/projects").json()
        project = client.get("/projects/study").json()
        missing = client.get("/projects/nope")
    assert [p["name"] for p in projects] == ["study"]
    assert project["num_tasks"] == 4
    assert project["task_status_overview"] == {"success": 2, "failed": 1, "pending-input": 1}
    assert project["statistics"]["success_rate"] == pytest.approx(2 / 3)
    assert project["statistics"]["avg_task_duration_seconds"] > 0
    assert project["project_type"] == "project"
    assert missing.status_code == 404


def test_metadata_put_replaces_and_patch_merges(module_server: ServerProcess) -> None:
    with module_server.client() as client:
        task_id = create(client, ["true"])
        assert client.get(f"/tasks/{task_id}/metadata").json() == {}
        assert client.put(f"/tasks/{task_id}/metadata", json={"a": "1", "b": "2"}).json() == {}
        client.patch(f"/tasks/{task_id}/metadata", json={"b": "3", "c": "4"})
        assert client.get(f"/tasks/{task_id}/metadata").json() == {"a": "1", "b": "3", "c": "4"}
        client.put(f"/tasks/{task_id}/metadata", json={"z": "0"})
        assert task(client, task_id)["task_metadata"] == {"z": "0"}
        assert client.put(f"/tasks/{task_id}/metadata", json={"n": 1}).status_code == 422
        assert client.get("/tasks/nope/metadata").status_code == 404


def test_bad_submissions_are_refused_clearly(module_server: ServerProcess) -> None:
    with module_server.client() as client:
        cases = [
            {"simulator": "x"},
            {"simulator": "x", "extra_params": {"command": []}},
            {"simulator": "x", "extra_params": {"command": "echo hi"}},
            {"simulator": "x", "extra_params": {"command": ["echo"], "env": {"A": 1}}},
            {"simulator": "x", "extra_params": {"command": ["echo"]}, "storage_path_prefix": "p"},
            {"simulator": "x", "extra_params": {"command": ["echo"]}, "time_to_live_seconds": 0},
            {"extra_params": {"command": ["echo"]}},
        ]
        for body in cases:
            response = client.post("/tasks/submit", json=body)
            assert response.status_code == 422, body
            assert response.json()["detail"]
        unknown_group = client.post(
            "/tasks/submit",
            json={"simulator": "x", "resource_pool": "nope", "extra_params": {"command": ["a"]}},
        )
        assert unknown_group.status_code == 404
        assert client.get("/tasks/nope").status_code == 404
        assert client.post("/tasks/nope/kill").status_code == 404
        assert client.post("/tasks/nope/input_uploaded").status_code == 404
        task_id = submit(client, ["true"])
        again = client.post(f"/tasks/{task_id}/input_uploaded")
        assert again.status_code == 409


def test_submit_answer_matches_the_real_shape(module_server: ServerProcess) -> None:
    with module_server.client() as client:
        response = client.post(
            "/tasks/submit",
            json={
                "simulator": "openfoam",
                "resource_pool": "default",
                "container_image": "docker://x",
                "time_to_live_seconds": 30,
                "extra_params": {"command": ["true"], "env": None},
            },
        )
        body = response.json()
        doc = task(client, body["id"])
        current = status(client, body["id"])
    assert response.status_code == 202
    assert body["status"] == "pending-input" and body["is_terminated"] is False
    assert body["position_in_queue"] is None
    assert body["time_to_live_seconds"] == 30
    assert doc["storage_input_path"] == f"{body['id']}/input.zip"
    assert doc["storage_output_path"] == f"{body['id']}/output.zip"
    assert doc["container_image"] == "docker://x"
    assert doc["num_retries"] == 0
    assert "duration_seconds" in doc
    assert doc["machine_operations"] == []
    assert current["status"] == "pending-input"


def test_a_second_server_on_the_same_data_dir_is_refused(
    module_server: ServerProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["serve", "--port", "0", "--data-dir", str(module_server.data_dir)])
    err = capsys.readouterr().err
    assert code == 1
    assert f"another inductiva-top server (pid {module_server.pid})" in err
    with module_server.client() as client:
        assert client.get("/tasks").status_code == 200


def test_non_loopback_needs_allow_remote(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["serve", "--host", "0.0.0.0", "--port", "0", "--data-dir", str(tmp_path)])
    assert code == 2
    assert "--allow-remote" in capsys.readouterr().err
    assert not (tmp_path / "api_key").exists()


def test_startup_prints_url_and_export_lines_without_the_key(
    server_factory: ServerFactory,
) -> None:
    server = server_factory(slots=1)
    log = server.log()
    assert f"export INDUCTIVA_API_URL={server.base_url}" in log
    assert f'export INDUCTIVA_API_KEY="$(cat {server.data_dir / "api_key"})"' in log
    assert server.api_key not in log
    assert server.base_url.startswith("http://127.0.0.1:")


def test_machine_groups_and_withheld_credentials(
    server_factory: ServerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INDUCTIVA_API_KEY", "shell-secret")
    monkeypatch.setenv("OTHER", "kept")
    server = server_factory(
        slots=3,
        args=["--machine-group", "big=2:c2-standard-16", "--machine-group", "small=1"],
    )
    with server.client() as client:
        groups = client.get("/local/machine-groups").json()
        assert [(g["name"], g["slots"], g["machine_type"]) for g in groups] == [
            ("big", 2, "c2-standard-16"),
            ("default", 3, "local"),
            ("small", 1, "local"),
        ]
        task_id = submit(client, ["sh", "-c", "echo ${INDUCTIVA_API_KEY-unset} $OTHER"])
        wait_status(client, task_id, "success")
        stdout = (server.data_dir / "work" / task_id / "stdout.txt").read_text()
        bad = client.post("/local/machine-groups", json={"name": "a b", "slots": 1})
    assert stdout == "unset kept\n"
    assert bad.status_code == 422


def test_a_corrupt_database_is_reported_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "tasks.sqlite3").write_bytes(b"this is not a database " * 50)
    code = main(["serve", "--port", "0", "--data-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 1
    assert "cannot use the task database" in err and "Traceback" not in err
    assert not (tmp_path / "server.pid").exists()


@pytest.mark.parametrize(
    "text",
    [
        *("big", "big=", "big=x", "a b=2", "big=0", "default=2"),
        # a rate that is not USD per hour, an idle limit that is not a duration
        *("b=1:x:-1", "b=1:x:cheap", "b=1:x:nan", "b=1:x:0:soon", "b=1:x:0:0", "b=1:x:0:99d"),
    ],
)
def test_bad_machine_group_flags_are_usage_errors(
    text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["serve", "--machine-group", text])
    assert info.value.code == 2
    assert "--machine-group" in capsys.readouterr().err


def test_lone_surrogates_are_refused_not_stored(module_server: ServerProcess) -> None:
    bad = '"\\ud800"'  # valid JSON, but not valid Unicode text
    command = '"extra_params": {"command": ["true"]}'
    headers = {**module_server.headers, "content-type": "application/json"}
    with module_server.client() as client:
        task_id = create(client, ["true"])
        bodies = [
            (
                "POST",
                "/tasks/submit",
                '{"simulator": "x", "project": ' + bad + ", " + command + "}",
            ),
            (
                "POST",
                "/tasks/submit",
                '{"simulator": "x", "extra_params": {"command": [' + bad + "]}}",
            ),
            ("PUT", f"/tasks/{task_id}/metadata", '{"k": ' + bad + "}"),
            ("PATCH", f"/tasks/{task_id}/metadata", "{" + bad + ': "v"}'),
            (
                "POST",
                "/local/machine-groups",
                '{"name": "g", "slots": 1, "machine_type": ' + bad + "}",
            ),
        ]
        for method, path, body in bodies:
            response = client.request(method, path, content=body, headers=headers)
            assert response.status_code == 422, (path, response.text)
            assert response.json()["detail"]
        assert client.get(f"/tasks/{task_id}/metadata").json() == {}
