"""Moving task files between storage and the local disk (no Textual here).

Downloads (entry points in :mod:`.outputs` and :mod:`.tail`):

* :mod:`.download` streams one signed URL to ``<dest>.part``, resumes with
  ``Range``/``If-Range`` after a cut, checks the size and renames atomically;
* :mod:`.sources`, :mod:`.zipindex`, :mod:`.decode` and :mod:`.rangezip` read
  chosen members of a remote zip with HTTP range requests only;
* :mod:`.safepath`, :mod:`.plan` and :mod:`.extract` extract safely (no escaping names, no
  links, zip-bomb caps, free-space check, no silent overwrite);
* :mod:`.outputs` puts it together: ``download_outputs``/``download_inputs``
  into ``<output_dir>/<task_id>/outputs/`` (``inputs/``), as the official client.

Uploads live in :mod:`.upload`.
"""
