"""Round trip of the real API's shapes: the official client's models, generated, into ours.

For every answer our client parses, instances are generated from the official
client's own model (``inductiva.client.models``, version 0.18.12) by
Hypothesis, from that model's JSON schema; the official model validates each
and serialises it as the API would, in the official venv; our model must parse
every one of them and keep every field it declares (the fields panes show)
with the same value. Skipped in one line where the official client cannot be
installed.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from pydantic import BaseModel, ValidationError

from inductiva_top.api import models as ours
from tests.conftest import ServerProcess
from tests.e2e.official_client import RUN_TIMEOUT, client_env
from tests.e2e.official_shapes import OFFICIAL_SIDE, dumps, lost_fields, strategy
from tests.tally import Tally

pytestmark = pytest.mark.official_client

EXAMPLES = 40
"""Instances generated per official model."""

PAIRS: dict[str, type[BaseModel]] = {
    # official model: ours (what our client parses that answer into)
    "TaskWithPagination": ours.TaskPage,  # GET /tasks
    "Task": ours.Task,
    "TaskWithStatusHistory": ours.TaskWithStatusHistory,  # GET /tasks/{id}
    "TaskStatusInfo": ours.StatusHistoryEntry,  # one state of status_history
    "TaskMetrics": ours.TaskMetrics,
    "TaskStatus": ours.TaskStatus,  # GET /tasks/{id}/status, kill
    "TaskSubmittedInfo": ours.TaskSubmittedInfo,  # POST /tasks/submit
    "Project": ours.Project,  # GET /projects, /projects/{name}
    "ZipArchiveInfo": ours.ZipArchiveInfo,  # GET /storage/zip-contents
    "ZipFileRange": ours.ZipFileRange,  # GET /storage/zip-file-range
    "StorageContents": ours.StorageContents,  # GET /storage/contents
    "BackendVersion": ours.ApiVersion,  # GET /version
    "VersionComparisonResult": ours.VersionCheck,  # GET /version-check
    "VMGroupConfig": ours.MachineGroup,  # GET /compute/groups, /compute/group/{name}
    "User": ours.UserInfo,  # GET /users/info
}


def _official(
    python: Path, env: dict[str, str], cwd: Path, mode: str, *names: str, stdin: str = ""
) -> Any:
    out = cwd / f"{mode}.json"
    done = subprocess.run(
        [str(python), "-c", OFFICIAL_SIDE, mode, str(out), *names],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=RUN_TIMEOUT,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(out.read_text(encoding="utf-8"))


def _generate(schema: dict[str, Any]) -> list[Any]:
    made: list[Any] = []

    @settings(
        max_examples=EXAMPLES,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy(schema))
    def collect(instance: Any) -> None:
        made.append(instance)

    collect()
    return made


def test_the_official_models_shapes_parse_in_ours_with_no_field_lost(
    python: Path, module_server: ServerProcess, tmp_path: Path, tally: Tally
) -> None:
    # Importing the official client checks the API's version: it talks to our server.
    env = client_env(module_server.base_url, module_server.api_key, tmp_path)
    schemas = _official(python, env, tmp_path, "schemas", *PAIRS)
    batch = [
        {"model": name, "instance": instance}
        for name in PAIRS
        for instance in _generate(schemas[name])
    ]
    answers = _official(python, env, tmp_path, "dump", stdin=dumps(batch))
    tried = failures = refused = 0
    problems: list[str] = []
    for item, answer in zip(batch, answers, strict=True):
        if "refused" in answer:  # the generator went beyond what the official model takes
            refused += 1
            continue
        tried += 1
        name, wire = item["model"], answer["wire"]
        try:
            parsed = PAIRS[name].model_validate(wire)
        except ValidationError as error:
            failures += 1
            problems.append(f"{name}: ours refused {json.dumps(wire)[:400]}: {error}")
            continue
        lost = lost_fields(parsed, wire)
        if lost:
            failures += 1
            problems.append(f"{name}: {lost[:5]} in {json.dumps(wire)[:400]}")
    tally.inputs(tried, failures)
    assert tried >= len(batch) // 2, f"the official models refused {refused} of {len(batch)}"
    assert not problems, "\n".join(problems[:10])
