"""What the dashboard knows and how it refreshes it, without Textual.

At the top, what every room and screen uses: the dashboard state and its tick
(:mod:`.state`), the poll loop and its retry policy (:mod:`.poller`,
:mod:`.retrying`), status codes (:mod:`.statuses`), formatting (:mod:`.fmt`),
the sanitizer (:mod:`.sanitize`), task names (:mod:`.names`) and watched
tasks (:mod:`.watch`): pure code and asyncio over the API client, tested
without a terminal.

Rooms, each importing only the ones after it (an import-linter contract):

* :mod:`.batch`: projects, sweeps, failure triage and the totals of a view;
* :mod:`.fleet`: machine groups, money and why, in words;
* :mod:`.foresight`: when tasks start and end, resources, history and notifications;
* :mod:`.rows`: which rows a view holds and where (window, sorts, merge,
  locate, seek, search, export); :mod:`.output`: a task's output and files
  (tail buffer, source, file tree); :mod:`.task`: one task up close
  (timeline, queue view, metadata edits). These three know none of the others.
"""
