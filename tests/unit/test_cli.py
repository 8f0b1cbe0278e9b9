"""The command line's global flags, config loading, and how it fails."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from inductiva_top import __version__, cli
from inductiva_top.cli.common import EXIT_USAGE, config_from_args
from inductiva_top.config import Config, ConfigError

KEY = "cli-test-key.0123456789"

if TYPE_CHECKING:
    from inductiva_top.cli.common import SubParsers


pytestmark = pytest.mark.usefixtures("isolated")


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"inductiva-top {__version__}"


def test_version_imports_nothing_heavy() -> None:
    code = (
        "import sys\n"
        "from inductiva_top.cli import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
        "heavy = {'yaml', 'httpx', 'textual', 'fastapi', 'uvicorn', 'pydantic'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().endswith("[]")


def test_flags_reach_the_config(seen: list[Config], tmp_path: Path) -> None:
    argv = [
        "--api-url", "http://flag.example:8000",
        "--refresh", "3",
        "--project", "lab",
        "--status", "success,failed", "--status", "killed",
        "--active",
        "--read-only",
        "--output-dir", str(tmp_path / "out"),
        "--theme", "nord",
        "probe",
    ]  # fmt: skip
    assert cli.main(argv) == 0
    (config,) = seen
    assert config.api_url == "http://flag.example:8000"
    assert config.refresh == 3.0
    assert config.project == "lab"
    assert config.statuses == ("success", "failed", "killed")
    assert (config.active, config.read_only) == (True, True)
    assert config.output_dir == tmp_path / "out"
    assert config.theme == "nord"


def test_negative_flags_beat_the_file(seen: list[Config], tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("active: true\nread_only: true\n")
    assert cli.main(["--config", str(path), "--no-active", "--no-read-only", "probe"]) == 0
    assert (seen[0].active, seen[0].read_only, seen[0].config_path) == (False, False, path)


def test_environment_is_read(
    seen: list[Config], monkeypatch: pytest.MonkeyPatch, isolated: Path
) -> None:
    monkeypatch.setenv("INDUCTIVA_API_KEY", KEY)
    monkeypatch.setenv("INDUCTIVA_TOP_REFRESH", "5")
    assert cli.main(["probe"]) == 0
    assert seen[0].refresh == 5.0
    assert seen[0].api_key is not None
    assert seen[0].api_key.reveal() == KEY


def test_official_key_file_in_home_is_found(seen: list[Config], isolated: Path) -> None:
    key_file = isolated / ".inductiva" / "api_key"
    key_file.parent.mkdir()
    key_file.write_text(KEY)
    key_file.chmod(0o600)
    assert cli.main(["probe"]) == 0
    assert seen[0].api_key_source == "file ~/.inductiva/api_key"


def test_config_flags_also_follow_the_subcommand(seen: list[Config], tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "profiles:\n"
        "  a: {api_url: 'http://a.example', api_key: key-a}\n"
        "  b: {api_url: 'http://b.example', api_key: key-b}\n"
    )
    path.chmod(0o600)
    assert cli.main(["--config", str(path), "--profile", "a", "probe"]) == 0
    assert cli.main(["--config", str(path), "--profile", "a", "probe", "--profile", "b"]) == 0
    assert cli.main(["probe", "--config", str(path), "--profile", "b"]) == 0
    assert [config.profile for config in seen] == ["a", "b", "b"]
    assert seen[1].api_url == "http://b.example"


def test_config_error_is_one_line_and_exit_code_2(
    seen: list[Config], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.yaml"
    assert cli.main(["--config", str(missing), "probe"]) == EXIT_USAGE == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"inductiva-top: config file {missing} (from option --config) does not exist\n"
    assert seen == []


def test_bad_value_names_file_and_key(
    seen: list[Config], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("refresh: 0.1\n")
    assert cli.main(["--config", str(path), "probe"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"inductiva-top: {path}: key 'refresh': ")
    assert "Traceback" not in err


def test_warnings_go_to_stderr(
    seen: list[Config], isolated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if os.name != "posix":
        pytest.skip("POSIX permissions")
    key_file = isolated / ".inductiva" / "api_key"
    key_file.parent.mkdir()
    key_file.write_text(KEY)
    key_file.chmod(0o644)
    assert cli.main(["probe"]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("inductiva-top: warning: ")
    assert f"chmod 600 {key_file}" in err
    assert KEY not in err


def test_malformed_key_is_never_printed(
    seen: list[Config], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = "secret-part with-a-space"
    monkeypatch.setenv("INDUCTIVA_API_KEY", bad)
    assert cli.main(["probe"]) == 2
    out, err = capsys.readouterr()
    assert "INDUCTIVA_API_KEY" in err
    assert "secret-part" not in out + err


def test_loaded_key_is_never_printed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("INDUCTIVA_API_KEY", KEY)

    def show(args: argparse.Namespace) -> int:
        config = config_from_args(args)
        print(config, config.api_key, f"{config.api_key}")
        print(repr(config), file=sys.stderr)
        return 0

    def register(subcommands: SubParsers) -> None:
        subcommands.add_parser("show").set_defaults(handler=show)

    monkeypatch.setattr(cli, "_SUBCOMMANDS", [register])
    assert cli.main(["show"]) == 0
    out, err = capsys.readouterr()
    assert "Secret('***')" in out
    assert KEY not in out + err


def test_keyboard_interrupt_exits_130_quietly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(args: argparse.Namespace) -> int:
        raise KeyboardInterrupt

    def register(subcommands: SubParsers) -> None:
        subcommands.add_parser("wait").set_defaults(handler=interrupted)

    monkeypatch.setattr(cli, "_SUBCOMMANDS", [register])
    assert cli.main(["wait"]) == 130
    assert capsys.readouterr() == ("", "")


def test_other_exceptions_are_not_swallowed(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(args: argparse.Namespace) -> int:
        raise RuntimeError("a bug")

    def register(subcommands: SubParsers) -> None:
        subcommands.add_parser("broken").set_defaults(handler=broken)

    monkeypatch.setattr(cli, "_SUBCOMMANDS", [register])
    with pytest.raises(RuntimeError):
        cli.main(["broken"])


def test_config_error_raised_by_a_handler_is_reported(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def handler(args: argparse.Namespace) -> int:
        raise ConfigError("somewhere: key 'x': wrong")

    def register(subcommands: SubParsers) -> None:
        subcommands.add_parser("fails").set_defaults(handler=handler)

    monkeypatch.setattr(cli, "_SUBCOMMANDS", [register])
    assert cli.main(["fails"]) == 2
    assert capsys.readouterr().err == "inductiva-top: somewhere: key 'x': wrong\n"


def test_bad_flag_value_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["--refresh", "soon"])
    assert exited.value.code == 2
    assert "--refresh" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "fault"),
    [
        (["seed", "--tasks", "0"], "argument --tasks: must be between 1 and 1,000,000"),
        (["seed", "--tasks", "x"], "argument --tasks: 'x' is not a whole number"),
        (["seed", "--tasks", "1", "--days", "0"], "argument --days: must be between 0.01 and 3650"),
        (["serve", "--slots", "0"], "argument --slots: must be at least 1"),
        (["serve", "--kill-grace", "-1"], "argument --kill-grace: must be at least 0"),
        (["serve", "--kill-grace", "soon"], "argument --kill-grace: 'soon' is not a number"),
    ],
)
def test_numbers_out_of_range_are_usage_errors(
    argv: list[str], fault: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(argv)
    assert exited.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1].endswith(fault)


@pytest.fixture
def no_screen(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if the dashboard opens."""
    import inductiva_top.ui.app

    def never(config: Config) -> int:
        raise AssertionError("the dashboard opened")

    monkeypatch.setattr(inductiva_top.ui.app, "run_dashboard", never)


