"""What seeded tasks are made of: simulators, machine groups, projects, outcomes.

Plain data, chosen to look like a team's real use of the server over a few
weeks: each simulator has its usual command lines, input/output sizes and run
times; machine groups have a machine-type label and the machine it reports
as ``executer``; projects use a few simulators each.
"""

from __future__ import annotations

from dataclasses import dataclass

from inductiva_top.server.statuses import TaskStatusCode

S = TaskStatusCode

GIB = 1 << 30


@dataclass(frozen=True)
class Simulator:
    """A simulator and what its tasks typically look like."""

    name: str
    commands: tuple[tuple[str, ...], ...]
    """Command lines; ``{np}`` is replaced by a process count."""
    compute_median_s: float
    input_median_bytes: int
    output_median_bytes: int
    output_files_median: int


SIMULATORS: tuple[Simulator, ...] = (
    Simulator(
        "openfoam",
        (
            ("bash", "./Allrun"),
            ("mpirun", "-np", "{np}", "simpleFoam", "-parallel"),
            ("mpirun", "-np", "{np}", "pimpleFoam", "-parallel"),
            ("mpirun", "-np", "{np}", "interFoam", "-parallel"),
        ),
        2400,
        40_000_000,
        1_800_000_000,
        900,
    ),
    Simulator(
        "gromacs",
        (
            ("gmx", "mdrun", "-deffnm", "md", "-nt", "{np}"),
            ("gmx", "mdrun", "-deffnm", "nvt", "-nt", "{np}"),
            ("bash", "run_md.sh"),
        ),
        5400,
        12_000_000,
        600_000_000,
        14,
    ),
    Simulator(
        "splishsplash",
        (
            ("SPHSimulator", "config.json", "--no-gui", "--output-dir", "output"),
            ("SPHSimulator", "dam_break.json", "--no-gui", "--output-dir", "output"),
        ),
        900,
        2_000_000,
        900_000_000,
        1_200,
    ),
    Simulator(
        "reef3d",
        (
            ("bash", "-c", "DiveMESH && mpirun -np {np} REEF3D"),
            ("mpirun", "-np", "{np}", "REEF3D"),
        ),
        3600,
        5_000_000,
        2_500_000_000,
        2_400,
    ),
    Simulator(
        "xbeach",
        (("mpirun", "-np", "{np}", "xbeach", "params.txt"), ("xbeach", "params.txt")),
        1800,
        30_000_000,
        700_000_000,
        6,
    ),
    Simulator(
        "amr-wind",
        (
            ("mpirun", "-np", "{np}", "amr_wind", "abl_neutral.inp"),
            ("mpirun", "-np", "{np}", "amr_wind", "turbine_actuator_line.inp"),
        ),
        7200,
        3_000_000,
        4_000_000_000,
        300,
    ),
    Simulator(
        "swash",
        (("swashrun", "-input", "harbour.sws", "-mpi", "{np}"), ("swash.exe",)),
        1200,
        8_000_000,
        300_000_000,
        20,
    ),
    Simulator(
        "fds",
        (("mpiexec", "-n", "{np}", "fds", "room_fire.fds"), ("fds", "tunnel.fds")),
        3000,
        1_000_000,
        1_200_000_000,
        400,
    ),
    Simulator(
        "opensees",
        (("OpenSees", "model.tcl"), ("mpirun", "-np", "{np}", "OpenSeesMP", "pushover.tcl")),
        600,
        500_000,
        80_000_000,
        60,
    ),
    Simulator(
        "quantum-espresso",
        (
            ("mpirun", "-np", "{np}", "pw.x", "-in", "scf.in"),
            ("mpirun", "-np", "{np}", "ph.x", "-in", "ph.in"),
        ),
        4800,
        400_000,
        250_000_000,
        40,
    ),
)

SIMULATOR_BY_NAME: dict[str, Simulator] = {sim.name: sim for sim in SIMULATORS}


@dataclass(frozen=True)
class MachineGroup:
    """A local machine group and the machine its tasks report as ``executer``."""

    name: str
    label: str
    """The machine-type label (``executer.vm_type``)."""
    slots: int
    cpus: int
    memory_gib: int
    hosts: tuple[str, ...]
    price_per_hour: float
    """What a cloud machine of this type costs, for ``estimated_computation_cost``."""
    weight: float
    spot: bool = False
    """Its machines can be reclaimed (``spot-instance-preempted``)."""
    n_mpi_hosts: int = 1


