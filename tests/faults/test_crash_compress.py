"""The server SIGKILLed while it compresses a task's output, then restarted.

(SIGKILL mid-run is tests/server/test_server_lifecycle.py's
``test_crash_recovery_kills_leftovers_and_reruns_once``.) Here the command
has ended and the server is writing ``output.zip.partial`` when it dies:
after the restart the half-written archive is gone, the task is rerun once
(never twice at a time), and the published archive holds every file whole.
"""

from __future__ import annotations

import hashlib
import random
import zipfile

from inductiva_top.server.files.archive import OUTPUT_PREFIX
from tests.conftest import ServerFactory
from tests.server.task_helpers import PY, history, submit, wait_status, wait_until
from tests.tally import Tally

FILES = 16
FILE_BYTES = 2 * 1024 * 1024  # random, so deflate works hard and the window is wide


def _writer(runs: str) -> list[str]:
    """A command writing FILES files of seeded random bytes and logging its run."""
    code = (
        "import os, random\n"
        f"open({runs!r}, 'a').write(f'start {{os.getpid()}}\\n')\n"
        "rng = random.Random(7)\n"
        f"for i in range({FILES}):\n"
        f"    open(f'out{{i:02d}}.bin', 'wb').write(rng.randbytes({FILE_BYTES}))\n"
        f"open({runs!r}, 'a').write(f'end {{os.getpid()}}\\n')\n"
    )
    return [PY, "-c", code]


def test_sigkill_mid_compression_loses_nothing(server_factory: ServerFactory, tally: Tally) -> None:
    server = server_factory(slots=1)
    runs = server.data_dir.parent / "runs"
    survived = False
    try:
        with server.client() as client:
            task_id = submit(client, _writer(str(runs)))
            partial = server.data_dir / "storage" / task_id / "output.zip.partial"
            # Polled tightly: the archive is being written for a second or so.
            wait_until(partial.exists, "output.zip.partial to appear")
        server.crash()
        assert partial.exists()  # the crash really caught the archive half-written
        server.start()
        assert not partial.exists(), "the restart leaves the half-written archive behind"
        with server.client() as client:
            doc = wait_status(client, task_id, timeout=120)
        assert doc["status"] == "success", doc.get("error_detail")
        assert doc["num_retries"] == 1
        assert history(doc).count("executer-terminated") == 1
        log = runs.read_text().split("\n")
        # Two whole runs, one after the other: never two at a time.
        assert [line.split()[0] for line in log if line] == ["start", "end", "start", "end"]
        rng_bytes = hashlib.sha256()
        with zipfile.ZipFile(server.data_dir / "storage" / task_id / "output.zip") as archive:
            names = sorted(n for n in archive.namelist() if n.endswith(".bin"))
            assert names == [f"{OUTPUT_PREFIX}out{i:02d}.bin" for i in range(FILES)]
            assert archive.testzip() is None
            for name in names:
                data = archive.read(name)
                assert len(data) == FILE_BYTES
                rng_bytes.update(data)
        expected = hashlib.sha256()
        rng = random.Random(7)
        for _ in range(FILES):
            expected.update(rng.randbytes(FILE_BYTES))
        assert rng_bytes.digest() == expected.digest()
        assert not list((server.data_dir / "storage").glob("*/*.partial"))
        survived = True
    finally:
        tally.fault(survived=survived)
