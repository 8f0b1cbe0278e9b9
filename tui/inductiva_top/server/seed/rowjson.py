"""A seeded task's ``tasks`` row, its JSON written directly.

The row is what :func:`~inductiva_top.server.tasks.store.row_from_documents`
makes of the task's documents, and the JSON text is byte for byte what
``json.dumps(..., separators=(",", ":"))`` writes for the server models'
``model_dump(mode="json")`` (same keys in the same order, ``...Z``
timestamps, ``float.__repr__`` numbers, ASCII escapes). It is written with
string templates rather than dicts and ``json.dumps`` because that halves
the cost of seeding; ``tests/server/test_seed.py`` holds it to both
equivalences, so a change of the wire models shows up there.
"""

from __future__ import annotations

import json
from typing import Any

from inductiva_top.server.seed.record import (
    ALIAS,
    DESCRIPTION,
    OPERATION_ALIAS,
    US,
    Recorder,
    iso,
)

_encode = json.JSONEncoder(separators=(",", ":")).encode
_STRINGS: dict[str, str] = {}
_PARAMS: dict[tuple[str, ...], str] = {}


def _text(value: str | None) -> str:
    """A JSON string (cached: most strings of a seed repeat)."""
    if value is None:
        return "null"
    found = _STRINGS.get(value)
    if found is None:
        if len(_STRINGS) > 50_000:
            _STRINGS.clear()
        found = _STRINGS[value] = _encode(value)
    return found


def _number(value: float | None) -> str:
    return "null" if value is None else repr(value)


def _attributes(attributes: dict[str, Any]) -> str:
    """An operation's attributes (strings and whole numbers, as the runner records them)."""
    if not attributes:
        return "{}"
    items = [
        f"{_text(key)}:{_text(value) if isinstance(value, str) else repr(value)}"
        for key, value in attributes.items()
    ]
    return "{" + ",".join(items) + "}"


_ENTRY_WORDS = {value: (_text(DESCRIPTION[value]), _text(ALIAS[value])) for value in DESCRIPTION}


_OPERATION_ALIAS = {name: _text(alias) for name, alias in OPERATION_ALIAS.items()}


def _instants(rec: Recorder) -> dict[int | None, str]:
    """Every instant of a task as JSON, formatted once (entries and operations share most)."""
    known: set[int] = {us for us in rec.times.values() if us is not None}
    for entry in rec.history:
        known.add(entry["timestamp"])
        if entry["end_timestamp"] is not None:
            known.add(entry["end_timestamp"])
        for op in entry["operations"]:
            known.add(op["start_timestamp"])
            if op["end_timestamp"] is not None:
                known.add(op["end_timestamp"])
    text: dict[int | None, str] = {us: f'"{iso(us)}"' for us in known}
    text[None] = "null"
    return text


def _history(history: list[dict[str, Any]], when: dict[int | None, str]) -> str:
    entries = []
    for entry in history:
        status = entry["status"]
        description, alias = _ENTRY_WORDS[status]
        if entry["description"] != DESCRIPTION[status]:
            description = _text(entry["description"])
        operations = ",".join(
            f'{{"name":"{op["name"]}","alias":{_OPERATION_ALIAS[op["name"]]},'
            f'"start_timestamp":{when[op["start_timestamp"]]},'
            f'"end_timestamp":{when[op["end_timestamp"]]},'
            f'"status":"{op["status"]}","attributes":{_attributes(op["attributes"])}}}'
            for op in entry["operations"]
        )
        machine = entry["machine_id"]
        entries.append(
            f'{{"machine_id":{_text(machine) if machine else "null"},"status":"{status}",'
            f'"timestamp":{when[entry["timestamp"]]},"end_timestamp":{when[entry["end_timestamp"]]},'
            f'"description":{description},"alias":{alias},"operations":[{operations}]}}'
        )
    return "[" + ",".join(entries) + "]"


