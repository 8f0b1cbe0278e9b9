"""The embedded server: a FastAPI app that really runs tasks and speaks the Inductiva API.

At this level: the app factory (:mod:`.app`), the ``serve`` entry point
(:mod:`.serve`), the child-process launcher (:mod:`.launcher`), the data dir's
layout and ownership (:mod:`.layout`, :mod:`.runtime`), the API key
(:mod:`.auth`), error answers (:mod:`.errors`), the wire models
(:mod:`.schemas`), the status codes they carry (:mod:`.statuses`) and the
``serve`` settings with their bounds (:mod:`.knobs`). The rest lives in rooms:

- :mod:`.tasks`: the task store, projects, the lifecycle rules, and the executor that
  runs tasks on the machines of local groups, writing their monitoring files;
- :mod:`.fleet`: what the machine groups look like and cost, idle limits and credits;
- :mod:`.files`: storage paths, signed URLs, listings, zips, file serving and uploads;
- :mod:`.live`: a running task's work dir, its processes, followed files, WebRTC;
- :mod:`.routes`: the HTTP routes, one module per API area;
- :mod:`.seed`: filling a data dir with finished example tasks.
"""
