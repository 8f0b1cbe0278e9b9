"""The real ``inductiva-top`` command in a 120x40 pseudo-terminal: bytes written and CPU.

:class:`PtyProgram` starts a program on the slave side of a pty of the given
size (its own session, so the pty is its controlling terminal), reads
everything it writes from the master side in a thread, and counts it.
:func:`measure_window` gives bytes/s and CPU % (the process and its children)
over a window; :func:`key_latency` times a key press until a marker it makes
appear is written.
"""

from __future__ import annotations

import fcntl
import os
import re
import struct
import subprocess
import sys
import termios
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

SIZE = (120, 40)


@dataclass
class Window:
    """What a program wrote and spent over a window."""

    seconds: float
    written: int
    cpu_seconds: float
    rss: int = 0
    """Resident memory at the end of the window (the program and its children)."""
    areas: dict[str, int] = field(default_factory=dict)
    """Bytes written by screen area (see :func:`by_area`)."""

    def breakdown(self) -> str:
        """``table cells 1,234 B/s, panes ...``: the areas, most first."""
        ordered = sorted(self.areas.items(), key=lambda item: -item[1])
        return ", ".join(f"{name} {got / self.seconds:,.0f} B/s" for name, got in ordered)

    @property
    def bytes_per_second(self) -> float:
        return self.written / self.seconds

    @property
    def cpu_percent(self) -> float:
        return 100.0 * self.cpu_seconds / self.seconds


class PtyProgram:
    """A program running on a pty; what it writes is read (and counted) continuously."""

    def __init__(self, argv: list[str], env: dict[str, str], size: tuple[int, int] = SIZE) -> None:
        master, slave = os.openpty()
        columns, rows = size
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        self._master = master
        self.process = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
        )
        os.close(slave)
        self._lock = threading.Lock()
        self._data = bytearray()
        self._total = 0
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._ps = psutil.Process(self.process.pid)

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self._master, 65536)
            except OSError:  # EIO: the slave side is closed
                return
            if not chunk:
                return
            with self._lock:
                self._total += len(chunk)
                self._data += chunk
                if len(self._data) > 1 << 20:  # only recent output is searched
                    del self._data[: len(self._data) - (1 << 19)]

    @property
    def written(self) -> int:
        with self._lock:
            return self._total

    def cpu_seconds(self) -> float:
        """CPU time of the program and its live children so far."""
        try:
            times = self._ps.cpu_times()
            total = times.user + times.system + times.children_user + times.children_system
            for child in self._ps.children(recursive=True):
                with_child = child.cpu_times()
                total += with_child.user + with_child.system
            return total
        except psutil.NoSuchProcess:
            return 0.0

    def rss_bytes(self) -> int:
        """Resident memory of the program and its live children."""
        try:
            total = self._ps.memory_info().rss
            for child in self._ps.children(recursive=True):
                total += child.memory_info().rss
            return total
        except psutil.NoSuchProcess:
            return 0

    def recent(self, size: int = 1 << 18) -> bytes:
        """The last ``size`` bytes written (none for 0: ``data[-0:]`` would be all of it)."""
        if size <= 0:
            return b""
        with self._lock:
            return bytes(self._data[-size:])

    def send(self, keys: bytes) -> None:
        os.write(self._master, keys)

    def wait_for(self, marker: bytes, since: int, limit: float) -> float | None:
        """Seconds until ``marker`` appears in output written after byte ``since``, or None."""
        started = time.perf_counter()
        while time.perf_counter() - started < limit:
            with self._lock:
                tail_start = max(0, len(self._data) - (self._total - since))
                if marker in self._data[tail_start:]:
                    return time.perf_counter() - started
            time.sleep(0.001)
        return None

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        os.close(self._master)
        self._reader.join(timeout=5)


def measure_window(program: PtyProgram, seconds: float) -> Window:
    """Bytes written and CPU spent by ``program`` over the next ``seconds``."""
    # The panes' top border is drawn once, at the first paint, before the window.
    panes_top = _panes_top(program.recent(1 << 20))
    written, cpu = program.written, program.cpu_seconds()
    started = time.perf_counter()
    time.sleep(seconds)
    elapsed = time.perf_counter() - started
    got = program.written - written
    output = program.recent(got) if got <= 1 << 19 else b""
    return Window(
        elapsed,
        got,
        program.cpu_seconds() - cpu,
        program.rss_bytes(),
        by_area(output, SIZE, panes_top),
    )


