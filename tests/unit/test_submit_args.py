"""The ``submit`` command line and the TaskRequest it builds."""

from __future__ import annotations

import pytest

from inductiva_top.cli import build_parser, main
from inductiva_top.cli.submit import parse_pairs
from inductiva_top.transfer.submit import SubmitError, SubmitRequest, task_request_body


def test_task_request_of_a_local_command() -> None:
    request = SubmitRequest(
        command=("/usr/bin/python3", "-c", "print(1)"),
        machine_group="fast",
        project="p",
        ttl_seconds=90.0,
        env={"A": "1"},
    )
    assert task_request_body(request) == {
        "simulator": "python3",
        "resource_pool": "fast",
        "storage_path_prefix": "",
        "project": "p",
        "time_to_live_seconds": 90.0,
        "extra_params": {"command": ["/usr/bin/python3", "-c", "print(1)"], "env": {"A": "1"}},
    }


def test_task_request_defaults() -> None:
    body = task_request_body(SubmitRequest(command=("echo", "hi"), simulator="custom"))
    assert body["simulator"] == "custom"
    assert body["resource_pool"] == "default"
    assert body["extra_params"] == {"command": ["echo", "hi"], "env": None}
    assert "project" not in body and "time_to_live_seconds" not in body


def test_parse_pairs() -> None:
    assert parse_pairs(["a=1", "b=x=y", "c="], "--metadata") == {"a": "1", "b": "x=y", "c": ""}
    with pytest.raises(SubmitError, match="--metadata 'nope' is not of the form NAME=VALUE"):
        parse_pairs(["nope"], "--metadata")
    with pytest.raises(SubmitError):
        parse_pairs(["=v"], "--env")


def test_the_parser_keeps_the_command_after_the_separator() -> None:
    args = build_parser().parse_args(
        ["submit", "--project", "p", "--metadata", "a=1", "b=2", "--", "cmd", "--flag", "-x"]
    )
    assert args.command == ["--", "cmd", "--flag", "-x"]
    assert args.submit_project == "p"
    assert args.metadata == ["a=1", "b=2"]
    assert args.input_dir is None


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["submit"], "no command given"),
        (["submit", "--"], "no command given"),
        (["submit", "--ttl", "0", "--", "true"], "--ttl must be a positive"),
        (["submit", "--env", "NOVALUE", "--", "true"], "--env 'NOVALUE'"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert message in captured.err
