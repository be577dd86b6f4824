#!/usr/bin/env bash
# `make serve`: the service in production. Checks the settings, upgrades the database (qa init),
# then runs gunicorn (webapp/gunicorn_conf.py) and the background job worker side by side; stopping
# this script (SIGTERM or Ctrl+C) stops both, and if either stops the other is stopped too.
# Required: DATABASE_URL, REDIS_URL, SECRET_KEY (see docs/operations.md for everything else).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

fail() { echo "make serve: $*" >&2; exit 2; }

[ -n "${DATABASE_URL:-}" ] || fail "DATABASE_URL is not set. Give the PostgreSQL database, e.g.
  DATABASE_URL=postgresql://qa:PASSWORD@db.example.internal/qa (docs/operations.md, Environment)."
case "$DATABASE_URL" in
  postgres://*|postgresql://*|postgresql+psycopg://*) ;;
  sqlite:*) echo "make serve: DATABASE_URL is SQLite: fine for one server; use PostgreSQL for more." >&2 ;;
  *) fail "DATABASE_URL must be a PostgreSQL URL (postgresql://...), not ${DATABASE_URL%%:*}:..." ;;
esac
[ -n "${REDIS_URL:-}" ] || fail "REDIS_URL is not set. Give the Redis server shared by every worker, e.g.
  REDIS_URL=redis://127.0.0.1:6379/0 (docs/operations.md, Environment)."

"$BIN/python" -m webapp.preflight   # the secret key, and that the database and Redis answer
"$BIN/qa" init                      # migrations and checklist templates; safe to run every start

web="" jobs=""
stop() {
  trap - TERM INT
  [ -z "$web" ] || kill -TERM "$web" 2>/dev/null || true   # gunicorn: finish requests in hand, then exit
  [ -z "$jobs" ] || kill -INT "$jobs" 2>/dev/null || true   # job worker: finish jobs in hand, then exit
  wait || true
}
trap 'stop; exit 143' TERM
trap 'stop; exit 130' INT

"$BIN/qa" jobs worker --workers "${JOB_WORKERS:-2}" &   # reports and large imports
jobs=$!
"$BIN/gunicorn" --config python:webapp.gunicorn_conf "webapp:create_app()" &
web=$!

status=0
wait -n "$web" "$jobs" || status=$?
echo "make serve: a process stopped (status $status); stopping the others" >&2
stop
exit "$status"
