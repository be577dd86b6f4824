"""Administration: users, checklist versions, term dates and the Tier 1 target, case import, audit trail.

Every view is for administrators only (``@requires(Role.ADMIN)``); every write goes through a
``qaframework.operations`` function, which checks permission again, runs in one transaction and
leaves an audit-trail entry.
"""

from __future__ import annotations

from webapp.admin import (  # noqa: F401 - registers the routes
    case_import,
    checklists,
    clock_settings,
    erasure,
    home,
    retention,
    term_dates,
    trail,
    users,
)
from webapp.admin.blueprint import bp

__all__ = ["bp"]
