"""The fleet: what the local machine groups look like, what they cost, and the credits.

:mod:`.meter` bills the machines as time passes, charges running tasks,
terminates groups past their idle limit and stops rated groups when the
credits run out; :mod:`.account` says what has been spent against the
server's budget; :mod:`.view` describes groups in the real API's
``VMGroupConfig`` shape (:mod:`.wire`).
"""
