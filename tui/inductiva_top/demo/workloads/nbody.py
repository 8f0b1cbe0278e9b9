"""Gravitational N-body integration (velocity Verlet) of a small cluster.

Writes the trajectories to ``trajectories.csv`` and the energy drift to
``energy.csv``; a large ``--bodies`` or ``--steps`` gives outputs of tens of MB.
"""

from __future__ import annotations

import argparse
import math
import random
import time
from pathlib import Path
from typing import TextIO

from _common import Progress, log


def accelerations(pos: list[list[float]], mass: list[float], soft: float) -> list[list[float]]:
    n = len(pos)
    acc = [[0.0, 0.0, 0.0] for _ in range(n)]
    for i in range(n):
        xi, yi, zi = pos[i]
        for j in range(i + 1, n):
            dx, dy, dz = pos[j][0] - xi, pos[j][1] - yi, pos[j][2] - zi
            r2 = dx * dx + dy * dy + dz * dz + soft * soft
            inv = 1.0 / (r2 * math.sqrt(r2))
            for k, d in enumerate((dx, dy, dz)):
                acc[i][k] += mass[j] * d * inv
                acc[j][k] -= mass[i] * d * inv
    return acc


def energy(pos: list[list[float]], vel: list[list[float]], mass: list[float], soft: float) -> float:
    kinetic = sum(
        0.5 * m * (v[0] ** 2 + v[1] ** 2 + v[2] ** 2) for m, v in zip(mass, vel, strict=True)
    )
    potential = 0.0
    for i in range(len(pos)):
        for j in range(i + 1, len(pos)):
            d = math.dist(pos[i], pos[j])
            potential -= mass[i] * mass[j] / math.sqrt(d * d + soft * soft)
    return kinetic + potential


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bodies", type=int, default=40)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--dt", type=float, default=0.002)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--pace", type=float, default=0.0, help="seconds to sleep per step")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    n, soft = args.bodies, 0.05
    mass = [rng.uniform(0.5, 1.5) / n for _ in range(n)]
    pos = [[rng.gauss(0, 1) for _ in range(3)] for _ in range(n)]
    vel = [[rng.gauss(0, 0.1) for _ in range(3)] for _ in range(n)]
    log(f"nbody: {n} bodies, {args.steps} steps, dt={args.dt}")
    with Path("trajectories.csv").open("w") as traj, Path("energy.csv").open("w") as drift:
        traj.write("step,body,x,y,z,vx,vy,vz\n")
        drift.write("step,energy,relative_drift\n")
        integrate(pos, vel, mass, soft, args, traj, drift)
    log("done")
    return 0


def integrate(
    pos: list[list[float]],
    vel: list[list[float]],
    mass: list[float],
    soft: float,
    args: argparse.Namespace,
    traj: TextIO,
    drift: TextIO,
) -> None:
    """Velocity Verlet steps, writing trajectories and energy drift as it goes."""
    n = len(pos)
    e0 = energy(pos, vel, mass, soft)
    acc = accelerations(pos, mass, soft)
    progress = Progress(args.steps, "integrating")
    for step in range(1, args.steps + 1):
        for i in range(n):
            for k in range(3):
                vel[i][k] += 0.5 * args.dt * acc[i][k]
                pos[i][k] += args.dt * vel[i][k]
        acc = accelerations(pos, mass, soft)
        for i in range(n):
            for k in range(3):
                vel[i][k] += 0.5 * args.dt * acc[i][k]
        for i in range(n):
            p, v = pos[i], vel[i]
            traj.write(
                f"{step},{i},{p[0]:.9e},{p[1]:.9e},{p[2]:.9e},{v[0]:.9e},{v[1]:.9e},{v[2]:.9e}\n"
            )
        if step % 10 == 0 or step == args.steps:
            e = energy(pos, vel, mass, soft)
            drift.write(f"{step},{e:.12e},{(e - e0) / abs(e0):.3e}\n")
        if step % 100 == 0:
            print(flush=True)
            rel = (energy(pos, vel, mass, soft) - e0) / abs(e0)
            log(f"step {step}: relative energy drift {rel:.2e}")
        progress.update(step)
        if args.pace:
            time.sleep(args.pace)


if __name__ == "__main__":
    raise SystemExit(main())
