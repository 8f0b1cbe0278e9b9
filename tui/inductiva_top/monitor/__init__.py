"""What the dashboard knows and how it refreshes it, without Textual.

Poll scheduling, the row window, the dashboard state and its tick, the sorts
and the server's order (for merging and locating rows), merging, sanitizing,
formatting, status codes, the tail buffer, the timeline, watched tasks,
export, task names, the ``/`` search and metadata edits: pure code and
asyncio over the API client, tested without a terminal.

Three rooms, each importing only the ones after it (an import-linter contract):

* :mod:`.batch`: projects, sweeps, failure triage and the totals of a view;
* :mod:`.fleet`: machine groups, money and why, in words;
* :mod:`.foresight`: when tasks start and end, resources, history and notifications.
"""
