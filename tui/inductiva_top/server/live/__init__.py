"""A running task seen live: its work dir, its processes, followed files, and WebRTC.

:mod:`.workfiles` reads the work dir, :mod:`.top` samples the processes,
:mod:`.follow` follows a file as it grows; :mod:`.rtcops` answers the
file-tracker operations as data-channel messages and :mod:`.rtc` holds the
WebRTC peer connections that carry them. The plain-HTTP routes over the same
engine are in :mod:`inductiva_top.server.routes.live`.
"""
