"""Configuration: one frozen :class:`Config`, built by :func:`load_config`.

Every setting is taken from the first of: command-line flag, environment,
YAML file, default.

**API URL and key**, found as the official ``inductiva`` client finds them:
the URL from ``INDUCTIVA_API_URL`` (default ``https://api.inductiva.ai``),
the key from ``INDUCTIVA_API_KEY``, else the file ``~/.inductiva/api_key``
(``~/AppData/inductiva/api_key`` on Windows) that ``inductiva auth login``
writes. ``--api-url`` overrides the URL. Surrounding whitespace is stripped
from the key, and an empty variable counts as unset.

**Profiles** (``profiles: {NAME: {api_url, api_key | api_key_file}}`` in the
YAML file) are chosen with ``--profile NAME`` or ``INDUCTIVA_TOP_PROFILE``
(the flag wins). A chosen profile supplies both the URL and the key and takes
precedence over ``INDUCTIVA_API_URL``, ``INDUCTIVA_API_KEY`` and the key file:
choosing a profile is choosing a server and its credentials, and mixing the
default key with a profile's URL would send that key to another server. A
profile without a key has no key. Only ``--api-url`` overrides a profile's URL.
A relative ``api_key_file`` is relative to the YAML file.

**The YAML file** is ``--config PATH``, else ``INDUCTIVA_TOP_CONFIG``, else
``config.yaml`` in platformdirs' user config dir for ``inductiva-top`` if it
exists. Its keys are the settings' and ``profiles``.

**The settings** are declared once, in :mod:`inductiva_top.config.settings`:
each is a YAML key, the environment variable ``INDUCTIVA_TOP_<KEY>`` and the
flag ``--<key>`` (the keymap and the watch rules are YAML only). In the environment
lists are comma-separated and booleans are 1/0, true/false, yes/no or on/off. An empty
``project``/``status``/``theme`` means no filter / the default theme.

Bad configuration raises :class:`ConfigError` with a one-line message naming
where the bad value came from and what is wrong with it. The API key never
appears in a message, a ``repr()`` or a pickle: it is held in a :class:`Secret`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path

import platformdirs

from inductiva_top.config._credentials import (
    DEFAULT_API_URL,
    NO_KEY_MESSAGE,
    Profile,
    official_key_file,
    parse_profiles,
    resolve_api,
)
from inductiva_top.config._values import (
    MIN_REFRESH,
    ConfigError,
    FrozenMap,
    did_you_mean,
    unknown_key,
)
from inductiva_top.config._yaml import YamlFileError, read_mapping, write_setting
from inductiva_top.config.secret import Secret
from inductiva_top.config.settings import (
    ACTIVE,
    COLUMNS,
    KEYMAP,
    NAME_KEYS,
    NOTIFY,
    NOTIFY_VIA,
    OUTPUT_DIR,
    PROJECT,
    READ_ONLY,
    REFRESH,
    SETTINGS,
    STALL_AFTER,
    STATUS,
    TAIL_LINES,
    THEME,
    WATCH,
)
from inductiva_top.monitor.foresight.notify import NotifyVia
from inductiva_top.monitor.foresight.rules import WatchRule

__all__ = [
    "DEFAULT_API_URL",
    "MIN_REFRESH",
    "CliOverrides",
    "Config",
    "ConfigError",
    "Secret",
    "did_you_mean",
    "load_config",
    "official_key_file",
    "profile_names",
    "save_setting",
    "switch_profile",
    "user_config_file",
]

_APP_NAME = "inductiva-top"
_FILE_KEYS = (*SETTINGS, "profiles")
_FLAG_FIELDS = {setting.field: setting for setting in SETTINGS.values() if setting.flag}


@dataclass(frozen=True)
class Config:
    """Everything the program was configured with. Build it with :func:`load_config`.

    Each setting's field takes its default from its declaration in
    :mod:`inductiva_top.config.settings`.
    """

    api_url: str = DEFAULT_API_URL
    api_key: Secret | None = None
    api_key_source: str = ""
    """Where the key came from, for messages (e.g. ``environment variable INDUCTIVA_API_KEY``)."""
    profile: str | None = None
    refresh: float = REFRESH.default
    project: str | None = PROJECT.default
    statuses: tuple[str, ...] = STATUS.default
    active: bool = ACTIVE.default
    theme: str | None = THEME.default
    keymap: Mapping[str, str] = KEYMAP.default
    """Binding id -> key, read-only."""
    read_only: bool = READ_ONLY.default
    output_dir: Path = OUTPUT_DIR.default
    columns: tuple[str, ...] | None = COLUMNS.default
    name_keys: tuple[str, ...] = NAME_KEYS.default
    """Metadata keys that name a task (the NAME column), first present wins."""
    config_path: Path | None = None
    """The YAML file that was read, if any."""
    warnings: tuple[str, ...] = ()
    tail_lines: int = TAIL_LINES.default
    """How many lines of a task's output tail to keep."""
    notify: bool = NOTIFY.default
    """Watch every task: a toast and the terminal bell when one finishes."""
    notify_via: NotifyVia = NOTIFY_VIA.default
    """How notifications reach the terminal; ``AUTO``: chosen from the environment."""
    stall_after: float = STALL_AFTER.default
    """Seconds without new output before a running task is stalled; 0: never."""
    watch: tuple[WatchRule, ...] = WATCH.default
    """Watch rules: tasks to tell about without pressing ``w`` on each."""
    origins: Mapping[str, str] = FrozenMap()
    """``Config`` attribute -> where its value came from (``option --theme``), for messages."""

    def __post_init__(self) -> None:
        for name in ("keymap", "origins"):
            value = getattr(self, name)
            if not isinstance(value, FrozenMap):
                object.__setattr__(self, name, FrozenMap(value))

    def origin(self, name: str) -> str:
        """Where the value of attribute ``name`` came from; ``config`` when not known."""
        return self.origins.get(name, "config")

    @property
    def key_missing(self) -> str | None:
        """Why no API key is sent, with how to give one; None when there is a key."""
        if self.api_key is not None:
            return None
        if self.profile is not None:
            return (
                f"No API key: profile '{self.profile}' in {self.config_path} has neither "
                "api_key nor api_key_file."
            )
        return NO_KEY_MESSAGE


