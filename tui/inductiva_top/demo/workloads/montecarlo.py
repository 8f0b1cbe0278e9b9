"""Monte Carlo estimate of a neutron slab's transmission probability.

Particles enter a slab, scatter isotropically or are absorbed; the script
tallies transmission, reflection and absorption and writes a histogram of
exit depths. Reads its parameters from ``slab.json`` in the input dir.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from pathlib import Path

from _common import Progress, error, log


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", default="slab.json")
    parser.add_argument("--pace", type=float, default=0.0, help="seconds to sleep per batch")
    args = parser.parse_args()

    config_path = Path(args.config)
    if not config_path.exists():
        error(f"input file {config_path} not found")
        return 2
    cfg = json.loads(config_path.read_text())
    thickness = float(cfg["thickness"])
    sigma_t = float(cfg["sigma_total"])
    absorb = float(cfg["absorption_ratio"])
    histories = int(cfg["histories"])
    if not 0.0 <= absorb <= 1.0:
        error(f"absorption_ratio must be within [0, 1], got {absorb}")
        return 4
    rng = random.Random(cfg.get("seed", 1))
    log(f"slab: thickness={thickness} sigma_t={sigma_t} absorption={absorb} histories={histories}")
    tally = {"transmitted": 0, "reflected": 0, "absorbed": 0}
    depth_bins = [0] * 50
    batches = 100
    per_batch = max(histories // batches, 1)
    progress = Progress(batches, "transport")
    for batch in range(1, batches + 1):
        for _ in range(per_batch):
            x, mu = 0.0, 1.0
            while True:
                x += mu * -math.log(1.0 - rng.random()) / sigma_t
                if x >= thickness:
                    tally["transmitted"] += 1
                    break
                if x < 0:
                    tally["reflected"] += 1
                    break
                depth_bins[min(int(x / thickness * 50), 49)] += 1
                if rng.random() < absorb:
                    tally["absorbed"] += 1
                    break
                mu = 2 * rng.random() - 1
        progress.update(batch)
        if args.pace:
            time.sleep(args.pace)
    total = sum(tally.values())
    result = {k: v / total for k, v in tally.items()}
    Path("tally.json").write_text(json.dumps(result, indent=2))
    with Path("collision_depths.csv").open("w") as out:
        out.write("bin,collisions\n")
        out.writelines(f"{i},{c}\n" for i, c in enumerate(depth_bins))
    log("transmission probability {transmitted:.4f}".format(**result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
