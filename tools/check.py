"""Run everything CI checks, in CI's order; the README's test command and ``.ci/run`` call this.

Run from anywhere, with the venv's interpreter::

    .venv/bin/python tools/check.py [PYTEST ARGS...]

Steps: ruff lint, ruff format, mypy (strict on tui/), mypy on the demo
workloads (stand-alone scripts, checked on their own), import-linter
contracts, ``pytest`` and ``python -m pytest`` collecting the same tests, and
the test suite (extra arguments go to pytest). It stops at the first step
that fails, naming it; a green run here is a green CI.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WORKLOADS = ROOT / "tui" / "inductiva_top" / "demo" / "workloads"


def _run(name: str, command: Sequence[str | Path], cwd: Path = ROOT) -> None:
    print(f"== {name}", flush=True)
    started = time.monotonic()
    result = subprocess.run([str(part) for part in command], cwd=cwd, check=False)
    if result.returncode != 0:
        print(f"tools/check.py: {name} failed (exit {result.returncode})", file=sys.stderr)
        sys.exit(result.returncode)
    print(f"   {name}: ok in {time.monotonic() - started:.0f} s", flush=True)


def _collected(command: Sequence[str | Path]) -> list[str]:
    """The test ids ``command --collect-only`` lists; exits when collection fails."""
    result = subprocess.run(
        [*map(str, command), "--collect-only", "-q", "-n", "0", "-p", "no:cacheprovider"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        print(result.stdout[-4000:], result.stderr[-4000:], sep="\n", file=sys.stderr)
        print(f"tools/check.py: {command[0]} cannot collect the tests", file=sys.stderr)
        sys.exit(result.returncode)
    return [line for line in result.stdout.splitlines() if "::" in line]


def _same_collection() -> None:
    """``pytest`` and ``python -m pytest`` must find the same tests (sys.path differs)."""
    print("== pytest and python -m pytest collect the same tests", flush=True)
    commands = ([BIN / "pytest"], [sys.executable, "-m", "pytest"])
    with ThreadPoolExecutor(2) as pool:
        plain, module = pool.map(_collected, commands)
    if plain != module:
        only = sorted(set(plain) ^ set(module))
        print(
            f"tools/check.py: pytest collects {len(plain)} tests, python -m pytest {len(module)}; "
            f"differing: {', '.join(only[:10]) or 'the order'}",
            file=sys.stderr,
        )
        sys.exit(1)
    print(f"   both collect {len(plain)} tests", flush=True)


def main(pytest_args: Sequence[str]) -> None:
    """Run every step; exits non-zero at the first failure."""
    _run("ruff check", [BIN / "ruff", "check", "."])
    _run("ruff format", [BIN / "ruff", "format", "--check", "."])
    _run("mypy (strict, tui/)", [BIN / "mypy"])
    workloads = sorted(path.name for path in WORKLOADS.glob("*.py"))
    _run(
        "mypy (strict, demo workloads)",
        [BIN / "mypy", "--strict", "--no-namespace-packages", "--", *workloads],
        cwd=WORKLOADS,
    )
    _run("import contracts", [BIN / "lint-imports"])
    _same_collection()
    _run("pytest", [sys.executable, "-m", "pytest", *pytest_args])


if __name__ == "__main__":
    main(sys.argv[1:])
