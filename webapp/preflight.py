"""Checks before the service starts (``make serve``): settings, database and Redis, with a
plain message instead of a worker traceback when something is wrong.

    python -m webapp.preflight    # exit 0 when ready; otherwise the problem on standard error
"""

from __future__ import annotations

import sys

from webapp import create_app
from webapp.config import ConfigError


def problems() -> list[str]:
    """What stops this installation from serving, in words an administrator can act on."""
    try:
        app = create_app()
    except ConfigError as error:
        return [str(error)]
    with app.test_client() as client:
        response = client.get("/healthz")
    if response.status_code == 200:
        return []
    checks = (response.get_json(silent=True) or {}).get("checks", {})
    where = {"database": "the database (DATABASE_URL)", "redis": "Redis (REDIS_URL)"}
    return [f"Cannot reach {where.get(name, name)}: see the error above."
            for name, result in checks.items() if result != "ok"] or [f"/healthz answered {response.status_code}"]


def main() -> int:
    found = problems()
    for problem in found:
        print(f"Cannot start: {problem}", file=sys.stderr)
    return 2 if found else 0


if __name__ == "__main__":
    sys.exit(main())
