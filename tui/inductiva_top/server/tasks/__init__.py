"""Tasks: the SQLite store and its queries, the lifecycle rules, and the executor.

:mod:`.lifecycle` says how a task's record changes (states, history entries,
operations, metrics) and :mod:`.steps` what one run records, step by step,
with the error texts; :mod:`.runner` carries a run through those steps with
real processes (:mod:`.processes`), scheduled by :mod:`.executor`;
:mod:`.store` and :mod:`.db` keep the records, and :mod:`.queries` answers
the listings.
"""
