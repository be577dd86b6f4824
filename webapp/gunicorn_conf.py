"""Gunicorn's settings for production (``make serve``, scripts/serve.sh): loaded with
``gunicorn --config python:webapp.gunicorn_conf "webapp:create_app()"``.

Each can be changed with an environment variable (docs/operations.md lists them), or with
``GUNICORN_CMD_ARGS`` for any other gunicorn option. Sync workers, one request at a time each: the
app is CPU-bound page rendering over a database, and the reverse proxy in front buffers slow clients.
"""

from __future__ import annotations

import os

#: Where to listen. Loopback by default: the reverse proxy on the same host terminates TLS.
bind = [os.environ.get("BIND", "127.0.0.1:8000")]
#: Worker processes: about two per CPU core (each holds one database connection while it works).
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
#: A request running longer than this (seconds) is killed and the worker replaced. Long work
#: (imports, board packs) runs in the job queue, so no page needs more than a few seconds.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
#: On a restart or upgrade (SIGTERM or SIGHUP), requests in hand get this long to finish.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
#: Replace each worker after about this many requests, so a slow leak can never grow for ever.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
#: Only the reverse proxy may say a request came over https (X-Forwarded-Proto). The app's
#: ProxyFix (QA_PROXY_FIX_COUNT) reads the client's address from X-Forwarded-For.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

#: Access log and error log on standard output/error (journald or the container keeps them).
accesslog = os.environ.get("ACCESS_LOG", "-")
errorlog = os.environ.get("ERROR_LOG", "-")
loglevel = os.environ.get("LOG_LEVEL", "info")
#: Client (as the proxy saw it), time, request line, status, size, duration in ms and the worker's
#: pid. URLs hold record ids and search words but never names: keep the log like the data.
access_log_format = ('%({x-forwarded-for}i)s %(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms pid=%(p)s '
                     '"%(a)s"')
proc_name = "qa-web"
