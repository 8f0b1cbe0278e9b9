"""inductiva-top: a terminal dashboard for Inductiva simulation tasks."""

__version__ = "0.1.0"
