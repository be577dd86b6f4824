"""The admin landing page: one place to reach each admin task, with the numbers that say whether it needs doing."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import render_template

from qaframework.framework import Role
from qaframework.operations.cases import case_count
from qaframework.operations.clocks import local_milestones
from qaframework.operations.erasure import retention_months
from qaframework.operations.settings import configured_cycles, current_cycle, tier1_target
from qaframework.operations.templates import all_versions, current_versions
from qaframework.operations.tier4 import retention_days
from qaframework.operations.trail import latest_entry
from qaframework.operations.users import list_users
from webapp.access import current_actor, requires
from webapp.admin.blueprint import bp
from webapp.db import db_session


@bp.route("")
@requires(Role.ADMIN)
def index() -> Any:
    session, actor = db_session(), current_actor()
    users = list_users(session)
    versions = all_versions(session)
    cycle = current_cycle(session, date.today())
    return render_template(
        "admin/index.html",
        active_users=sum(u.active for u in users),
        inactive_users=sum(not u.active for u in users),
        current_templates=len(current_versions(session)),
        retired_templates=sum(v.retired for v in versions),
        template_versions=len(versions),
        cycle=cycle,
        year_configured=any(c.academic_year == cycle.academic_year for c in configured_cycles(session)),
        target=tier1_target(session),
        cases=case_count(session),
        at_risk_week=local_milestones(session).at_risk_from_week,
        notes_retention_days=retention_days(session),
        case_retention_months=retention_months(session),
        last_import=latest_entry(session, actor, "cases.import"),
    )
