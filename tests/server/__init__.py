"""Tests of the embedded server, each against a real uvicorn on a loopback port."""
