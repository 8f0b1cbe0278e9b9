"""Checking setting values, wherever they come from, into their typed form.

Each check takes a YAML-shaped value (what ``yaml.safe_load`` gives; the
environment's and the command line's text is first shaped by the setting's
:class:`~inductiva_top.config.settings.Form`) and ``where`` it
came from, and either returns the typed value or raises :class:`ConfigError`
with a one-line message that starts with ``where``.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import NoReturn, final
from urllib.parse import urlsplit

MIN_REFRESH = 1.0


class ConfigError(Exception):
    """Bad configuration; ``str()`` is one line naming the source, the key and the fault."""


@final
class FrozenMap(Mapping[str, str]):
    """A read-only, hashable ``str -> str`` mapping."""

    __slots__ = ("_data",)

    def __init__(self, items: Mapping[str, str] | None = None) -> None:
        self._data = dict(items or {})

    def __getitem__(self, key: str) -> str:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        return hash(frozenset(self._data.items()))

    def __repr__(self) -> str:
        return repr(self._data)


# --- value checks ---


def fail(where: str, problem: str) -> NoReturn:
    """Raise :class:`ConfigError` for ``problem`` found at ``where``."""
    raise ConfigError(f"{where}: {problem}")


def shown(value: object) -> str:
    """A short ``repr`` of a (non-secret) value for a message."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def type_fault(where: str, expected: str, value: object) -> NoReturn:
    """Raise the error for a value of the wrong type."""
    fail(where, f"expected {expected}, got {type(value).__name__} {shown(value)}")


def check_seconds(value: object, where: str) -> float:
    """A finite number of seconds, at least :data:`MIN_REFRESH`."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        type_fault(where, "a number of seconds", value)
    if not math.isfinite(value):
        fail(where, f"expected a finite number of seconds, got {value}")
    if value < MIN_REFRESH:
        fail(where, f"{value} is below the minimum of {MIN_REFRESH:g} second")
    return float(value)


def check_count(value: object, where: str) -> int:
    """A whole number, at least 1."""
    if isinstance(value, bool) or not isinstance(value, int):
        type_fault(where, "a whole number", value)
    if value < 1:
        fail(where, f"expected at least 1, got {value}")
    return value


def check_switch(value: object, where: str) -> bool:
    """True or false."""
    if not isinstance(value, bool):
        type_fault(where, "true or false", value)
    return value


def check_text(value: object, where: str) -> str | None:
    """Text, stripped; empty means none."""
    if value is None:
        return None
    if not isinstance(value, str):
        type_fault(where, "text", value)
    return value.strip() or None


def check_texts(value: object, where: str) -> tuple[str, ...]:
    """Text or a list of text: the non-empty items, stripped, first occurrence kept."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        type_fault(where, "text or a list of text", value)
    return tuple(dict.fromkeys(item.strip() for item in items if item.strip()))


META_PREFIX = "meta."
"""A column named ``meta.KEY`` shows the task's metadata value of KEY."""


def check_metadata_key(key: str, where: str, example: str) -> str:
    """A metadata key as a setting names it: not empty, no whitespace or control character."""
    if not key:
        fail(where, f"expected a metadata key, e.g. {example}")
    if any(char.isspace() or not char.isprintable() for char in key):
        fail(where, f"metadata key {shown(key)} holds a space or a control character")
    return key


def check_columns(value: object, where: str) -> tuple[str, ...] | None:
    """Column ids, in order; none or empty means the default set.

    ``meta.KEY`` names a metadata key; a bad key is refused here (which
    columns exist is the table's to say).
    """
    # No columns at all is never meant: empty means the default set.
    names = check_texts(value, where) if value is not None else ()
    for name in names:
        if name.startswith(META_PREFIX):
            key = name[len(META_PREFIX) :]
            check_metadata_key(key, f"{where}: {shown(name)}", "meta.alpha")
    return names or None


def check_keymap(value: object, where: str) -> FrozenMap:
    """Binding id -> key name."""
    if value is None:
        return FrozenMap()
    if not isinstance(value, dict):
        type_fault(where, "a mapping of binding id to key", value)
    for binding, key in value.items():
        if not isinstance(binding, str) or not isinstance(key, str) or not key.strip():
            fail(where, f"binding {shown(binding)} must map to a key name, got {shown(key)}")
    return FrozenMap({binding: key.strip() for binding, key in value.items()})


def check_path(value: object, where: str) -> Path:
    """A path, ``~`` expanded."""
    if isinstance(value, Path):
        return value.expanduser()
    if not isinstance(value, str) or not value.strip():
        type_fault(where, "a path", value)
    return Path(value.strip()).expanduser()


def check_url(value: object, where: str) -> str:
    """An http(s) URL, without a trailing slash."""
    if not isinstance(value, str):
        type_fault(where, "an http(s) URL", value)
    text = value.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        fail(where, f"expected an http(s) URL, got {shown(text)}")
    return text.rstrip("/")


def did_you_mean(word: str, choices: Sequence[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``choices``, or nothing."""
    close = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def unknown_key(where: str, key: object, choices: Sequence[str]) -> NoReturn:
    """Raise the error for a key that is not one of ``choices``."""
    hint = did_you_mean(key, choices) if isinstance(key, str) else ""
    fail(where, f"unknown key {shown(key)}{hint}; known keys: {', '.join(choices)}")
