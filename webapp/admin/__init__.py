"""Administration: users, checklist versions, term dates and the Tier 1 target, case import, audit trail.

Every view is for administrators only (``@requires(Role.ADMIN)``); every write goes through a
``qaframework.operations`` function, which checks permission again, runs in one transaction and
leaves an audit-trail entry.
"""

from __future__ import annotations

from webapp.admin import case_import, checklists, clock_settings, home, term_dates, trail, users  # noqa: F401 - registers the routes
from webapp.admin.blueprint import bp

__all__ = ["bp"]
