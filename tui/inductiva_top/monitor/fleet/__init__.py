"""Machines and money, and why, in words (issue 15), without Textual.

* :mod:`.tracker`: the machine groups and the account, refreshed inside the
  one poll tick (its cost per refresh, flat in the number of tasks, is
  described there), what the dashboard saw of each machine over time, the
  groups' facts the start estimates use (their sizes), and the queue view's
  reason why a task waits;
* :mod:`.groups`: each group as the fleet screen shows it at a moment:
  machines and their tasks or idle times, the countdown to auto-termination,
  rate, cost so far, queue length and its marks;
* :mod:`.money`: the money meter: the fleet's rate now, the credits and
  their runway, at several lengths;
* :mod:`.why`: what each task status means and what to do, and why a
  waiting task waits, in our own words.
"""
