"""Admin: how long the raw notes of a Tier 4 conversation are kept after the review is submitted."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from qaframework.framework import Role
from qaframework.numbers import whole_number
from qaframework.operations.base import InvalidInput
from qaframework.operations.tier4 import RETENTION_MAX, RETENTION_MIN, retention_days, set_retention_days
from webapp.access import current_actor, requires
from webapp.admin.blueprint import bp
from webapp.db import db_session


@bp.route("/notes-retention", methods=["GET", "POST"])
@requires(Role.ADMIN)
def edit_notes_retention() -> Any:
    session = db_session()
    value, error = str(retention_days(session)), None
    if request.method == "POST":
        value = (request.form.get("days") or "").strip()[:10]
        try:
            number = whole_number(value)
            set_retention_days(session, current_actor(), number if number is not None else value)
        except InvalidInput as invalid:
            error = invalid.errors[0].message
        else:
            flash(f"Tier 4 conversation notes are now deleted {value} days after the review is submitted.", "success")
            return redirect(url_for("admin.index"))
    return render_template("admin/notes_retention.html", value=value, error=error,
                           minimum=RETENTION_MIN, maximum=RETENTION_MAX)
