"""Small helpers shared by the demo simulations (progress bars, output files).

The demo scripts are shipped as task inputs and run by the embedded server as
real subprocesses; they use only the standard library so they run under any
Python the server finds.
"""

from __future__ import annotations

import sys
import time


class Progress:
    """A ``\\r`` progress bar on stdout, like the ones real solvers print."""

    def __init__(self, total: int, label: str, width: int = 30) -> None:
        self.total = max(total, 1)
        self.label = label
        self.width = width
        self.started = time.monotonic()
        self._last_drawn = -1.0

    def update(self, done: int) -> None:
        now = time.monotonic()
        # Redraw at most ten times a second, like tqdm, and always at the end.
        if done < self.total and now - self._last_drawn < 0.1:
            return
        self._last_drawn = now
        frac = done / self.total
        filled = int(frac * self.width)
        elapsed = now - self.started
        rate = done / elapsed if elapsed > 0 else 0.0
        bar = "#" * filled + "-" * (self.width - filled)
        sys.stdout.write(f"\r{self.label} [{bar}] {frac:6.1%} {done}/{self.total} {rate:7.1f} it/s")
        if done >= self.total:
            sys.stdout.write("\n")
        sys.stdout.flush()


def log(message: str) -> None:
    """One timestamped log line on stdout, flushed so a tail sees it at once."""
    stamp = time.strftime("%H:%M:%S")
    print(f"[{stamp}] {message}", flush=True)


def error(message: str) -> None:
    """An error line on stderr, where a solver reports why it stopped."""
    stamp = time.strftime("%H:%M:%S")
    print(f"[{stamp}] error: {message}", file=sys.stderr, flush=True)
