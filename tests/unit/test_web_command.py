"""``inductiva-top web``: what each browser session runs."""

from __future__ import annotations

import shlex

import pytest

from inductiva_top.cli import build_parser
from inductiva_top.cli.web import TOKEN_ENV, child_command, web_token


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


def test_off_loopback_dashboards_are_read_only_unless_allowed() -> None:
    args = build_parser().parse_args(["--no-read-only", "web", "--host", "0.0.0.0"])
    argv = shlex.split(child_command(args, python="/py", read_only=True))
    assert argv.count("--read-only") == 1 and "--no-read-only" not in argv
    assert "--no-read-only" in shlex.split(child_command(args, python="/py"))


def test_a_token_is_made_off_loopback_and_taken_from_the_flag_or_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    args = build_parser().parse_args(["web", "--host", "0.0.0.0"])
    assert web_token(args, loopback=True) == (None, False)
    first, made = web_token(args, loopback=False)
    assert made and first is not None and len(first) >= 32
    assert web_token(args, loopback=False)[0] != first  # random per start
    monkeypatch.setenv(TOKEN_ENV, "from-the-environment")
    assert web_token(args, loopback=False) == ("from-the-environment", False)
    assert web_token(args, loopback=True) == ("from-the-environment", False)
    flagged = build_parser().parse_args(["web", "--token", "given-on-the-command-line"])
    assert web_token(flagged, loopback=False) == ("given-on-the-command-line", False)
    short = build_parser().parse_args(["web", "--token", "short"])
    with pytest.raises(ValueError, match="at least 16"):
        web_token(short, loopback=False)
