"""What every subcommand shares: exit codes, the configuration flags, loading the config.

The dashboard's flags are derived from the settings' declarations
(:mod:`inductiva_top.config.settings`): :func:`add_dashboard_flags` makes
them, :func:`config_from_args` reads them back, and :func:`forwarded_flags`
writes them out again for ``web``'s child dashboards. A setting declared
there is accepted and forwarded here without further code.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from inductiva_top.config.settings import SETTINGS, Form

if TYPE_CHECKING:
    from typing import TypeAlias

    from inductiva_top.config import CliOverrides, Config

    SubParsers: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]
    """What a subcommand's ``register`` adds its parser to."""

__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "add_config_flags",
    "add_dashboard_flags",
    "config_from_args",
    "dashboard_config",
    "forwarded_flags",
    "number_in",
]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


# dest, metavar, help: the flags that choose the file and the server.
_CONFIG_FLAGS = (
    ("config", "PATH", "YAML config file to read (env INDUCTIVA_TOP_CONFIG)"),
    (
        "profile",
        "NAME",
        "profile from the config file: its API URL and key (env INDUCTIVA_TOP_PROFILE)",
    ),
    ("api_url", "URL", "API base URL (env INDUCTIVA_API_URL; default https://api.inductiva.ai)"),
)


def _flag(dest: str) -> str:
    return "--" + dest.replace("_", "-")


def add_config_flags(parser: argparse.ArgumentParser, *, subcommand: bool = False) -> None:
    """Add --config, --profile and --api-url (flag > environment > file > default).

    They are on the top-level parser already; a subcommand that talks to the
    API calls this with ``subcommand=True`` so they may also follow its name,
    without its defaults hiding values given before it.
    """
    default = argparse.SUPPRESS if subcommand else None
    group = parser.add_argument_group("configuration")
    for dest, metavar, text in _CONFIG_FLAGS:
        group.add_argument(_flag(dest), dest=dest, metavar=metavar, default=default, help=text)


_TYPES: dict[Form, type] = {Form.TEXT: str, Form.NUMBER: float, Form.WHOLE: int, Form.PATH: str}


def add_dashboard_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per setting that has one; each is also a config key and a variable."""
    group = parser.add_argument_group("dashboard")
    for setting in SETTINGS.values():
        if setting.form is None or setting.flag is None:
            continue
        options: dict[str, Any] = {"dest": setting.key, "help": setting.describe()}
        if setting.form is Form.SWITCH:
            options["action"] = argparse.BooleanOptionalAction
        elif setting.form is Form.LIST:
            options.update(action="append", metavar=setting.metavar)
        else:
            options.update(type=_TYPES[setting.form], metavar=setting.metavar)
        group.add_argument(setting.flag, **options)


def _overrides(args: argparse.Namespace) -> CliOverrides:
    from inductiva_top.config import CliOverrides

    given: dict[str, object] = {}
    for setting in SETTINGS.values():
        value = getattr(args, setting.key, None)
        if setting.form is None or value is None:
            continue
        if setting.form is Form.LIST:
            value = tuple(part for item in value for part in item.split(","))
        elif setting.form is Form.PATH:
            value = Path(value)
        given[setting.field] = value
    config = getattr(args, "config", None)
    return CliOverrides(
        config=Path(config) if config is not None else None,
        profile=getattr(args, "profile", None),
        api_url=getattr(args, "api_url", None),
        **given,
    )


def config_from_args(args: argparse.Namespace) -> Config:
    """The configuration for a parsed command line; prints its warnings to stderr.

    Raises :class:`~inductiva_top.config.ConfigError`, which the dispatcher
    reports as one line with exit code 2.
    """
    from inductiva_top.config import load_config

    config = load_config(_overrides(args))
    for warning in config.warnings:
        print(f"inductiva-top: warning: {warning}", file=sys.stderr)
    return config


def dashboard_config(args: argparse.Namespace) -> Config:
    """:func:`config_from_args`, also checked for what only the dashboard knows.

    A theme Textual does not have, or a keymap id no binding has, raises
    :class:`~inductiva_top.config.ConfigError` before any screen opens.
    """
    config = config_from_args(args)
    from inductiva_top.ui.app import check_config

    check_config(config)
    return config


def forwarded_flags(args: argparse.Namespace) -> Iterator[str]:
    """The configuration and dashboard flags given in ``args``, as a command line again."""
    for dest, _, _ in _CONFIG_FLAGS:
        value = getattr(args, dest, None)
        if value is not None:
            yield f"{_flag(dest)}={value}"
    for setting in SETTINGS.values():
        value = getattr(args, setting.key, None)
        if setting.flag is None or value is None:
            continue
        if setting.form is Form.SWITCH:
            yield setting.flag if value else "--no-" + setting.flag[2:]
        elif setting.form is Form.LIST:
            yield from (f"{setting.flag}={item}" for item in value)
        else:
            yield f"{setting.flag}={value}"


N = TypeVar("N", int, float)


def number_in(kind: type[N], lowest: N, highest: N | None = None) -> Callable[[str], N]:
    """An argparse ``type``: a number of ``kind`` (int or float) from ``lowest`` to ``highest``."""

    def shown(number: N) -> str:
        return f"{number:,}" if isinstance(number, int) else f"{number:g}"

    def parse(text: str) -> N:
        try:
            value = kind(text)
        except ValueError:
            what = "a whole number" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if highest is not None and not lowest <= value <= highest:
            problem = f"must be between {shown(lowest)} and {shown(highest)}"
            raise argparse.ArgumentTypeError(problem)
        if value < lowest:
            raise argparse.ArgumentTypeError(f"must be at least {shown(lowest)}")
        return value

    return parse