@dataclass(frozen=True, init=False)
class CliOverrides:
    """Values given on the command line; ``None`` (or left out) means the flag was not given.

    ``config``, ``profile`` and ``api_url`` choose the file and the server;
    every other keyword is a setting that has a flag, by its ``Config``
    attribute (``refresh=5.0``, ``statuses=("failed",)``).
    """

    config: Path | None
    profile: str | None
    api_url: str | None
    settings: Mapping[str, object]
    """``Config`` attribute -> the value given."""

    def __init__(
        self,
        config: Path | None = None,
        profile: str | None = None,
        api_url: str | None = None,
        **settings: object,
    ) -> None:
        unknown = sorted(set(settings) - set(_FLAG_FIELDS))
        if unknown:
            raise TypeError(f"CliOverrides() got settings without a flag: {', '.join(unknown)}")
        object.__setattr__(self, "config", config)
        object.__setattr__(self, "profile", profile)
        object.__setattr__(self, "api_url", api_url)
        given = {name: value for name, value in settings.items() if value is not None}
        object.__setattr__(self, "settings", given)


def user_config_file(config_dir: Path | None = None) -> Path:
    """The default YAML file: ``config.yaml`` in the user config dir (or ``config_dir``)."""
    directory = config_dir if config_dir is not None else platformdirs.user_config_path(_APP_NAME)
    return directory / "config.yaml"


def _config_file(
    overrides: CliOverrides, env: Mapping[str, str], default_file: Path
) -> Path | None:
    if overrides.config is not None:
        path, named_by = overrides.config.expanduser(), "option --config"
    elif env.get("INDUCTIVA_TOP_CONFIG"):
        path = Path(env["INDUCTIVA_TOP_CONFIG"]).expanduser()
        named_by = "environment variable INDUCTIVA_TOP_CONFIG"
    else:
        return default_file if default_file.is_file() else None
    if not path.exists():
        raise ConfigError(f"config file {path} (from {named_by}) does not exist")
    return path


def _read_file(path: Path) -> dict[str, object]:
    try:
        return read_mapping(path)
    except YamlFileError as exc:
        raise ConfigError(str(exc)) from None


Layer = dict[str, tuple[object, str]]
"""``Config`` attribute -> its checked value and where it came from."""


def _file_layer(data: Mapping[str, object], path: Path) -> Layer:
    layer: Layer = {}
    for key, value in data.items():
        if key == "profiles":
            continue
        setting = SETTINGS.get(key)
        if setting is None:
            unknown_key(str(path), key, _FILE_KEYS)
        where = f"{path}: key '{key}'"
        layer[setting.field] = (setting.check(value, where), where)
    return layer


def _env_layer(env: Mapping[str, str]) -> Layer:
    layer: Layer = {}
    for setting in SETTINGS.values():
        name = next((name for name in setting.env if env.get(name)), None)
        if name is not None and setting.form is not None:
            where = f"environment variable {name}"
            value = setting.check(setting.form.from_env(env[name], where), where)
            layer[setting.field] = (value, where)
    return layer


