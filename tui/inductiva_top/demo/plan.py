"""What the demo runs: real simulations, submitted over time.

The workload is chosen so that, a minute after ``inductiva-top demo`` starts,
the dashboard shows every situation a user meets: tasks succeeding in several
projects, one failing with a message on stderr, one running for minutes with a
``\\r`` progress bar, some waiting because their machine group is full, one
killed, and outputs from a few KB to tens of MB.

A parameter sweep (:func:`sweep`) runs beside it: 16 plate simulations over
two parameters, ``alpha`` and ``resolution``, each named in its metadata, in
a project of their own. A quarter of them are refused at once (too coarse a
mesh: exit 2) and three diverge mid-run (alpha above the stability limit:
exit 3), so a project board, a sweep table and failure triage have something
true to show. The sweep runs on a burst group of its own that bills by the
hour and terminates three minutes after its last task, as a cloud group
does; every group has a rate and the server a budget (:data:`CREDITS`), so
costs and credits move while the demo runs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from itertools import product
from pathlib import Path


@dataclass(frozen=True)
class MachineGroup:
    """A local machine group the demo needs on the server."""

    name: str
    slots: int
    label: str
    cost_per_hour: float = 0.0
    """USD each machine costs per hour while the group is up."""
    max_idle_time: float | None = None
    """Seconds without a task after which the group terminates (None: never)."""


@dataclass(frozen=True)
class DemoTask:
    """One submission: a script from ``workloads/`` and its arguments."""

    name: str
    project: str
    script: str
    args: tuple[str, ...] = ()
    machine_group: str = "default"
    delay: float = 0.0
    """Seconds after the demo starts before this task is submitted."""
    kill_after: float | None = None
    """Seconds after submission at which the demo kills it (None: never)."""
    files: dict[str, str] = field(default_factory=dict)
    """Extra input files (name -> text) written next to the script."""
    ttl_seconds: int | None = None
    metadata: dict[str, str] = field(default_factory=dict)


SWEEP_GROUP = "burst-2"
GROUPS: tuple[MachineGroup, ...] = (
    MachineGroup("default", slots=3, label="local-std", cost_per_hour=0.12),
    MachineGroup("highmem-1", slots=1, label="local-highmem", cost_per_hour=0.45),
    MachineGroup(
        SWEEP_GROUP, slots=2, label="local-burst", cost_per_hour=0.30, max_idle_time=180.0
    ),
)
CREDITS = 3.0
"""USD the demo's account starts with: at the fleet's ~1.4 USD/h, hours of runway."""
CREDITS_THRESHOLD = 0.25
"""USD left at which the billed groups would be stopped."""


def _slab(thickness: float, absorption: float, histories: int, seed: int) -> dict[str, str]:
    config = {
        "thickness": thickness,
        "sigma_total": 1.5,
        "absorption_ratio": absorption,
        "histories": histories,
        "seed": seed,
    }
    return {"slab.json": json.dumps(config, indent=2)}


SWEEP_PROJECT = "plate-sweep"
SWEEP_ALPHAS = ("0.10", "0.16", "0.22", "0.30")
"""Diffusion numbers; above 0.25 the explicit scheme is unstable and diverges."""
SWEEP_RESOLUTIONS = ("12", "20", "28", "36")
"""Cells per side; below 16 the solver refuses the mesh."""
SWEEP_ARGS = ("--steps", "240", "--every", "60", "--pace", "0.05")
"""About 13 s a run; the solver itself needs a fraction of a second of CPU."""
SWEEP_START = 12.0
"""Seconds after the demo starts when the sweep is submitted (one task every half second)."""


def sweep() -> tuple[DemoTask, ...]:
    """The sweep: every alpha with every resolution, on the burst group."""
    return tuple(
        DemoTask(
            f"plate-a{alpha}-n{resolution}",
            SWEEP_PROJECT,
            "heat2d.py",
            (
                "--n",
                resolution,
                "--alpha",
                alpha,
                "--steps",
                "240",
                "--every",
                "60",
                "--pace",
                "0.05",
            ),
            machine_group=SWEEP_GROUP,
            delay=SWEEP_START + 0.5 * index,
            metadata={"alpha": alpha, "resolution": resolution},
        )
        for index, (alpha, resolution) in enumerate(product(SWEEP_ALPHAS, SWEEP_RESOLUTIONS))
    )


PLAN: tuple[DemoTask, ...] = (
    # heat-transfer: a parameter sweep, one unstable case that diverges.
    DemoTask("plate-a0.10", "heat-transfer", "heat2d.py", ("--n", "48", "--alpha", "0.10")),
    DemoTask("plate-a0.20", "heat-transfer", "heat2d.py", ("--n", "48", "--alpha", "0.20")),
    DemoTask(
        "plate-a0.40-unstable",
        "heat-transfer",
        "heat2d.py",
        ("--n", "40", "--alpha", "0.40", "--steps", "600", "--pace", "0.02"),
        delay=2,
    ),
    # A long, slow run to watch live: a few minutes with a progress bar.
    DemoTask(
        "plate-fine-long",
        "heat-transfer",
        "heat2d.py",
        ("--n", "96", "--steps", "900", "--every", "100", "--pace", "0.15"),
        delay=1,
        metadata={"mesh": "fine", "purpose": "production"},
    ),
    # orbital-dynamics: the big one writes tens of MB of trajectories.
    DemoTask("cluster-40", "orbital-dynamics", "nbody.py", ("--bodies", "40", "--steps", "400")),
    DemoTask(
        "cluster-120-big",
        "orbital-dynamics",
        "nbody.py",
        ("--bodies", "120", "--steps", "3000"),
        machine_group="highmem-1",
        delay=3,
    ),
    # These wait in the highmem-1 queue behind the big run.
    DemoTask(
        "cluster-60-seed3",
        "orbital-dynamics",
        "nbody.py",
        ("--bodies", "60", "--steps", "600", "--seed", "3"),
        machine_group="highmem-1",
        delay=4,
    ),
    DemoTask(
        "cluster-60-seed4",
        "orbital-dynamics",
        "nbody.py",
        ("--bodies", "60", "--steps", "600", "--seed", "4"),
        machine_group="highmem-1",
        delay=5,
    ),
    # shielding: Monte Carlo transport runs; one is killed by the user.
    DemoTask(
        "slab-2cm",
        "shielding",
        "montecarlo.py",
        ("--pace", "0.05"),
        files=_slab(2.0, 0.3, 40_000, 1),
        delay=6,
    ),
    DemoTask(
        "slab-5cm",
        "shielding",
        "montecarlo.py",
        ("--pace", "0.05"),
        files=_slab(5.0, 0.2, 40_000, 2),
        delay=8,
    ),
    DemoTask(
        "slab-wrong-material",
        "shielding",
        "montecarlo.py",
        ("--pace", "0.5"),
        files=_slab(3.0, 0.25, 200_000, 3),
        delay=10,
        kill_after=12,
    ),
    *sweep(),
)


TRICKLE_INTERVAL = 15.0
"""Seconds between the follow-up submissions that keep the demo moving."""
TRICKLE_COUNT = 40


def trickle(index: int) -> DemoTask:
    """The ``index``-th follow-up task: a sweep that goes on after the plan."""
    if index % 3 == 2:
        return DemoTask(
            f"cluster-sweep-{index:02d}",
            "orbital-dynamics",
            "nbody.py",
            ("--bodies", "50", "--steps", "500", "--seed", str(100 + index)),
            machine_group="highmem-1",
        )
    alpha = 0.05 + 0.01 * (index % 15)
    return DemoTask(
        f"plate-sweep-{index:02d}",
        "heat-transfer",
        "heat2d.py",
        ("--n", "40", "--alpha", f"{alpha:.2f}", "--steps", "300", "--pace", "0.03"),
        metadata={"sweep": "alpha", "alpha": f"{alpha:.2f}"},
    )


def workload_dir() -> Path:
    """The directory holding the shipped simulation scripts."""
    return Path(str(resources.files("inductiva_top.demo") / "workloads"))


def write_inputs(task: DemoTask, dest: Path) -> Path:
    """Lay out one task's input dir: the script, its helper module, extra files."""
    dest.mkdir(parents=True, exist_ok=True)
    source = workload_dir()
    for name in ("_common.py", task.script):
        (dest / name).write_bytes((source / name).read_bytes())
    for name, text in task.files.items():
        (dest / name).write_text(text)
    return dest
