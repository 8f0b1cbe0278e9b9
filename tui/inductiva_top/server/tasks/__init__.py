"""Tasks: the SQLite store and its queries, the lifecycle rules, and the executor.

:mod:`.lifecycle` says how a task's record changes (states, history entries,
operations, metrics, error texts); :mod:`.runner` carries one run of a task
through it with real processes (:mod:`.processes`), scheduled by
:mod:`.executor`; :mod:`.store` and :mod:`.db` keep the records, and
:mod:`.queries` answers the listings. :mod:`.statuses` names the states.
"""
