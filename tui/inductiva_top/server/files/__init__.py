"""Files of the storage area: safe paths, signed URLs, listings, zips, serving, uploads.

Everything that turns an untrusted path into a file inside the data dir
(:mod:`.paths`), reads or writes stored files (:mod:`.archive`,
:mod:`.listing`, :mod:`.zipinfo`, :mod:`.uploads`) or sends them with
validators and ranges (:mod:`.serving`), and the signatures of the URLs
that reach them (:mod:`.signing`).
"""