def _metrics(metrics: dict[str, Any]) -> str:
    get = metrics.get
    return (
        f'{{"total_seconds":{_number(get("total_seconds"))},'
        '"container_image_download_seconds":null,"container_image_size_bytes":null,'
        f'"queue_time_seconds":{_number(get("queue_time_seconds"))},'
        f'"computation_seconds":{_number(get("computation_seconds"))},'
        '"input_upload_seconds":null,'
        f'"input_download_seconds":{_number(get("input_download_seconds"))},'
        f'"input_decompression_seconds":{_number(get("input_decompression_seconds"))},'
        f'"output_upload_seconds":{_number(get("output_upload_seconds"))},'
        f'"input_zipped_size_bytes":{_number(get("input_zipped_size_bytes"))},'
        f'"input_size_bytes":{_number(get("input_size_bytes"))},'
        f'"output_total_files":{_number(get("output_total_files"))},'
        f'"output_size_bytes":{_number(get("output_size_bytes"))},'
        f'"output_zipped_size_bytes":{_number(get("output_zipped_size_bytes"))},'
        f'"output_compression_seconds":{_number(get("output_compression_seconds"))}}}'
    )


def _executer(executer: dict[str, Any] | None) -> str:
    if executer is None:
        return "null"
    return (
        f'{{"uuid":{_text(executer["uuid"])},'
        f'"cpu_count_logical":{executer["cpu_count_logical"]},'
        f'"cpu_count_physical":{executer["cpu_count_physical"]},'
        f'"memory":{executer["memory"]},"n_mpi_hosts":{executer["n_mpi_hosts"]},'
        f'"vm_type":{_text(executer["vm_type"])},"vm_name":{_text(executer["vm_name"])},'
        f'"host_type":{_text(executer["host_type"])},'
        f'"error_detail":{_text(executer["error_detail"])}}}'
    )


def _seconds(us: int | None) -> float | None:
    return us / US if us is not None else None


def task_row(rec: Recorder, cost: float, resubmit_on_preemption: bool) -> dict[str, Any]:
    """The ``tasks`` row of a finished record (what ``TaskStore.insert_rows`` takes)."""
    plan, times = rec.plan, rec.times
    when = _instants(rec)
    task_id = plan.task_id
    group = _text(plan.group.name)
    status: str = rec.status._value_
    total = rec.metrics.get("total_seconds")
    metadata = _encode(plan.metadata) if plan.metadata is not None else "null"
    command = _PARAMS.get(plan.command)
    if command is None:
        command = _PARAMS[plan.command] = _encode({"command": list(plan.command), "env": None})
    doc = (
        f'{{"task_id":"{task_id}","status":"{status}","status_alias":{_text(ALIAS[status])},'
        f'"simulator":{_text(plan.simulator.name)},"storage_path":"{task_id}",'
        f'"storage_input_path":"{task_id}/input.zip",'
        f'"storage_output_path":"{task_id}/output.zip","storage_region":"local",'
        f'"container_image":null,"project":{_text(plan.project)},"is_terminated":true,'
        f'"create_time":{when[times["create_time"]]},'
        f'"input_submit_time":{when[times["input_submit_time"]]},'
        f'"start_time":{when[times["start_time"]]},'
        f'"computation_start_time":{when[times["computation_start_time"]]},'
        f'"computation_end_time":{when[times["computation_end_time"]]},'
        f'"end_time":{when[times["end_time"]]},'
        f'"estimated_computation_cost":{cost!r},"metrics":{_metrics(rec.metrics)},'
        f'"executer":{_executer(rec.executer)},'
        f'"machine_group_name":{group},"machine_group_id":{group},'
        f'"error_detail":{_text(rec.error_detail)},"input_resources":null,"stream_zip":true,'
        f'"num_retries":{rec.num_retries},"compress_with":null,"task_metadata":{metadata},'
        f'"extra_params":{command},'
        f'"resubmit_on_preemption":{"true" if resubmit_on_preemption else "false"},'
        f'"duration_seconds":{_number(total)},'
        '"orchestration_fee":{"amount":0.0,"charged":false,"currency":"USD"},'
        f'"time_to_live_seconds":{_number(plan.ttl_seconds)}}}'
    )
    submitted = times["input_submit_time"]
    return {
        "task_id": task_id,
        "status": status,
        "is_terminated": 1,
        "project": plan.project,
        "simulator": plan.simulator.name,
        "machine_group": plan.group.name,
        "create_time": (times["create_time"] or 0) / US,
        "input_submit_time": _seconds(submitted),
        "start_time": _seconds(times["start_time"]),
        "computation_start_time": _seconds(times["computation_start_time"]),
        "computation_end_time": _seconds(times["computation_end_time"]),
        "end_time": _seconds(times["end_time"]),
        "queue_seq": plan.queue_seq if submitted is not None else None,
        "pgid": None,
        "pg_create_time": None,
        "num_retries": rec.num_retries,
        "doc": doc,
        "history": _history(rec.history, when),
    }
