"""The demo: an embedded server running a realistic workload to watch."""
