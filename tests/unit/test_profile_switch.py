"""Switching profile at runtime: a new server and key, every other setting kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from inductiva_top.config import (
    CliOverrides,
    ConfigError,
    load_config,
    profile_names,
    switch_profile,
)

YAML = """\
refresh: 5
project: alpha
profiles:
  lab:
    api_url: http://lab.example:8000
    api_key: lab-key
  prod:
    api_url: https://api.example
    api_key: prod-key
"""


def test_profiles_are_listed_and_switching_keeps_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(YAML)
    config = load_config(CliOverrides(config=path, profile="lab"), env={}, home=tmp_path)
    assert profile_names(path) == ["lab", "prod"]
    switched = switch_profile(config, "prod")
    assert (switched.profile, switched.api_url) == ("prod", "https://api.example")
    assert switched.api_key is not None and switched.api_key.reveal() == "prod-key"
    assert (switched.refresh, switched.project) == (5.0, "alpha")
    assert profile_names(None) == []


def test_an_unknown_profile_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(YAML)
    config = load_config(CliOverrides(config=path), env={}, home=tmp_path)
    with pytest.raises(ConfigError, match="no profile 'staging'"):
        switch_profile(config, "staging")
