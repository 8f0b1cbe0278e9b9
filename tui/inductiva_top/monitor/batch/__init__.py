"""Batches of tasks, without Textual: projects, sweeps and the totals of a view.

* :mod:`.bars`: task counts by status kind, and the stacked bar that draws
  them, as data (segments of glyphs that read without colour);
* :mod:`.board`: one row per project from ``GET /projects``, sorted by
  activity, with its success rate, cost, time and the ETA to finish;
* :mod:`.sweep`: a project's runs as rows of the parameters that vary,
  sorted by any parameter (numbers as numbers) and grouped by one of them;
* :mod:`.totals`: counts, cost, compute time and median queue wait of
  whatever the task table shows, over all its pages;
* :mod:`.triage`: failed tasks grouped by signature (what went wrong, normalised);
* :mod:`.source`: what these views ask of the API client;
* :mod:`.feeds`: the one tick of the project board and of the sweep table,
  run by :class:`~inductiva_top.monitor.poller.PollLoop` like the main screen's.
"""
