"""Write screenshots/*.svg: the scenes the snapshot tests compare, one SVG each.

Run from the repository root::

    .venv/bin/python tools/screenshots.py [--out screenshots]

It starts the seeded embedded server the snapshot tests use (40 finished
tasks, a frozen clock, UTC), renders every scenario of
:mod:`inductiva_top.demo.scenarios` headless at its size, and writes the SVGs.
It needs the package only (``pip install .``), not the test extra.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

from inductiva_top.demo.scenarios import SCENARIOS, Scenario, seeded_server
from inductiva_top.server.launcher import ServerProcess

ROOT = Path(__file__).resolve().parent.parent


async def _render(scenario: Scenario, server: ServerProcess) -> str:
    app = scenario.make(server)
    async with app.run_test(size=scenario.size) as pilot:
        if scenario.run_before is not None:
            await scenario.run_before(pilot)
        await pilot.pause()
        return app.export_screenshot(title=f"inductiva-top · {scenario.name}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots", help="output directory")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="inductiva-top-shots-") as tmp:
        server = seeded_server(Path(tmp) / "data")
        try:
            for scenario in SCENARIOS:
                svg = asyncio.run(_render(scenario, server))
                target = args.out / f"{scenario.name}.svg"
                target.write_text(svg, encoding="utf-8")
                print(target.relative_to(ROOT) if target.is_relative_to(ROOT) else target)
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
