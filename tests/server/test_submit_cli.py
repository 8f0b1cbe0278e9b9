"""``inductiva-top submit`` against a real embedded server: the whole flow, for real."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx
import pytest

from inductiva_top.cli import main
from tests.conftest import ServerProcess
from tests.server.task_helpers import wait_status

PY = sys.executable


def isolated_env(server: ServerProcess, home: Path) -> dict[str, str]:
    """The environment of a user whose only configuration points at ``server``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INDUCTIVA", "XDG_"))}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        INDUCTIVA_API_URL=server.base_url,
        INDUCTIVA_API_KEY=server.api_key,
    )
    return env


def output_member(server: ServerProcess, task_id: str, name: str) -> bytes:
    with server.client() as client:
        response = client.get(
            "/storage/signed-urls",
            params={"paths": f"{task_id}/output.zip", "operation": "download"},
        )
        url = response.json()[0]
    archive = zipfile.ZipFile(io.BytesIO(httpx.get(url).content))
    return archive.read(f"artifacts/{name}")


def test_submit_runs_the_command_with_inputs_and_prints_the_id(
    live_server: ServerProcess, tmp_path: Path
) -> None:
    inputs = tmp_path / "case"
    (inputs / "sub").mkdir(parents=True)
    (inputs / "sub" / "data.txt").write_text("forty-two\n")
    script = "import os; print(open('sub/data.txt').read().strip(), os.environ['GREETING'])"
    result = subprocess.run(
        [
            PY,
            "-m",
            "inductiva_top",
            "submit",
            "--project",
            "cli-test",
            "--input-dir",
            str(inputs),
            "--metadata",
            "case=a",
            "owner=me",
            "--env",
            "GREETING=hello",
            "--ttl",
            "120",
            "--",
            PY,
            "-c",
            script,
        ],
        env=isolated_env(live_server, tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    task_id = result.stdout.splitlines()[-1]
    assert task_id.isalnum()
    assert "uploading inputs" in result.stderr
    assert live_server.api_key not in result.stdout + result.stderr

    with live_server.client() as client:
        task = wait_status(client, task_id, "success")
    assert task["project"] == "cli-test"
    assert task["task_metadata"] == {"case": "a", "owner": "me"}
    assert task["extra_params"]["command"] == [PY, "-c", script]
    assert task["extra_params"]["env"] == {"GREETING": "hello"}
    assert task["machine_group_name"] == "default"
    assert output_member(live_server, task_id, "stdout.txt").decode().strip() == "forty-two hello"


def test_submit_without_inputs(
    live_server: ServerProcess,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in isolated_env(live_server, tmp_path).items():
        monkeypatch.setenv(name, value)
    assert main(["submit", "--", PY, "-c", "import os; print(sorted(os.listdir('.')))"]) == 0
    task_id = capsys.readouterr().out.splitlines()[-1]
    with live_server.client() as client:
        wait_status(client, task_id, "success")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["submit", "--machine-group", "no-such-group", "--", "true"], "no-such-group"),
        (["submit", "--input-dir", "/definitely/not/here", "--", "true"], "does not exist"),
    ],
)
def test_submit_failures_are_one_line_and_exit_1(
    live_server: ServerProcess,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    for name, value in isolated_env(live_server, tmp_path).items():
        monkeypatch.setenv(name, value)
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    last = captured.err.strip().splitlines()[-1]
    assert last.startswith("inductiva-top submit: ")
    assert message in last
    assert "Traceback" not in captured.err


def test_a_wrong_key_names_its_source(
    live_server: ServerProcess,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in isolated_env(live_server, tmp_path).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("INDUCTIVA_API_KEY", "wrong-key-123")
    assert main(["submit", "--", "true"]) == 1
    err = capsys.readouterr().err
    assert "INDUCTIVA_API_KEY" in err
    assert "wrong-key-123" not in err
