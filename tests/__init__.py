"""The test suite: unit/ (no Textual), server/, ui/ (Pilot), snapshots/, e2e/, faults/.

A package, so helpers are imported one way, ``from tests.<room>.<module> import ...``,
under ``pytest`` and ``python -m pytest`` alike.
"""
