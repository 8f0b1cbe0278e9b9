"""The real API's shapes from the official client's own models, for round-trip tests.

Two halves, one in each interpreter:

* :data:`OFFICIAL_SIDE` runs in the official client's venv (``MODE OUT_FILE
  NAMES...``): ``schemas`` writes the JSON schema of each named
  ``inductiva.client.models`` model; ``dump``
  reads generated instances on stdin, validates each with its official model
  (as the client does with an API answer) and writes it back serialised as
  the API would (``model_dump(mode="json", by_alias=True)``: every field,
  nulls included), or the reason the model refused it.
* Here: :func:`strategy` turns such a schema into a Hypothesis strategy (the
  subset pydantic writes: ``$ref``/``$defs``, ``anyOf``, enums, objects with
  required and optional properties or free maps, arrays, strings with
  ``date-time`` and length bounds, numbers, booleans, null), and
  :func:`lost_fields` says which fields our model parsed differently from the
  official serialisation (a field lost, or read as something else).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st
from pydantic import AliasChoices, BaseModel

__all__ = ["OFFICIAL_SIDE", "lost_fields", "strategy"]

OFFICIAL_SIDE = """
import json, sys
from inductiva.client import models

# The client prints an account summary on import: answers go to a file, not stdout.
mode, out, names = sys.argv[1], sys.argv[2], sys.argv[3:]
if mode == "schemas":
    json.dump({name: getattr(models, name).model_json_schema(by_alias=True) for name in names},
              open(out, "w"))
else:
    answers = []
    for item in json.load(sys.stdin):
        model = getattr(models, item["model"])
        try:
            parsed = model.model_validate_json(json.dumps(item["instance"]))
        except Exception as error:
            answers.append({"refused": str(error)[:300]})
        else:
            answers.append({"wire": parsed.model_dump(mode="json", by_alias=True)})
    json.dump(answers, open(out, "w"))
"""

_MAX_ITEMS = 3
_MAX_TEXT = 24
_JSON_SCALARS = st.none() | st.booleans() | st.integers(-(2**31), 2**31) | st.text(max_size=8)
_ANY_JSON = st.recursive(
    _JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=_MAX_ITEMS)
        | st.dictionaries(st.text(max_size=8), inner, max_size=_MAX_ITEMS)
    ),
    max_leaves=6,
)
_OFFSETS = st.integers(-14 * 60, 14 * 60).map(lambda minutes: timezone(timedelta(minutes=minutes)))
_TIMES = st.datetimes(
    min_value=datetime(1971, 1, 1),
    max_value=datetime(2100, 1, 1),
    timezones=st.none() | st.just(timezone.utc) | _OFFSETS,
).map(datetime.isoformat)


def strategy(schema: dict[str, Any], defs: dict[str, Any] | None = None) -> st.SearchStrategy[Any]:
    """JSON values that ``schema`` (a pydantic model's JSON schema, or a part of it) describes."""
    defs = schema.get("$defs", defs or {})
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return st.deferred(lambda: strategy(defs[name], defs))
    if "anyOf" in schema:
        return st.one_of([strategy(option, defs) for option in schema["anyOf"]])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "const" in schema:
        return st.just(schema["const"])
    kind = schema.get("type")
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers(-(2**53), 2**53)
    if kind == "number":
        return st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(2**31), 2**31)
    if kind == "string":
        if schema.get("format") == "date-time":
            return _TIMES
        low = schema.get("minLength", 0)
        return st.text(min_size=low, max_size=min(schema.get("maxLength", _MAX_TEXT), _MAX_TEXT))
    if kind == "array":
        return st.lists(strategy(schema.get("items", {}), defs), max_size=_MAX_ITEMS)
    if kind == "object" or "properties" in schema:
        return _object(schema, defs)
    return _ANY_JSON


def _object(schema: dict[str, Any], defs: dict[str, Any]) -> st.SearchStrategy[Any]:
    properties: dict[str, Any] = schema.get("properties", {})
    if properties:
        required = set(schema.get("required", ()))
        return st.fixed_dictionaries(
            {name: strategy(part, defs) for name, part in properties.items() if name in required},
            optional={
                name: strategy(part, defs)
                for name, part in properties.items()
                if name not in required
            },
        )
    values = schema.get("additionalProperties", True)
    value = strategy(values, defs) if isinstance(values, dict) else _ANY_JSON
    return st.dictionaries(st.text(max_size=8), value, max_size=_MAX_ITEMS)


def _wire_name(model: type[BaseModel], name: str) -> str:
    field = model.model_fields[name]
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        first = alias.choices[0]
        return first if isinstance(first, str) else name
    if isinstance(alias, str):
        return alias
    return field.alias or name


def _as_utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def _differs(mine: Any, theirs: Any, path: str) -> list[str]:
    if isinstance(mine, BaseModel):
        return lost_fields(mine, theirs, path) if isinstance(theirs, dict) else [path]
    if isinstance(mine, list):
        if not isinstance(theirs, list) or len(mine) != len(theirs):
            return [path]
        found: list[str] = []
        for index, (a, b) in enumerate(zip(mine, theirs, strict=True)):
            found += _differs(a, b, f"{path}[{index}]")
        return found
    if isinstance(mine, datetime):
        return [] if isinstance(theirs, str) and _as_utc(theirs) == mine else [path]
    if isinstance(mine, bool) or isinstance(theirs, bool):
        return [] if mine is theirs else [path]
    return [] if mine == theirs else [f"{path}: ours {mine!r}, the API's {theirs!r}"]


def lost_fields(ours: BaseModel, theirs: dict[str, Any], path: str = "") -> list[str]:
    """Fields of ``ours`` (and below) whose value is not what the official JSON ``theirs`` says.

    A field the official model does not have cannot be lost and is not looked at.
    """
    found: list[str] = []
    model = type(ours)
    for name in model.model_fields:
        key = _wire_name(model, name)
        if key in theirs:
            found += _differs(getattr(ours, name), theirs[key], f"{path}.{key}")
    return found


def dumps(value: Any) -> str:
    """JSON for the official side (no NaN: the API never sends it)."""
    return json.dumps(value, allow_nan=False)
