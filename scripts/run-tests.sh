#!/usr/bin/env bash
# The whole suite, twice: on the embedded SQLite default, then on a throwaway PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTEST=(.venv/bin/python -m pytest -p no:cacheprovider "$@")

echo "=== Test suite on SQLite ==="
QA_TEST_DATABASE_URL= "${PYTEST[@]}"

echo "=== Test suite on PostgreSQL ==="
bash scripts/with-postgres.sh "${PYTEST[@]}"
