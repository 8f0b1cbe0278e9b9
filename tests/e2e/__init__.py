"""End to end: the official client from PyPI, and the dashboard in Chromium."""
