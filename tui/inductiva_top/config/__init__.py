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
exists. Its keys: ``refresh``, ``project``, ``status`` (a code or a list),
``active``, ``theme``, ``keymap`` (binding id -> key), ``read_only``,
``output_dir``, ``columns``, ``tail_lines``, ``notify``, ``profiles``.
An empty ``project``/``status``/``theme`` means no filter / the default theme.

**Environment variables** for the other settings (lists are comma-separated,
booleans are 1/0, true/false, yes/no or on/off)::

    INDUCTIVA_TOP_CONFIG      the YAML file
    INDUCTIVA_TOP_PROFILE     the profile
    INDUCTIVA_TOP_REFRESH     refresh
    INDUCTIVA_TOP_PROJECT     project
    INDUCTIVA_TOP_STATUS      status
    INDUCTIVA_TOP_ACTIVE      active
    INDUCTIVA_TOP_THEME       theme
    INDUCTIVA_TOP_READ_ONLY   read_only
    INDUCTIVA_TOP_OUTPUT_DIR  output_dir (else INDUCTIVA_OUTPUT_DIR, the official client's)
    INDUCTIVA_TOP_COLUMNS     columns
    INDUCTIVA_TOP_TAIL_LINES  tail_lines
    INDUCTIVA_TOP_NOTIFY      notify

Bad configuration raises :class:`ConfigError` with a one-line message naming
where the bad value came from and what is wrong with it. The API key never
appears in a message, a ``repr()`` or a pickle: it is held in a :class:`Secret`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import platformdirs

from inductiva_top.config._credentials import (
    DEFAULT_API_URL,
    Profile,
    official_key_file,
    parse_profiles,
    resolve_api,
)
from inductiva_top.config._values import (
    FILE_KEYS,
    MIN_REFRESH,
    SETTINGS,
    ConfigError,
    FrozenMap,
    did_you_mean,
    unknown_key,
)
from inductiva_top.config._yaml import YamlFileError, read_mapping, write_setting
from inductiva_top.config.secret import Secret

__all__ = [
    "DEFAULT_API_URL",
    "MIN_REFRESH",
    "CliOverrides",
    "Config",
    "ConfigError",
    "Secret",
    "load_config",
    "official_key_file",
    "profile_names",
    "save_setting",
    "switch_profile",
    "user_config_file",
]

_APP_NAME = "inductiva-top"
# CliOverrides field -> (YAML key, flag name)
_FLAGS = {
    "refresh": ("refresh", "--refresh"),
    "project": ("project", "--project"),
    "statuses": ("status", "--status"),
    "active": ("active", "--active"),
    "read_only": ("read_only", "--read-only"),
    "output_dir": ("output_dir", "--output-dir"),
    "theme": ("theme", "--theme"),
    "notify": ("notify", "--notify"),
}


@dataclass(frozen=True)
class Config:
    """Everything the program was configured with. Build it with :func:`load_config`."""

    api_url: str = DEFAULT_API_URL
    api_key: Secret | None = None
    api_key_source: str = ""
    """Where the key came from, for messages (e.g. ``environment variable INDUCTIVA_API_KEY``)."""
    profile: str | None = None
    refresh: float = 2.0
    project: str | None = None
    statuses: tuple[str, ...] = ()
    active: bool = False
    theme: str | None = None
    keymap: Mapping[str, str] = field(default_factory=FrozenMap)
    """Binding id -> key, read-only."""
    read_only: bool = False
    output_dir: Path = Path("inductiva_output")
    columns: tuple[str, ...] | None = None
    config_path: Path | None = None
    """The YAML file that was read, if any."""
    warnings: tuple[str, ...] = ()
    tail_lines: int = 10_000
    """How many lines of a task's output tail to keep."""
    notify: bool = False
    """Watch every task: a toast and the terminal bell when one finishes."""

    def __post_init__(self) -> None:
        if not isinstance(self.keymap, FrozenMap):
            object.__setattr__(self, "keymap", FrozenMap(self.keymap))


@dataclass(frozen=True)
class CliOverrides:
    """Values given on the command line; ``None`` means the flag was not given."""

    config: Path | None = None
    profile: str | None = None
    api_url: str | None = None
    refresh: float | None = None
    project: str | None = None
    statuses: tuple[str, ...] | None = None
    active: bool | None = None
    read_only: bool | None = None
    output_dir: Path | None = None
    theme: str | None = None
    notify: bool | None = None


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


def _file_layer(data: Mapping[str, object], path: Path) -> dict[str, object]:
    layer: dict[str, object] = {}
    for key, value in data.items():
        if key == "profiles":
            continue
        setting = SETTINGS.get(key)
        if setting is None:
            unknown_key(str(path), key, FILE_KEYS)
        layer[setting.attr] = setting.check(value, f"{path}: key '{key}'")
    return layer


def _env_layer(env: Mapping[str, str]) -> dict[str, object]:
    layer: dict[str, object] = {}
    for setting in SETTINGS.values():
        name = next((name for name in setting.env if env.get(name)), None)
        if name is not None:
            where = f"environment variable {name}"
            layer[setting.attr] = setting.check(setting.from_env(env[name], where), where)
    return layer


def _flag_layer(overrides: CliOverrides) -> dict[str, object]:
    layer: dict[str, object] = {}
    for attr, (key, flag) in _FLAGS.items():
        value = getattr(overrides, attr)
        if value is not None:
            shaped = list(value) if isinstance(value, tuple) else value
            layer[SETTINGS[key].attr] = SETTINGS[key].check(shaped, f"option {flag}")
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
    values: dict[str, object] = {}
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
    return Config(
        api_url=api.url,
        api_key=api.key,
        api_key_source=api.source,
        profile=profile.name if profile else None,
        config_path=path,
        warnings=tuple(warnings),
        **values,  # type: ignore[arg-type]  # each value was checked by its setting
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
    if isinstance(value, tuple):
        shaped: object = list(value)
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
