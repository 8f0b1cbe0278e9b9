"""One task looked at closely: its timeline, its place in the queue, its metadata edits.

The state timeline laid out on a time axis (:mod:`.timeline`), the queue
view of a waiting task (:mod:`.queue`, which the fleet and the estimates read
too) and changing a task's metadata one key at a time (:mod:`.metadata`).
"""
