"""Work that takes longer than a web request may: board packs, extracts and large imports.

A person asks for a job on a page (``qaframework.operations.jobs.request_job``); the web worker
records it and hands its id to the queue (:mod:`qaframework.jobs.queue`, Huey on SQLite or Redis);
a consumer process (``qa jobs worker``) runs it with a database session of its own, recording
progress, then the result file or a clear failure. The page the person is sent to reads that
record, so it needs no JavaScript and works from any worker. The kinds of job are registered in
:mod:`qaframework.jobs.kinds`; the reports' kinds in :mod:`qaframework.jobs.reports`.
"""
