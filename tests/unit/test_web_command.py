"""``inductiva-top web``: what each browser session runs."""

from __future__ import annotations

import shlex

from inductiva_top.cli import build_parser
from inductiva_top.cli.web import child_command


def test_config_and_dashboard_flags_are_passed_to_each_session() -> None:
    args = build_parser().parse_args(
        [
            "--project",
            "my proj",
            "--status",
            "success,failed",
            "--read-only",
            "--no-active",
            "--notify",
            "web",
            "--port",
            "9000",
            "--api-url",
            "http://127.0.0.1:8123",
            "--profile",
            "lab",
        ]
    )
    argv = shlex.split(child_command(args, python="/py"))
    assert argv[:3] == ["/py", "-m", "inductiva_top"]
    assert set(argv[3:]) == {
        "--project=my proj",
        "--status=success,failed",
        "--read-only",
        "--no-active",
        "--notify",
        "--api-url=http://127.0.0.1:8123",
        "--profile=lab",
    }


def test_nothing_given_passes_nothing() -> None:
    args = build_parser().parse_args(["web"])
    assert shlex.split(child_command(args, python="/py")) == ["/py", "-m", "inductiva_top"]
