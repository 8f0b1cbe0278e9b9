"""Foresight: when a task will start and end, what it uses, and when to tell the user.

Pure code, no Textual, every "now" passed in (aware UTC datetimes):

* :mod:`.durations`: the recently finished tasks a dashboard has seen, and the
  durations and parallelism they show per machine group;
* :mod:`.queueing`: when the n-th task of a FIFO queue gets one of m machines;
* :mod:`.progress`: a task's own progress (``42%``, ``420/1000``) read from
  its output;
* :mod:`.estimates`: start estimates of waiting tasks, finish estimates of
  running ones, the remaining time of a project (the one estimate of it: the
  project board's ETA), each with the basis it used (or "unknown", never a
  made-up number);
* :mod:`.tracker`: those estimates kept per held task refresh by refresh,
  with the machine groups' sizes the fleet lists, and stalled output;
* :mod:`.wording`: the estimates in words (the STARTS and ENDS cells, the
  panes' sentences);
* :mod:`.resources`: the task-runner's ``system_metrics.csv`` and
  ``output_update.csv`` read as they grow, and stalled output;
* :mod:`.sparkline` and :mod:`.header_history`: block sparklines and the
  header's history of running, waiting and finishing tasks;
* :mod:`.notify`: desktop notifications through the terminal (OSC 9, 777, 99,
  the bell), wrapped for tmux;
* :mod:`.rules`: watch rules from the config (``watch: [{project: ..., on: [...]}]``)
  and whether a task's change of status matches one.
"""