GROUPS: tuple[MachineGroup, ...] = (
    MachineGroup("default", "local", 8, 16, 64, ("ws-lab-07",), 0.0, 3.0),
    MachineGroup(
        "cfd-pool", "c2d-highcpu-56", 4, 56, 112, ("cfd-node-01", "cfd-node-02"), 2.37, 3.0
    ),
    MachineGroup("md-pool", "n2-standard-32", 6, 32, 128, ("md-node-a", "md-node-b"), 1.55, 2.0),
    MachineGroup(
        "spot-burst",
        "c3-highcpu-88",
        16,
        88,
        176,
        ("burst-1", "burst-2", "burst-3"),
        1.12,
        1.5,
        spot=True,
    ),
    MachineGroup("bigmem", "n2-highmem-64", 2, 64, 512, ("bigmem-01",), 3.88, 0.8),
    MachineGroup(
        "mpi-cluster", "c2-standard-60", 2, 60, 240, ("mpi-head",), 3.13, 0.7, n_mpi_hosts=4
    ),
)


@dataclass(frozen=True)
class ProjectKind:
    """A project name and the simulators its tasks use."""

    name: str
    simulators: tuple[str, ...]


PROJECTS: tuple[ProjectKind, ...] = (
    ProjectKind("wind-farm-wakes", ("amr-wind", "openfoam")),
    ProjectKind("harbour-agitation", ("swash", "xbeach")),
    ProjectKind("protein-folding-md", ("gromacs",)),
    ProjectKind("dam-break-sph", ("splishsplash", "openfoam")),
    ProjectKind("coastal-erosion-2026", ("xbeach", "reef3d")),
    ProjectKind("hvac-office-cfd", ("openfoam", "fds")),
    ProjectKind("bridge-seismic", ("opensees",)),
    ProjectKind("breakwater-design", ("reef3d", "swash")),
    ProjectKind("tunnel-fire-safety", ("fds",)),
    ProjectKind("catalyst-dft", ("quantum-espresso",)),
    ProjectKind("ligand-screening", ("gromacs", "quantum-espresso")),
    ProjectKind("urban-wind-comfort", ("openfoam", "amr-wind")),
)

OUTCOMES: tuple[tuple[TaskStatusCode, float], ...] = (
    (S.SUCCESS, 70.0),
    (S.FAILED, 11.0),
    (S.KILLED, 5.0),
    (S.EXECUTER_TERMINATED_TTL_EXCEEDED, 3.0),
    (S.EXECUTER_TERMINATED_BY_USER, 2.5),
    (S.EXECUTER_FAILED, 2.0),
    (S.ZOMBIE, 2.5),
    (S.EXECUTER_TERMINATED_CREDITS_EXHAUSTED, 1.5),
    (S.TTL_EXCEEDED, 1.0),
    (S.PENDING_KILL, 1.5),
)
"""Final states and their weights. ``PENDING_KILL`` stands for "killed while
it waited" (``killed`` straight from the queue); ``KILLED`` is a kill while
the command ran."""

EXIT_CODES: tuple[int, ...] = (1, 1, 1, 1, 2, 2, 127, 134, 137, -6, -9, -11, -11)
"""Exit statuses of failed commands (negative: killed by that signal)."""

EXECUTER_FAILURES: tuple[str, ...] = (
    "[Errno 28] No space left on device",
    "[Errno 28] No space left on device",
    "[Errno 122] Disk quota exceeded",
    "[Errno 5] Input/output error",
)

BAD_INPUTS: tuple[str, ...] = (
    "input.zip is not a valid zip archive: File is not a zip file",
    "input.zip member '../setup.sh' would leave the work dir",
)

SPAWN_FAILURES: tuple[str, ...] = ("No such file or directory", "Permission denied")

TTL_CHOICES: tuple[float, ...] = (1800.0, 3600.0, 7200.0, 14400.0, 43200.0, 86400.0)

METADATA_KEYS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("case", ("baseline", "refined", "coarse", "sensitivity", "validation")),
    ("mesh", ("coarse", "medium", "fine", "very-fine")),
    ("owner", ("ana", "joao", "maria", "luis", "sofia", "tiago")),
    ("sweep", ("s01", "s02", "s03", "s04")),
)
