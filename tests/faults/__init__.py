"""Injected faults (crashes, cuts, hostile input) the server and dashboard must survive."""
