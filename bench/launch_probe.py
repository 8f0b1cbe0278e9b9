"""``inductiva-top`` as the user runs it, noting when each stage of its launch is reached.

Run by ``bench/launch.py`` in a pty in place of the ``inductiva-top`` script:
``BENCH_SPAWNED`` is the wall-clock time the bench started the process,
``BENCH_TIMINGS`` a file that gets one ``stage seconds`` line per stage
(seconds since the spawn): ``interpreter`` (Python is up), ``imports`` (the
command line and the dashboard's modules), ``app start`` (the app runs),
``request sent`` and ``response`` (the first ``GET /tasks``), ``composed``
(the main screen is mounted). The bench adds when the rows were written.
The probe imports the dashboard's modules ahead of the command line (to hook
them), so it first pauses the garbage collector as the command line does
before those imports.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

_SPAWNED = float(os.environ["BENCH_SPAWNED"])
_OUT = open(os.environ["BENCH_TIMINGS"], "a", encoding="ascii")  # noqa: SIM115 - open until exit
_SEEN: set[str] = set()


def mark(stage: str) -> None:
    """Note ``stage`` (its first time only)."""
    if stage not in _SEEN:
        _SEEN.add(stage)
        _OUT.write(f"{stage} {time.time() - _SPAWNED:.4f}\n")
        _OUT.flush()


mark("interpreter")

from inductiva_top.cli import main  # noqa: E402 - timed from here
from inductiva_top.ui import launch_gc  # noqa: E402

# What the command line does before the dashboard's imports (cli/dashboard.py),
# which this probe imports ahead of it to hook them.
launch_gc.pause()

from inductiva_top.ui import app as ui_app  # noqa: E402
from inductiva_top.ui.screens.main import MainScreen  # noqa: E402

mark("imports")

_list_tasks = ui_app.InductivaClient.list_tasks


async def _timed_list_tasks(self: Any, *args: Any, **kwargs: Any) -> Any:
    mark("request sent")
    result = await _list_tasks(self, *args, **kwargs)
    mark("response")
    return result


_run = ui_app.InductivaTopApp.run


def _timed_run(self: Any, *args: Any, **kwargs: Any) -> Any:
    mark("app start")
    return _run(self, *args, **kwargs)


_screen_mount = MainScreen.on_mount


def _timed_mount(self: Any) -> Any:
    mark("composed")
    return _screen_mount(self)  # a coroutine: Textual awaits it


ui_app.InductivaClient.list_tasks = _timed_list_tasks  # type: ignore[method-assign]
ui_app.InductivaTopApp.run = _timed_run  # type: ignore[method-assign]
MainScreen.on_mount = _timed_mount  # type: ignore[method-assign]

sys.exit(main(sys.argv[1:]))
