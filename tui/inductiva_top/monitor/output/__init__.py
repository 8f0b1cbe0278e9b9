"""A task's output and files: where they come from and how they are held for the panes.

Which source a task's lines and files come from, live or its archive
(:mod:`.tailsource`); the bounded buffer of sanitized output lines
(:mod:`.tailbuffer`); the task's files as a tree (:mod:`.filetree`).
"""
