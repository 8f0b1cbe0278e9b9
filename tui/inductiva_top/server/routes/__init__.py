"""The HTTP routes of the server, one module per API area.

Each module builds its ``APIRouter`` from what it needs (the store, the
executor, the data dir); :mod:`inductiva_top.server.app` mounts them.
"""
