"""Seeding: filling a data dir with finished example tasks (demos, screenshots, benchmarks).

:mod:`.data` is what seeded tasks are made of, :mod:`.plan` chooses each
task, :mod:`.task` draws its runs and records them in a :mod:`.record` (the
runner's lifecycle and steps rules on plain values, fast), and :mod:`.fill`
builds and writes them. The ``inductiva-top seed`` command line is
:mod:`inductiva_top.cli.seed`.
"""
