"""Pilot tests of the dashboard and its panes against a real embedded server."""