_MOVE = re.compile(rb"\x1b\[(\d+);(\d+)H")
_STYLES = re.compile(rb"\x1b\[[0-9;]*m")


def _panes_top(output: bytes) -> int | None:
    """The screen line (1-based) of the panes' top border in ``output``, if drawn there."""
    corner = "╭".encode()
    rows = [
        int(move.group(1))
        for move in _MOVE.finditer(output)
        if _STYLES.sub(b"", output[move.end() : move.end() + 40]).startswith(corner)
    ]
    return min(rows, default=None)


def by_area(output: bytes, size: tuple[int, int], panes_top: int | None) -> dict[str, int]:
    """Bytes of ``output`` by the screen area each cursor-addressed write lands in.

    Textual moves the cursor before every run it writes, so each run is put
    where it lands: the header (the first two lines), the footer (the last),
    the panes (from ``panes_top``, the line of their top border, down), the
    table's scrollbar (its last column) and the table's cells (the rest).
    """
    columns, rows = size
    moves = list(_MOVE.finditer(output))
    if panes_top is None:
        panes_top = _panes_top(output) or rows
    areas: dict[str, int] = {}
    for index, move in enumerate(moves):
        end = moves[index + 1].start() if index + 1 < len(moves) else len(output)
        row, column = int(move.group(1)), int(move.group(2))
        if row <= 2:
            area = "header"
        elif row == rows:
            area = "footer"
        elif row >= panes_top:
            area = "panes"
        elif column == columns:
            area = "table scrollbar"
        else:
            area = "table cells"
        areas[area] = areas.get(area, 0) + end - move.start()
    return areas


@dataclass(frozen=True)
class Probe:
    """A key whose answer writes ``marker``; ``close`` undoes it."""

    name: str
    key: bytes
    marker: bytes
    close: bytes


# "/" opens the search box (its placeholder is written); Enter closes it.
FILTER = Probe("'/' to filter input", b"/", b"key=value", b"\r")
# A key typed in the search box re-filters the rows at hand (the filter bar names the
# search at once, whatever the server does); Esc clears the search and closes the box.
SEARCH = Probe("a search key to filtered rows", b"/p", b"search: p", b"\x1b")
# "?" builds and shows the help screen (from the live bindings); q closes it.
HELP = Probe("'?' to help screen", b"?", b"Esc closes", b"q")


def key_latency(program: PtyProgram, probe: Probe, presses: int = 5) -> list[float]:
    """Seconds from writing the probe's key until its marker is written, per press.

    A press whose marker is not written within 5 s counts as 5 s.
    """
    times = []
    for _ in range(presses):
        since = program.written
        program.send(probe.key)
        got = program.wait_for(probe.marker, since, 5.0)
        times.append(5.0 if got is None else got)
        program.send(probe.close)
        time.sleep(0.5)
    return times


_LINE_NUMBER = re.compile(rb"line (\d+) of the output")


def shown_line_rate(program: PtyProgram, seconds: float) -> float:
    """Lines/s by which the newest ``line N of the output`` written to the screen advances."""

    def newest() -> int:
        return max((int(n) for n in _LINE_NUMBER.findall(program.recent())), default=0)

    first, started = newest(), time.perf_counter()
    time.sleep(seconds)
    return (newest() - first) / (time.perf_counter() - started)


def dashboard_env(home: Path, url: str, key: str) -> dict[str, str]:
    """The environment of a user running ``inductiva-top`` on ``url`` (HOME isolated)."""
    home.mkdir(parents=True, exist_ok=True)
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "INDUCTIVA_API_URL": url,
        "INDUCTIVA_API_KEY": key,
        # A worktree running the shared venv points it at its own code this way.
        **({"PYTHONPATH": os.environ["PYTHONPATH"]} if "PYTHONPATH" in os.environ else {}),
    }


def dashboard_command() -> list[str]:
    """The ``inductiva-top`` command of this Python's environment."""
    command = Path(sys.executable).with_name("inductiva-top")
    if command.exists():
        return [str(command)]
    return [sys.executable, "-m", "inductiva_top"]
