"""2-D heat diffusion on a square plate (explicit finite differences).

Writes legacy-VTK snapshots of the temperature field to ``vtk/`` and a CSV
of the plate's mean and peak temperature per step. ``--pace`` slows each step
down so a demo run lasts long enough to be watched.

It fails the ways solvers do: a mesh coarser than :data:`MIN_CELLS` is
refused at once (exit 2), and a diffusion number above the stability limit
0.25 makes the solution blow up some steps in (exit 3).
"""

from __future__ import annotations

import argparse
import math
import time
from array import array
from pathlib import Path
from typing import TextIO

from _common import Progress, error, log

MIN_CELLS = 16
"""The coarsest mesh that resolves the plate's hot boundary layer."""


def write_vtk(path: Path, field: array[float], n: int, step: int) -> None:
    with path.open("w") as out:
        out.write("# vtk DataFile Version 3.0\n")
        out.write(f"heat2d step {step}\nASCII\nDATASET STRUCTURED_POINTS\n")
        out.write(f"DIMENSIONS {n} {n} 1\nORIGIN 0 0 0\nSPACING 1 1 1\n")
        out.write(f"POINT_DATA {n * n}\nSCALARS temperature float 1\nLOOKUP_TABLE default\n")
        for row in range(n):
            base = row * n
            out.write(" ".join(f"{field[base + col]:.4f}" for col in range(n)))
            out.write("\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=64, help="grid points per side")
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--every", type=int, default=50, help="snapshot interval")
    parser.add_argument("--alpha", type=float, default=0.2, help="diffusion number (<=0.25)")
    parser.add_argument("--pace", type=float, default=0.0, help="seconds to sleep per step")
    args = parser.parse_args()

    n = args.n
    log(f"heat2d: {n}x{n} grid, {args.steps} steps, alpha={args.alpha}")
    if n < MIN_CELLS:
        error(
            f"mesh too coarse: {n}x{n} cells cannot resolve the boundary layer (need {MIN_CELLS})"
        )
        return 2
    if args.alpha > 0.25:
        log(f"warning: alpha={args.alpha} exceeds the stability limit 0.25")
    field = array("d", [0.0] * (n * n))
    for col in range(n):  # a hot top edge with a sinusoidal profile
        field[col] = 100.0 * math.sin(math.pi * col / (n - 1))
    out_dir = Path("vtk")
    out_dir.mkdir(exist_ok=True)
    with Path("temperature.csv").open("w") as stats:
        stats.write("step,mean,peak\n")
        mean = diffuse(field, n, args, stats, out_dir)
    log(f"done: mean temperature {mean:.3f}")
    return 0


def diffuse(
    field: array[float], n: int, args: argparse.Namespace, stats: TextIO, out_dir: Path
) -> float:
    """Run the time steps; returns the final mean temperature."""
    mean = 0.0
    progress = Progress(args.steps, "diffusing")
    for step in range(1, args.steps + 1):
        new = array("d", field)
        for row in range(1, n - 1):
            base = row * n
            for col in range(1, n - 1):
                i = base + col
                lap = field[i - 1] + field[i + 1] + field[i - n] + field[i + n] - 4 * field[i]
                new[i] = field[i] + args.alpha * lap
        field = new
        mean = sum(field) / len(field)
        peak = max(field[n:])  # the interior and bottom, not the fixed hot edge
        if not math.isfinite(mean) or peak > 1e6:
            print(flush=True)
            error(f"solution diverged at step {step} (peak {peak:.3g})")
            raise SystemExit(3)
        stats.write(f"{step},{mean:.6f},{peak:.6f}\n")
        if step % args.every == 0 or step == args.steps:
            write_vtk(out_dir / f"temperature_{step:05d}.vtk", field, n, step)
        progress.update(step)
        if args.pace:
            time.sleep(args.pace)
    return mean


if __name__ == "__main__":
    raise SystemExit(main())
