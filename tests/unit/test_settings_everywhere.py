"""Every dashboard setting is read from all four places, driven by its one declaration.

For each setting in :data:`~inductiva_top.config.settings.SETTINGS` a value
other than its default is given as a flag to ``inductiva-top``, as the same
flag forwarded by ``inductiva-top web`` to the dashboard it starts, as each of
its environment variables and as its key in config.yaml; each time the
loaded ``Config`` holds it. A new setting is covered without a new test.
"""

from __future__ import annotations

import dataclasses
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from inductiva_top import cli
from inductiva_top.cli.web import child_command
from inductiva_top.config import Config
from inductiva_top.config.settings import SETTINGS, Form, Setting

# A value of each form that no setting has as its default, as YAML gives it.
SAMPLES: dict[Form, object] = {
    Form.TEXT: "lab",
    Form.NUMBER: 7.5,
    Form.WHOLE: 7,
    Form.PATH: "some/dir",
    Form.LIST: ["a", "b"],
}
# Settings whose check accepts only some values of their form.
SAMPLES_BY_KEY: dict[str, object] = {"status": ["failed", "killed"]}
WITH_FLAG = [setting for setting in SETTINGS.values() if setting.form is not None]

# A value of each YAML-only setting other than its default.
YAML_SAMPLES: dict[str, object] = {
    "keymap": {"quit": "ctrl+q"},
    "watch": [{"project": "sweep-a", "on": ["failed", "finished"]}],
}


def sample(setting: Setting[Any]) -> object:
    """The YAML-shaped value to give ``setting``."""
    if setting.key in SAMPLES_BY_KEY:
        return SAMPLES_BY_KEY[setting.key]
    if setting.form is None:
        return YAML_SAMPLES[setting.key]
    if setting.form is Form.SWITCH:
        return not setting.default
    if setting.choices:
        return next(word for word in setting.choices if setting.check(word, "") != setting.default)
    return SAMPLES[setting.form]


def as_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(value)
    return str(value)


def flag_args(setting: Setting[Any]) -> list[str]:
    """The command line that gives ``setting`` its sample (a list as a repeated flag)."""
    value = sample(setting)
    assert setting.flag is not None
    if isinstance(value, bool):
        return [setting.flag if value else "--no-" + setting.flag[2:]]
    if isinstance(value, list):
        return [f"{setting.flag}={item}" for item in value]
    return [setting.flag, str(value)]


def expected(setting: Setting[Any]) -> object:
    return setting.check(sample(setting), "the test")


pytestmark = pytest.mark.usefixtures("isolated")


def test_every_setting_is_a_config_field_with_its_default() -> None:
    defaults = {field.name: field.default for field in dataclasses.fields(Config)}
    for setting in SETTINGS.values():
        assert defaults[setting.field] == setting.default, setting.key


@pytest.mark.parametrize("setting", WITH_FLAG, ids=lambda setting: setting.key)
def test_the_sample_is_not_the_default(setting: Setting[Any]) -> None:
    # Otherwise a setting that is never read would pass the tests below.
    assert expected(setting) != setting.default


def test_only_a_mapping_or_a_list_of_rules_is_yaml_only() -> None:
    # A mapping, or a list of mappings, has no one-line form; every other setting
    # must have a flag and a variable.
    for setting in SETTINGS.values():
        value = sample(setting) if setting.form is None else None
        structured = isinstance(value, Mapping) or (
            isinstance(value, list) and all(isinstance(item, Mapping) for item in value)
        )
        assert (setting.form is None) == structured, setting.key
        assert setting.form is not None or expected(setting) != setting.default, setting.key


@pytest.mark.parametrize("setting", WITH_FLAG, ids=lambda setting: setting.key)
def test_a_flag_of_inductiva_top(setting: Setting[Any], seen: list[Config]) -> None:
    assert cli.main([*flag_args(setting), "probe"]) == 0
    assert getattr(seen[0], setting.field) == expected(setting)


@pytest.mark.parametrize("setting", WITH_FLAG, ids=lambda setting: setting.key)
def test_forwarded_by_web(setting: Setting[Any], seen: list[Config]) -> None:
    args = cli.build_parser().parse_args([*flag_args(setting), "web"])
    child = shlex.split(child_command(args, python="/py"))
    assert child[:3] == ["/py", "-m", "inductiva_top"]
    assert cli.main([*child[3:], "probe"]) == 0
    assert getattr(seen[0], setting.field) == expected(setting)


@pytest.mark.parametrize("setting", WITH_FLAG, ids=lambda setting: setting.key)
def test_each_environment_variable(
    setting: Setting[Any], seen: list[Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert setting.env
    for name in setting.env:
        with monkeypatch.context() as env:
            env.setenv(name, as_text(sample(setting)))
            assert cli.main(["probe"]) == 0
        assert getattr(seen.pop(), setting.field) == expected(setting), name


@pytest.mark.parametrize("setting", SETTINGS.values(), ids=lambda setting: setting.key)
def test_the_config_file(setting: Setting[Any], seen: list[Config], tmp_path: Path) -> None:
    value = sample(setting)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({setting.key: value}), encoding="utf-8")
    assert cli.main(["--config", str(path), "probe"]) == 0
    assert getattr(seen[0], setting.field) == setting.check(value, "the test")
