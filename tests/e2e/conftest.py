"""What the end-to-end tests need from outside the repository, or a one-line skip.

``official_client`` tests get the official client's interpreter: a venv with
``inductiva==<OFFICIAL_VERSION>`` from PyPI, built on first use under the
pytest cache dir and reused (or ``INDUCTIVA_OFFICIAL_PYTHON``). Where pip
cannot install it (no route to PyPI) they are skipped, saying so in one line.
``browser`` tests skip themselves the same way without Chromium or Playwright.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.e2e.official_client import OFFICIAL_VERSION, OfficialClientUnavailable, official_python


@pytest.fixture(scope="session")
def python(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The interpreter of the official client's venv."""
    name = f"inductiva-official-{OFFICIAL_VERSION}"
    cache = getattr(request.config, "cache", None)
    if cache is not None:
        where = Path(cache.mkdir(name))
    else:  # -p no:cacheprovider: pytest's temp root, kept across a few runs
        where = tmp_path_factory.getbasetemp().parent / name
    try:
        return official_python(where)
    except OfficialClientUnavailable as error:
        pytest.skip(f"needs the official client inductiva=={OFFICIAL_VERSION}: {error.reason}")
    except subprocess.TimeoutExpired:
        pytest.skip(f"needs the official client inductiva=={OFFICIAL_VERSION}: pip timed out")
