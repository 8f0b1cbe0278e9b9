"""Reading and rewriting the YAML configuration file.

Reading refuses what PyYAML would silently accept but a person did not mean:
a key given twice. Rewriting one setting edits only that setting's lines, so
the rest of the file (comments included) stays as the user wrote it; when the
layout is too unusual for that to be safe, the whole file is written anew.
Writes are atomic and keep the file's permissions; a symlinked file is
written through its link.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import stat
import tempfile
from collections.abc import Hashable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import yaml

# PyYAML is imported when a file is read or written, not with the package:
# the command line builds its parser from the settings and must start fast.

_MERGE_TAG = "tag:yaml.org,2002:merge"


class YamlFileError(Exception):
    """The file cannot be read, parsed or written; ``str()`` is one line naming it."""


@functools.cache
def _strict_loader() -> type[yaml.SafeLoader]:
    """A safe loader that rejects a key given twice in one mapping."""
    import yaml

    class StrictLoader(yaml.SafeLoader):
        def construct_mapping(
            self, node: yaml.MappingNode, deep: bool = False
        ) -> dict[Hashable, Any]:
            seen: set[str] = set()
            for key_node, _ in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.tag != _MERGE_TAG:
                    if key_node.value in seen:
                        raise yaml.constructor.ConstructorError(
                            None, None, f"key '{key_node.value}' appears twice", key_node.start_mark
                        )
                    seen.add(key_node.value)
            return super().construct_mapping(node, deep)

    return StrictLoader


def _parse(text: str, path: Path) -> dict[str, object]:
    import yaml

    try:
        data = yaml.load(text, Loader=_strict_loader())  # noqa: S506 (a SafeLoader subclass)
    except yaml.MarkedYAMLError as exc:
        # Only the position and the problem: the context snippet could quote a key.
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise YamlFileError(f"{path}: {where}not valid YAML: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise YamlFileError(f"{path}: not valid YAML ({type(exc).__name__})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise YamlFileError(
            f"{path}: expected a mapping of settings at the top level, got {type(data).__name__}"
        )
    for key in data:
        if not isinstance(key, str):
            raise YamlFileError(f"{path}: key {key!r} is not a name")
    return data


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise YamlFileError(f"config file {path} is not UTF-8 text") from None
    except OSError as exc:
        raise YamlFileError(f"config file {path}: cannot read it: {exc.strerror or exc}") from None


def read_mapping(path: Path) -> dict[str, object]:
    """The top-level mapping of the YAML file at ``path`` (an empty file gives ``{}``)."""
    return _parse(_read_text(path), path)


def _replace_block(text: str, key: str, fragment: str) -> str:
    """``text`` with the top-level block of ``key`` replaced by ``fragment`` (or appended)."""
    lines = text.splitlines(keepends=True)
    start_pattern = re.compile(rf"{re.escape(key)}\s*:(\s|$)")
    start = next((i for i, line in enumerate(lines) if start_pattern.match(line)), None)
    if start is None:
        separator = "" if not text or text.endswith("\n") else "\n"
        return text + separator + fragment
    end = start + 1
    for index in range(start + 1, len(lines)):
        line = lines[index]
        # Indented lines, and a block sequence written at column 0, continue the value;
        # blank lines and comments belong to it only if the value goes on after them.
        if line[:1] in (" ", "\t") or line.startswith("- ") or line.rstrip("\r\n") == "-":
            end = index + 1
        elif line.strip() and not line.lstrip().startswith("#"):
            break
    return "".join(lines[:start]) + fragment + "".join(lines[end:])


def _atomic_write(path: Path, text: str) -> None:
    target = Path(os.path.realpath(path))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        # A new file is private: it may later hold a profile's API key.
        mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else 0o600
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as stream:
                stream.write(text)
                stream.flush()
                os.fsync(stream.fileno())
            os.chmod(temporary, mode)
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
    except OSError as exc:
        raise YamlFileError(f"config file {path}: cannot write it: {exc.strerror or exc}") from None


def write_setting(path: Path, key: str, value: object) -> None:
    """Set the top-level ``key`` of the YAML file at ``path`` to ``value``, keeping the rest.

    A missing file is created. A file that cannot be parsed is left untouched
    (:class:`YamlFileError`), so nothing the user wrote is lost.
    """
    import yaml

    try:
        text = _read_text(path)
    except YamlFileError:
        if path.exists():
            raise
        text = ""
    wanted = {**_parse(text, path), key: value}
    fragment = yaml.safe_dump(
        {key: value}, default_flow_style=False, sort_keys=False, allow_unicode=True
    )
    new_text = _replace_block(text, key, fragment)
    try:
        edited_ok = _parse(new_text, path) == wanted
    except YamlFileError:
        edited_ok = False
    if not edited_ok:
        new_text = yaml.safe_dump(
            wanted, default_flow_style=False, sort_keys=False, allow_unicode=True
        )
    _atomic_write(path, new_text)
