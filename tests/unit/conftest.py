"""Fixtures of the command-line tests: an isolated environment and a config-loading probe."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from inductiva_top import cli
from inductiva_top.cli.common import add_config_flags, config_from_args
from inductiva_top.config import Config

if TYPE_CHECKING:
    from inductiva_top.cli.common import SubParsers


@pytest.fixture
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No real home, config dir or INDUCTIVA_* variable reaches the test; returns its home."""
    home = tmp_path / "home"
    home.mkdir()
    for name in list(os.environ):
        if name.startswith("INDUCTIVA"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return home


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> list[Config]:
    """Add a ``probe`` subcommand that loads the config the way handlers do; its configs."""
    configs: list[Config] = []

    def probe(args: argparse.Namespace) -> int:
        configs.append(config_from_args(args))
        return 0

    def register(subcommands: SubParsers) -> None:
        parser = subcommands.add_parser("probe")
        add_config_flags(parser, subcommand=True)
        parser.set_defaults(handler=probe)

    monkeypatch.setattr(cli, "_SUBCOMMANDS", [*cli._SUBCOMMANDS, register])
    return configs
