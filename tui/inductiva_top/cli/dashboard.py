"""``inductiva-top`` with no subcommand: the full-screen dashboard on the configured API.

Its flags are on the top-level parser (:func:`~inductiva_top.cli.common.add_dashboard_flags`).
"""

from __future__ import annotations

import argparse

from inductiva_top.cli.common import dashboard_config
from inductiva_top.ui import launch_gc

__all__ = ["run"]


def run(args: argparse.Namespace) -> int:
    """Open the dashboard; returns the exit code when it closes."""
    # Before the dashboard's imports: the collector would walk them for nothing.
    launch_gc.pause()
    config = dashboard_config(args)
    from inductiva_top.ui.app import run_dashboard

    return run_dashboard(config)
