"""Admin: the statutory week from which an open request for assessment shows as at risk."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from qaframework.framework import Role
from qaframework.operations.base import InvalidInput
from qaframework.operations.clocks import local_milestones, parse_at_risk_week, set_at_risk_week
from webapp.access import current_actor, requires
from webapp.admin.blueprint import bp
from webapp.db import db_session


@bp.route("/at-risk-week", methods=["GET", "POST"])
@requires(Role.ADMIN)
def edit_at_risk_week() -> Any:
    session = db_session()
    value, error = str(local_milestones(session).at_risk_from_week), None
    if request.method == "POST":
        value = (request.form.get("at_risk_from_week") or "").strip()[:10]
        try:
            week = parse_at_risk_week(value)
            set_at_risk_week(session, current_actor(), week)
        except InvalidInput as invalid:
            error = invalid.errors[0].message
        else:
            flash(f"Open requests now show as at risk from week {week}.", "success")
            return redirect(url_for("admin.index"))
    return render_template("admin/at_risk_week.html", value=value, error=error)
