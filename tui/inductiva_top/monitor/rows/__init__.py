"""Which task rows a view holds, in what order, and where a task sits among them.

The row window over the server's pages (:mod:`.window`), the sorts and the
server's order (:mod:`.sorting`), views of several status codes merged from
one stream per code (:mod:`.merge`), finding a task's row after a sort
change (:mod:`.locate`), the next matching row for ``]``/``[`` (:mod:`.seek`),
the ``/`` search over a scan of the view (:mod:`.search`) and the export of a
whole view to a file (:mod:`.export`). Nothing here knows the dashboard state:
the state is built on these.
"""