def _flag_layer(overrides: CliOverrides) -> Layer:
    layer: Layer = {}
    for attr, value in overrides.settings.items():
        setting = _FLAG_FIELDS[attr]
        shaped = list(value) if isinstance(value, tuple) else value
        where = f"option {setting.flag}"
        layer[attr] = (setting.check(shaped, where), where)
    return layer


def _chosen_profile(
    overrides: CliOverrides,
    env: Mapping[str, str],
    profiles: Mapping[str, Profile],
    path: Path | None,
    default_file: Path,
) -> Profile | None:
    if overrides.profile:
        name, named_by = overrides.profile, "option --profile"
    elif env.get("INDUCTIVA_TOP_PROFILE"):
        name, named_by = env["INDUCTIVA_TOP_PROFILE"], "environment variable INDUCTIVA_TOP_PROFILE"
    else:
        return None
    if path is None:
        raise ConfigError(
            f"profile '{name}' (from {named_by}) needs a config file with a 'profiles' "
            f"section; there is none at {default_file}"
        )
    if name not in profiles:
        raise ConfigError(
            f"{path}: key 'profiles' has no profile '{name}' (from {named_by})"
            f"{did_you_mean(name, list(profiles))}; profiles: {', '.join(profiles) or 'none'}"
        )
    return profiles[name]


def load_config(
    overrides: CliOverrides,
    env: Mapping[str, str] | None = None,
    home: Path | None = None,
    *,
    config_dir: Path | None = None,
) -> Config:
    """Build the configuration: flag > environment > YAML file > default.

    ``env`` defaults to ``os.environ``, ``home`` (where ``.inductiva/api_key``
    lives) to the user's home, ``config_dir`` (where the default
    ``config.yaml`` lives) to platformdirs' user config dir.
    Raises :class:`ConfigError` on any bad value.
    """
    env = os.environ if env is None else env
    home = Path.home() if home is None else home
    default_file = user_config_file(config_dir)
    path = _config_file(overrides, env, default_file)
    values: Layer = {}
    profiles: dict[str, Profile] = {}
    if path is not None:
        data = _read_file(path)
        values.update(_file_layer(data, path))
        profiles = parse_profiles(data.get("profiles"), path)
    values.update(_env_layer(env))
    values.update(_flag_layer(overrides))
    profile = _chosen_profile(overrides, env, profiles, path, default_file)
    warnings: list[str] = []
    api = resolve_api(
        flag_url=overrides.api_url, profile=profile, env=env, home=home, warnings=warnings
    )
    checked = {name: value for name, (value, _) in values.items()}
    return Config(
        api_url=api.url,
        api_key=api.key,
        api_key_source=api.source,
        profile=profile.name if profile else None,
        config_path=path,
        warnings=tuple(warnings),
        origins={name: where for name, (_, where) in values.items()},
        **checked,  # type: ignore[arg-type]  # each value was checked by its setting
    )


def profile_names(path: Path | None) -> list[str]:
    """The profiles defined in the YAML file at ``path`` (none without a file).

    Raises :class:`ConfigError` when the file or its ``profiles`` section is bad.
    """
    if path is None:
        return []
    return list(parse_profiles(_read_file(path).get("profiles"), path))


def switch_profile(config: Config, name: str) -> Config:
    """``config`` pointed at profile ``name``: its URL and key, every other setting kept.

    Raises :class:`ConfigError` when the profile does not exist or its key is bad.
    """
    chosen = load_config(CliOverrides(config=config.config_path, profile=name))
    return replace(
        config,
        api_url=chosen.api_url,
        api_key=chosen.api_key,
        api_key_source=chosen.api_key_source,
        profile=chosen.profile,
        warnings=chosen.warnings,
    )


def save_setting(
    path: Path | None, key: str, value: object, *, config_dir: Path | None = None
) -> Path:
    """Write one top-level setting into the YAML file and return the file's path.

    ``path`` None means the default file in the user config dir (or
    ``config_dir``), created if needed. Other keys, and where the layout allows
    it their comments, are kept. A value that :func:`load_config` would reject,
    or a file that cannot be parsed, raises :class:`ConfigError` and changes
    nothing.
    """
    target = path if path is not None else user_config_file(config_dir)
    setting = SETTINGS.get(key)
    if setting is None:
        unknown_key(str(target), key, list(SETTINGS))
    if isinstance(value, Enum):
        shaped: object = value.value
    elif isinstance(value, tuple):
        shaped = list(value)
    elif isinstance(value, Path):
        shaped = str(value)
    elif isinstance(value, Mapping):
        shaped = dict(value)
    else:
        shaped = value
    setting.check(shaped, f"{target}: key '{key}'")
    try:
        write_setting(target, key, shaped)
    except YamlFileError as exc:
        raise ConfigError(str(exc)) from None
    return target
