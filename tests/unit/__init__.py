"""Unit tests: the API client, monitor, transfer, config and command line, no Textual."""
