"""What the dashboard knows and how it refreshes it, without Textual.

Poll scheduling, the row window, the dashboard state and its tick, the sorts
and the server's order (for merging and locating rows), merging, sanitizing,
formatting, status codes, the tail buffer, the timeline, watched tasks,
export, task names, the ``/`` search and metadata edits: pure code and
asyncio over the API client, tested without a terminal.
"""
