"""Where the embedded server keeps things inside its data dir.

Every module of the server finds files through :class:`DataDir`, so the
layout is written down once::

    <root>/
      api_key              the server's API key, mode 0600
      signing_key          HMAC key for signed storage URLs, mode 0600
      tasks.sqlite3        the task store (WAL mode)
      server.pid           pid of the running server (held with flock while it runs)
      server.url           base URL of the running server (written once it listens)
      storage/<task_id>/input.zip    inputs, members under sim_dir/
      storage/<task_id>/output.zip   outputs, members under artifacts/
      work/<task_id>/      per-task work dir: unpacked inputs, stdout.txt, stderr.txt,
                           system_metrics.csv and output_update.csv (written while it runs)

A work dir is what the Inductiva task runner calls a task's artifacts dir
(``<task_id>/output/artifacts``): ``output.zip`` holds it under ``artifacts/``,
and a file the real live file tracker serves as ``stdout.txt`` (a path
relative to the artifacts dir) is ``stdout.txt`` here too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import platformdirs

SYSTEM_METRICS_NAME = "system_metrics.csv"
"""The task runner's resource log of a running task (``time,command,cpu-usage,...``)."""
OUTPUT_UPDATE_NAME = "output_update.csv"
"""The task runner's note of a running task's most recently modified output file."""
MONITOR_FILES = frozenset({SYSTEM_METRICS_NAME, OUTPUT_UPDATE_NAME})
"""What the runner's own monitoring writes beside the outputs; "last modified file" skips them."""


def default_data_dir() -> Path:
    """The platform's user data dir for the embedded server."""
    return Path(platformdirs.user_data_dir("inductiva-top", appauthor=False)) / "server"


@dataclass(frozen=True)
class DataDir:
    """Paths inside one server data dir."""

    root: Path

    @property
    def api_key_file(self) -> Path:
        return self.root / "api_key"

    @property
    def signing_key_file(self) -> Path:
        return self.root / "signing_key"

    @property
    def database(self) -> Path:
        return self.root / "tasks.sqlite3"

    @property
    def pid_file(self) -> Path:
        return self.root / "server.pid"

    @property
    def url_file(self) -> Path:
        return self.root / "server.url"

    @property
    def storage(self) -> Path:
        return self.root / "storage"

    @property
    def work(self) -> Path:
        return self.root / "work"

    def task_storage(self, task_id: str) -> Path:
        return self.storage / task_id

    def input_zip(self, task_id: str) -> Path:
        return self.task_storage(task_id) / "input.zip"

    def output_zip(self, task_id: str) -> Path:
        return self.task_storage(task_id) / "output.zip"

    def work_dir(self, task_id: str) -> Path:
        return self.work / task_id

    def create(self) -> None:
        """Make the directories (private to the user) if they do not exist."""
        for path in (self.root, self.storage, self.work):
            path.mkdir(parents=True, exist_ok=True, mode=0o700)
