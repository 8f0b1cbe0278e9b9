"""Task names: the one function that names a task, the NAME and meta.KEY columns, the setting."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from inductiva_top.api.models import Task
from inductiva_top.config import CliOverrides, ConfigError, load_config
from inductiva_top.monitor.names import DEFAULT_NAME_KEYS, labelled, task_label, task_name
from inductiva_top.monitor.rows.export import render_csv, render_json
from inductiva_top.monitor.watch import Watcher
from inductiva_top.ui.columns import (
    COLUMNS,
    DEFAULT_COLUMNS,
    RowContext,
    columns_from_config,
    render_cell,
    unknown_columns_message,
)

CONTEXT = RowContext(
    now=datetime(2026, 1, 1, tzinfo=timezone.utc), status="success", status_alias=None
)


def task(metadata: dict[str, str] | None = None, status: str = "success") -> Task:
    return Task(task_id="t1", status=status, task_metadata=metadata)


# --- the name function ---


def test_the_first_present_key_names_the_task() -> None:
    assert DEFAULT_NAME_KEYS == ("name", "run", "case", "description")
    assert task_name(task({"case": "baseline", "run": "r7"})) == "r7"
    assert task_name(task({"description": "long study", "alpha": "0.3"})) == "long study"
    assert task_name(task({"alpha": "0.3"})) is None
    assert task_name(task(None)) is None
    assert task_name(None) is None


def test_blank_values_do_not_name_and_the_keys_are_configurable() -> None:
    metadata = {"name": "  ", "run": "r7", "study": "s1"}
    assert task_name(task(metadata)) == "r7"
    assert task_name(task(metadata), ("study", "name")) == "s1"
    assert task_name(metadata, ("nope",)) is None  # the metadata mapping alone will do


def test_a_name_is_sanitized_to_one_short_line() -> None:
    name = task_name(task({"name": "evil\x1b[31mred\x07\nsecond line"}))
    assert name == "evilred second line"
    long = task_name(task({"description": "word " * 100}))
    assert long is not None and len(long) <= 120 and "\n" not in long


def test_a_task_is_named_with_its_id_beside_it() -> None:
    assert task_label(task({"name": "plate-a0.3"})) == "plate-a0.3 (t1)"
    assert task_label(task()) == "t1"
    assert labelled("t\x072", None) == "t2"


# --- the columns ---


def cell(
    column_name: str,
    metadata: dict[str, str] | None,
    name_keys: tuple[str, ...] = DEFAULT_NAME_KEYS,
) -> str:
    columns, unknown = columns_from_config([column_name], name_keys)
    assert not unknown
    return render_cell(columns[0], task(metadata), CONTEXT).plain


def test_name_is_a_default_column_next_to_the_id() -> None:
    assert DEFAULT_COLUMNS[:3] == ("id", "name", "status")
    assert COLUMNS["name"].title == "NAME" and COLUMNS["name"].sort_field is None
    assert cell("name", {"case": "refined"}) == "refined"
    assert cell("name", {"alpha": "0.3"}) == "-"
    assert cell("name", {"case": "refined", "study": "s1"}, ("study",)) == "s1"


def test_meta_columns_show_one_metadata_key() -> None:
    columns, unknown = columns_from_config(["id", "meta.alpha", "meta.Run Dir", "name"])
    assert not unknown
    assert [c.key for c in columns] == ["id", "meta.alpha", "meta.Run Dir", "name"]
    assert [c.title for c in columns] == ["ID", "ALPHA", "RUN DIR", "NAME"]
    assert columns[1].sort_field is None and columns[1].most is not None
    assert cell("meta.alpha", {"alpha": "0.30", "name": "x"}) == "0.30"
    assert cell("meta.alpha", {"name": "x"}) == "-"


def test_unknown_columns_are_reported_with_what_there_is() -> None:
    columns, unknown = columns_from_config(["id", "nmae", "meta."])
    assert [c.key for c in columns] == ["id"]
    assert unknown == ["nmae", "meta."]
    message = unknown_columns_message(unknown)
    assert "'nmae' (did you mean 'name'?)" in message
    assert "meta.KEY" in message and "meta.alpha" in message


# --- the settings ---


def load(tmp_path: Path, text: str) -> object:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return load_config(CliOverrides(config=path), {}, tmp_path)


def test_name_keys_setting(tmp_path: Path) -> None:
    config = load_config(CliOverrides(name_keys=("study", "name")), {}, tmp_path)
    assert config.name_keys == ("study", "name")
    env = {"INDUCTIVA_TOP_NAME_KEYS": ""}
    assert load_config(CliOverrides(), env, tmp_path).name_keys == DEFAULT_NAME_KEYS


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ("columns: [id, 'meta.']\n", "expected a metadata key, e.g. meta.alpha"),
        ("columns: [id, 'meta.a b']\n", "holds a space or a control character"),
        ("name_keys: ['run id']\n", "holds a space or a control character"),
    ],
)
def test_bad_metadata_keys_are_refused_clearly(tmp_path: Path, text: str, fault: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)
    assert fault in str(caught.value)
    assert str(caught.value).startswith(str(tmp_path / "config.yaml"))


# --- where tasks are named ---


def test_toasts_and_notifications_name_the_task() -> None:
    watcher = Watcher(name_keys=("run",))
    running = task({"run": "r7"}, status="computation-started")
    watcher.toggle(running)
    (arrival,) = watcher.observe([task({"run": "r7"}, status="failed")])
    assert arrival.sentence == "r7 (t1) failed"


def test_exports_name_the_tasks() -> None:
    named, unnamed = task({"name": "plate-a0.3"}), Task(task_id="t2", status="failed")
    rows = list(csv.DictReader(io.StringIO(render_csv([named, unnamed]))))
    assert [(row["task_id"], row["name"]) for row in rows] == [("t1", "plate-a0.3"), ("t2", "")]
    items = json.loads(render_json([named, unnamed], ("nope",)))
    assert ["name" in item for item in items] == [False, False]
    assert json.loads(render_json([named]))[0]["name"] == "plate-a0.3"