@pytest.mark.usefixtures("no_screen")
@pytest.mark.parametrize(
    ("args", "env", "said"),
    [
        (["--status", "bogus"], {}, "option --status: unknown status 'bogus'"),
        ([], {"INDUCTIVA_TOP_STATUS": "faild"}, "INDUCTIVA_TOP_STATUS: unknown status 'faild'"),
        (["--theme", "nordd"], {}, "option --theme: unknown theme 'nordd' (did you mean 'nord'?)"),
        ([], {"INDUCTIVA_TOP_THEME": "x"}, "INDUCTIVA_TOP_THEME: unknown theme 'x'"),
    ],
)
def test_a_dashboard_mistake_is_one_line_before_the_screen_opens(
    args: list[str],
    env: dict[str, str],
    said: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert cli.main(args) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert said in err


@pytest.mark.usefixtures("no_screen")
@pytest.mark.parametrize("subcommand", [[], ["demo"], ["web"]])
def test_an_unknown_keymap_id_stops_every_dashboard(
    subcommand: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("keymap:\n  main.kil: x\n")
    config = ["--config", str(path)]
    # demo takes --config after its name; the dashboard and web before it.
    argv = [*subcommand, *config] if subcommand == ["demo"] else [*config, *subcommand]
    assert cli.main(argv) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err == (
        f"inductiva-top: {path}: key 'keymap': no binding has the id 'main.kil' "
        "(did you mean 'main.kill'?); the README's key table lists every id\n"
    )
