"""A seeded task's output archive: small, real, and what its metrics say.

A real run's ``output.zip`` holds its whole artifacts dir under
``artifacts/`` (:mod:`~inductiva_top.server.files.archive`): the command's
``stdout.txt`` and ``stderr.txt``, the runner's two monitoring files, and
what the simulator wrote. :func:`output_archive` builds one such archive, a
few kilobytes, for a seeded task: a log and result files named as the
task's simulator names them (:data:`RESULT_FILES`), as many of them as the
part of the run it finished wrote (a failed or killed run leaves fewer), and
the figures the task's metrics then record (files, bytes, zipped bytes).
Every byte follows from the task's id and times, so a seed gives the same
archives each time.
"""

from __future__ import annotations

import csv
import io
import random
import stat
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from inductiva_top.server.files.archive import OUTPUT_PREFIX, Packed, directory_entry
from inductiva_top.server.layout import OUTPUT_UPDATE_NAME, SYSTEM_METRICS_NAME
from inductiva_top.server.tasks.sysmetrics import METRICS_HEADER

__all__ = ["RESULT_FILES", "SeededOutput", "output_archive"]

RESULT_FILES: dict[str, tuple[str, ...]] = {
    "openfoam": (
        "log.simpleFoam",
        "postProcessing/forces/0/force.dat",
        "postProcessing/probes/0/U",
        "postProcessing/residuals/0/residuals.dat",
    ),
    "gromacs": ("md.log", "energy.xvg", "rmsd.xvg", "gyrate.xvg"),
    "splishsplash": ("log/SPH_log.txt", "partio/ParticleData_Fluid_1.csv", "stats.csv"),
    "reef3d": ("REEF3D_Log/REEF3D_mainlog.dat", "REEF3D_WSF/wsf_gauge.dat", "forces.dat"),
    "xbeach": ("XBlog.txt", "xboutput_points.csv", "XBerror.txt"),
    "amr-wind": ("amr_wind.log", "post_processing/sampling00000.csv", "turbine_power.csv"),
    "swash": ("PRINT", "gauges.tbl", "wave_heights.csv"),
    "fds": ("room_fire.out", "room_fire_devc.csv", "room_fire_hrr.csv"),
    "opensees": ("model.log", "node_disp.csv", "element_force.csv"),
    "quantum-espresso": ("scf.out", "bands.dat", "pw_energies.csv"),
}
"""What each seeded simulator writes, most important first (a short run writes the first few)."""

_UNKNOWN_SIMULATOR = ("run.log", "results.csv")

_ROWS = (12, 60)
"""Rows of a result table of a whole run (a partial run writes fewer)."""

_METRICS_ROWS = 8


@dataclass(frozen=True)
class SeededOutput:
    """An archive's bytes and the figures a task's metrics record for it."""

    archive: bytes
    packed: Packed


def _table(rng: random.Random, rows: int) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("step", "time", "value", "residual"))
    value = rng.uniform(0.5, 2.0)
    for step in range(rows):
        value *= rng.uniform(0.97, 1.03)
        writer.writerow((step, f"{step * 0.05:.3f}", f"{value:.6f}", f"{10 ** -(step / 8):.3e}"))
    return out.getvalue()


def _stdout(simulator: str, command: str, names: Sequence[str], rows: int) -> str:
    lines = [f"{simulator}: {command}"]
    lines += [f"step {step + 1}/{rows} done" for step in range(rows)]
    lines += [f"wrote {name}" for name in names]
    return "\n".join(lines) + "\n"


def _metrics(rng: random.Random, command: str, start: datetime, end: datetime) -> str:
    out = io.StringIO()
    writer = csv.writer(out)  # the runner's dialect: \r\n line ends
    writer.writerow(METRICS_HEADER)
    read = written = 0
    for row in range(_METRICS_ROWS):
        at = start + (end - start) * (row / (_METRICS_ROWS - 1))
        read += rng.randrange(0, 4_000_000)
        written += rng.randrange(0, 2_000_000)
        cpu, memory = round(rng.uniform(40, 99), 1), round(rng.uniform(5, 60), 1)
        writer.writerow((at.isoformat(), command, cpu, memory, read, written))
    return out.getvalue()


def _member(name: str, when: datetime, data: str) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(OUTPUT_PREFIX + name, date_time=when.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (stat.S_IFREG | 0o644) << 16
    return info, data.encode()


def output_archive(
    task_id: str,
    simulator: str,
    command: str,
    *,
    started: datetime,
    ended: datetime,
    fraction: float,
    error: str | None,
) -> SeededOutput:
    """The ``output.zip`` of a run that computed from ``started`` to ``ended``.

    ``fraction`` is how much of its work the run did (1.0: all of it);
    ``error`` what it wrote to stderr (None: nothing).
    """
    rng = random.Random(f"outputs/{task_id}")
    results = RESULT_FILES.get(simulator, _UNKNOWN_SIMULATOR)
    written = results[: max(1, round(len(results) * min(max(fraction, 0.0), 1.0)))]
    rows = max(2, int(rng.randint(*_ROWS) * max(fraction, 0.05)))
    files = [(name, _table(rng, rows)) for name in written]
    files += [
        ("stdout.txt", _stdout(simulator, command, written, rows)),
        ("stderr.txt", f"{error}\n" if error else ""),
        (SYSTEM_METRICS_NAME, _metrics(rng, command, started, ended)),
        (OUTPUT_UPDATE_NAME, f"{ended.isoformat()},{task_id}/output/artifacts/{written[-1]}\r\n"),
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        # As the runner's: the artifacts/ directory entry first (the official
        # client extracts only what is under it when it is there).
        archive.writestr(directory_entry(OUTPUT_PREFIX, started.timetuple()), b"")
        total = 0
        for name, text in sorted(files):
            info, data = _member(name, ended, text)
            archive.writestr(info, data)
            total += len(data)
    data = buffer.getvalue()
    return SeededOutput(data, Packed(files=len(files), bytes=total, zipped_bytes=len(data)))
