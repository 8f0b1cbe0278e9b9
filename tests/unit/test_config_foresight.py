"""The foresight settings: watch rules, notify_via and stall_after, and their faults."""

from __future__ import annotations

from pathlib import Path

import pytest

from inductiva_top import cli
from inductiva_top.cli.common import EXIT_USAGE
from inductiva_top.config import CliOverrides, Config, ConfigError, load_config, save_setting
from inductiva_top.monitor.foresight.notify import NotifyVia
from inductiva_top.monitor.foresight.rules import WatchRule


def load_file(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> Config:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return load_config(CliOverrides(config=path), env or {}, home, config_dir=tmp_path / "none")


def fault(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        load_file(tmp_path, text, env)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_defaults(tmp_path: Path) -> None:
    config = load_file(tmp_path, "{}\n")
    assert config.watch == ()
    assert config.notify_via is NotifyVia.AUTO
    assert config.stall_after == 1800.0


def test_watch_rules_are_read(tmp_path: Path) -> None:
    config = load_file(
        tmp_path,
        "watch:\n"
        "  - {project: sweep-a, on: [failed, finished]}\n"
        "  - {simulator: openfoam, on: running}\n"
        "  - {project: ' b '}\n",
    )
    assert config.watch == (
        WatchRule(project="sweep-a", on=("failed", "finished")),
        WatchRule(simulator="openfoam", on=("running",)),
        WatchRule(project="b"),
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("watch: {project: a}\n", "key 'watch': expected a list of rules"),
        ("watch: [sweep-a]\n", "key 'watch'[0]: expected a mapping with project"),
        ("watch: [{projet: a}]\n", "unknown key 'projet' (did you mean 'project'?)"),
        ("watch: [{project: 3}]\n", "key 'watch'[0].project: expected a name, got int"),
        (
            "watch: [{project: a}, {project: b, on: [faild]}]\n",
            "key 'watch'[1].on: unknown event 'faild' (did you mean 'failed'?)",
        ),
        ("watch: [{project: a, on: []}]\n", "no events"),
        ("watch: [{project: a, on: {failed: 1}}]\n", "expected an event or a list of events"),
        ("notify_via: growl\n", "key 'notify_via': 'growl' is not one of auto, osc9, osc777"),
        ("notify_via: osc7777\n", "(did you mean 'osc777'?)"),
        ("notify_via: 9\n", "expected one of auto, osc9"),
        ("stall_after: -1\n", "expected 0 (never) or a number of seconds, got -1"),
        ("stall_after: 0.5\n", "below the minimum of 1 second (0 turns it off)"),
        ("stall_after: soon\n", "expected a number of seconds"),
    ],
)
def test_a_wrong_value_is_one_line_naming_the_key(tmp_path: Path, text: str, message: str) -> None:
    found = fault(tmp_path, text)
    assert found.startswith(str(tmp_path / "config.yaml"))
    assert message in found


def test_notify_via_and_stall_after_from_the_environment(tmp_path: Path) -> None:
    config = load_file(
        tmp_path,
        "notify_via: bell\n",
        {"INDUCTIVA_TOP_NOTIFY_VIA": " OSC99 ", "INDUCTIVA_TOP_STALL_AFTER": "0"},
    )
    assert (config.notify_via, config.stall_after) == (NotifyVia.OSC99, 0.0)
    message = fault(tmp_path, "{}\n", {"INDUCTIVA_TOP_NOTIFY_VIA": "toast"})
    assert message.startswith("environment variable INDUCTIVA_TOP_NOTIFY_VIA: 'toast'")


@pytest.mark.usefixtures("isolated")
def test_a_wrong_rule_is_one_line_and_exit_2(
    seen: list[Config], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("watch: [{project: a, on: [done]}]\n", encoding="utf-8")
    assert cli.main(["--config", str(path), "probe"]) == EXIT_USAGE == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "key 'watch'[0].on: unknown event 'done'" in err
    assert seen == []


@pytest.mark.usefixtures("isolated")
def test_the_flags(seen: list[Config]) -> None:
    assert cli.main(["--notify-via", "osc777", "--stall-after", "600", "probe"]) == 0
    assert (seen[0].notify_via, seen[0].stall_after) == (NotifyVia.OSC777, 600.0)
    assert cli.main(["--notify-via", "tmux", "probe"]) == EXIT_USAGE


def test_notify_via_is_saved_as_its_word(tmp_path: Path) -> None:
    path = save_setting(tmp_path / "config.yaml", "notify_via", NotifyVia.OSC9)
    assert "notify_via: osc9" in path.read_text(encoding="utf-8")
    assert load_file(tmp_path, path.read_text(encoding="utf-8")).notify_via is NotifyVia.OSC9
