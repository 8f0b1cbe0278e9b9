"""Finding the API URL and key: from a profile, or as the official client does."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from inductiva_top.config._values import (
    check_path,
    check_url,
    fail,
    shown,
    type_fault,
    unknown_key,
)
from inductiva_top.config.secret import Secret

DEFAULT_API_URL = "https://api.inductiva.ai"
_KEY_PATTERN = re.compile(r"[A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Profile:
    """A named server and its credentials, from ``profiles:`` in the YAML file."""

    name: str
    api_url: str
    api_key: Secret | None
    api_key_file: Path | None
    config_path: Path
    """The YAML file the profile is written in."""


def _parse_key(text: str, where: str) -> Secret:
    # The official client's rule; the message never quotes the key.
    if not _KEY_PATTERN.fullmatch(text):
        fail(where, "malformed API key (it may only contain letters, digits, '.', '_' and '-')")
    return Secret(text)


def _group_or_other_access(path: Path, warnings: list[str], what: str) -> None:
    if os.name != "posix":
        return
    try:
        mode = path.stat().st_mode & 0o777
    except OSError:
        return
    if mode & 0o077:
        warnings.append(
            f"{what} {path} is accessible by group or others (mode {mode:o}); "
            f"fix it with: chmod 600 {path}"
        )


def _read_key_file(path: Path, where: str, warnings: list[str]) -> Secret | None:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        fail(where, "the file does not exist")
    except UnicodeDecodeError:
        fail(where, "the file is not text")
    except OSError as exc:
        fail(where, f"cannot read the file: {exc.strerror or exc}")
    _group_or_other_access(path, warnings, "API key file")
    if not text:
        warnings.append(f"API key file {path} is empty; no API key is used")
        return None
    return _parse_key(text, where)


_PROFILE_KEYS = ("api_url", "api_key", "api_key_file")


def _profile(name: str, body: object, path: Path) -> Profile:
    def at(suffix: str = "") -> str:
        return f"{path}: key 'profiles.{name}{suffix}'"

    if not isinstance(body, dict):
        type_fault(at(), "a mapping with api_url and api_key or api_key_file", body)
    for key in body:
        if key not in _PROFILE_KEYS:
            unknown_key(at(), key, _PROFILE_KEYS)
    if "api_url" not in body:
        fail(at(), "api_url is missing")
    if "api_key" in body and "api_key_file" in body:
        fail(at(), "give api_key or api_key_file, not both")
    api_key = body.get("api_key")
    if api_key is not None and not isinstance(api_key, str):
        # Never echo this value: it may be a mistyped key.
        fail(at(".api_key"), f"expected text, got {type(api_key).__name__}")
    key_file = body.get("api_key_file")
    return Profile(
        name=name,
        api_url=check_url(body["api_url"], at(".api_url")),
        api_key=_parse_key(api_key.strip(), at(".api_key")) if api_key else None,
        api_key_file=None
        if key_file is None
        else path.parent / check_path(key_file, at(".api_key_file")),
        config_path=path,
    )


def parse_profiles(value: object, path: Path) -> dict[str, Profile]:
    """The ``profiles:`` section of the YAML file at ``path``, checked."""
    if value is None:
        return {}
    where = f"{path}: key 'profiles'"
    if not isinstance(value, dict):
        type_fault(where, "a mapping of profile name to settings", value)
    for name in value:
        if not isinstance(name, str) or not name:
            fail(where, f"profile names must be text, got {shown(name)}")
    return {name: _profile(name, body, path) for name, body in value.items()}


def official_key_file(home: Path) -> Path:
    """Where ``inductiva auth login`` stores the API key."""
    if sys.platform == "win32":
        return home / "AppData" / "inductiva" / "api_key"
    return home / ".inductiva" / "api_key"


def _tilde(path: Path, home: Path) -> str:
    try:
        return f"~/{path.relative_to(home).as_posix()}"
    except ValueError:
        return str(path)


NO_KEY_MESSAGE = (
    "No API key found: set INDUCTIVA_API_KEY, or run `inductiva auth login` "
    f"(it writes {official_key_file(Path('~')).as_posix()})."
)
"""What the dashboard says when neither place the official client reads holds a key."""


@dataclass(frozen=True)
class ApiAccess:
    """The API URL, the key (if any) and, for messages, where the key came from."""

    url: str
    key: Secret | None
    source: str


def _api_from_profile(profile: Profile, flag_url: str | None, warnings: list[str]) -> ApiAccess:
    url = flag_url or profile.api_url
    config_path = profile.config_path
    named = f"profile '{profile.name}' in {config_path}"
    if profile.api_key is not None:
        _group_or_other_access(config_path, warnings, "config file (it holds an API key)")
        return ApiAccess(url, profile.api_key, named)
    key_file = profile.api_key_file
    if key_file is not None:
        where = f"{config_path}: key 'profiles.{profile.name}.api_key_file' ({key_file})"
        key = _read_key_file(key_file, where, warnings)
        source = f"{named} (key_file {key_file})"
        return ApiAccess(url, key, source if key else "")
    return ApiAccess(url, None, "")


def _api_default(
    flag_url: str | None, env: Mapping[str, str], home: Path, warnings: list[str]
) -> ApiAccess:
    env_url = env.get("INDUCTIVA_API_URL", "")
    if flag_url:
        url = flag_url
    elif env_url:
        url = check_url(env_url, "environment variable INDUCTIVA_API_URL")
    else:
        url = DEFAULT_API_URL
    env_key = env.get("INDUCTIVA_API_KEY", "").strip()
    if env_key:
        source = "environment variable INDUCTIVA_API_KEY"
        return ApiAccess(url, _parse_key(env_key, source), source)
    key_file = official_key_file(home)
    if not key_file.exists():
        return ApiAccess(url, None, "")
    key = _read_key_file(key_file, f"API key file {key_file}", warnings)
    return ApiAccess(url, key, f"file {_tilde(key_file, home)}" if key else "")


def resolve_api(
    *,
    flag_url: str | None,
    profile: Profile | None,
    env: Mapping[str, str],
    home: Path,
    warnings: list[str],
) -> ApiAccess:
    """The API URL and key: from ``profile`` if one was chosen, else as the official client.

    ``--api-url`` (``flag_url``) wins over both. Warnings about the key's
    file are appended to ``warnings``.
    """
    url = check_url(flag_url, "option --api-url") if flag_url else None
    if profile is not None:
        return _api_from_profile(profile, url, warnings)
    return _api_default(url, env, home, warnings)
