"""The screens: the dashboard (``main``), a task's details, the project board, sweep
table and failures view (``board``, ``sweep``, ``failures``, sharing ``sheetoutput``),
the fleet (``fleet``), and the modal dialogs.

Dialogs return typed results to the screen that pushed them (kill, export,
status and project filters, the queue view, help).
"""
