"""Seeding: filling a data dir with finished example tasks (demos, screenshots, benchmarks).

:mod:`.data` is what seeded tasks are made of, :mod:`.plan` chooses each
task, :mod:`.task` records its runs with the lifecycle rules the runner uses
(:mod:`inductiva_top.server.tasks.lifecycle`), and :mod:`.fill` builds and
writes them. The ``inductiva-top seed`` command line is
:mod:`inductiva_top.cli.seed`.
"""
