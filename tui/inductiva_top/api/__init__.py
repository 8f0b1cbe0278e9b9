"""The client side of the Inductiva API (no Textual).

``client.py`` is the typed httpx client; ``wire.py``, ``retry.py``,
``timeouts.py`` and ``errors.py`` its plumbing and its one error tree;
``models.py`` and ``shapes.py`` the answers' shapes. ``live.py`` is the one
interface to a running task, with its HTTP adapter over ``local.py`` (the
embedded server's live routes) and its WebRTC adapter over ``filetracker.py``
and ``rtclink.py`` (the Inductiva cloud's way).
"""

import sys

# httpx imports its own command line (click, pygments, rich's syntax and progress)
# whenever click is installed, as the embedded server's uvicorn makes it; nothing
# here runs that command line, and importing it was a tenth of the dashboard's
# launch. A None entry makes httpx take its "command line not installed" path.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
