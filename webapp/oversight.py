"""Team oversight of Tier 1 checks: each co-ordinator's checks this month against the target,
their grade mix and open peer challenges, so a team manager can see who needs support."""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from flask import Blueprint, render_template, request
from flask_login import current_user

from qaframework.framework import GRADE_SCALES, Role
from qaframework.operations.dashboard import MemberOversight, team_oversight, teams
from webapp.access import requires
from webapp.db import db_session

bp = Blueprint("oversight", __name__)

#: Tier 1 checklists grade on this scale; any other grade found is shown after these.
TIER1_SCALE = GRADE_SCALES["ofsted4"]


def _grade_columns(members: list[MemberOversight]) -> list[str]:
    extra = sorted({g for m in members for g in m.grades} - set(TIER1_SCALE.codes))
    return [*TIER1_SCALE.codes, *extra]


def _team_totals(members: list[MemberOversight]) -> dict[str, int]:
    done = sum(m.checks_this_month for m in members)
    target = sum(m.target for m in members)
    return {"done": done, "target": target, "open": sum(m.open_challenges for m in members),
            "percent": min(100, round(100 * done / target)) if target else 100}


@bp.route("/team")
@requires(team_manager=True)
def team() -> Any:
    session, user = db_session(), current_user._get_current_object()
    today = date.today()
    is_admin = user.role == Role.ADMIN.value
    all_teams = teams(session) if is_admin else []
    chosen = request.args.get("team") if is_admin else user.team
    if is_admin and chosen not in all_teams:
        chosen = None  # "All teams"; an unknown name from a tampered link shows everyone, not an error
    members = team_oversight(session, user, today, chosen)
    days_left = calendar.monthrange(today.year, today.month)[1] - today.day
    return render_template("oversight/team.html", members=members, team=chosen, teams=all_teams, is_admin=is_admin,
                           grades=_grade_columns(members), totals=_team_totals(members), today=today,
                           days_left=days_left)
