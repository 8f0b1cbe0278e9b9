"""The screens: the dashboard (``main``), a task's details, and the modal dialogs.

Dialogs return typed results to the screen that pushed them (kill, export,
status and project filters, the queue view, help).
"""
