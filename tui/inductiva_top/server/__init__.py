"""The embedded server: a FastAPI app that really runs tasks and speaks the Inductiva API.

At this level: the app factory (:mod:`.app`), the ``serve`` entry point
(:mod:`.serve`), the child-process launcher (:mod:`.launcher`), the data dir's
layout and ownership (:mod:`.layout`, :mod:`.runtime`), the API key
(:mod:`.auth`), error answers (:mod:`.errors`), the wire models
(:mod:`.schemas`) and the status codes they carry (:mod:`.statuses`). The
rest lives in rooms:

- :mod:`.tasks`: the task store, the lifecycle rules and the executor that runs tasks;
- :mod:`.files`: storage paths, signed URLs, listings, zips, file serving and uploads;
- :mod:`.live`: a running task's work dir, its processes, followed files, WebRTC;
- :mod:`.routes`: the HTTP routes, one module per API area;
- :mod:`.seed`: filling a data dir with finished example tasks.
"""
