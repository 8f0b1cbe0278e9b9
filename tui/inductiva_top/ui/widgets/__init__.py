"""The main screen's widgets: header, filter bar, task table, and the task's panes.

Attributes down, messages up: the screen hands widgets their data and routes
their messages; widgets never query each other.
"""
