"""Tasks: the SQLite store and its queries, the lifecycle rules, and the executor.

:mod:`.lifecycle` says how a task's record changes (states, history entries,
operations, metrics) and :mod:`.steps` what one run records, step by step,
with the error texts; :mod:`.runner` carries a run through those steps with
real processes (:mod:`.processes`) and writes its monitoring files
(:mod:`.sysmetrics`), scheduled by :mod:`.executor` onto the machines of
local groups (:mod:`.machines`, kept in :mod:`.groups`); :mod:`.store` and
:mod:`.db` keep the records, :mod:`.queries` answers the listings (sorted by
the values :mod:`.sortkeys` keeps beside each record) and :mod:`.projects`
the projects.
"""
