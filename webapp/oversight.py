"""Team oversight of Tier 1 checks: each co-ordinator's checks this month against the target,
their grade mix and open peer challenges, so a team manager can see who needs support."""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from flask import Blueprint, render_template, request

from qaframework.framework import GRADE_SCALES, Role
from qaframework.operations.audit_queries import month_start
from qaframework.operations.dashboard import MemberOversight, team_attention, team_oversight, teams
from webapp.access import current_actor, requires
from webapp.db import db_session

bp = Blueprint("oversight", __name__)

#: Tier 1 checklists grade on this scale; any other grade found is shown after these.
TIER1_SCALE = GRADE_SCALES["ofsted4"]


def _grade_columns(members: list[MemberOversight]) -> list[str]:
    extra = sorted({g for m in members for g in m.grades} - set(TIER1_SCALE.codes))
    return [*TIER1_SCALE.codes, *extra]


def _months(today: date, count: int = 12) -> list[date]:
    """The first day of this month and the 11 before it, newest first, for the month picker."""
    months, year, month = [], today.year, today.month
    for _ in range(count):
        months.append(date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months


@bp.route("/team")
@requires(team_manager=True)
def team() -> Any:
    session, user = db_session(), current_actor()
    today = date.today()
    months = _months(today)
    chosen_month = month_start(request.args.get("month", "")) or months[0]
    if chosen_month not in months:
        chosen_month = months[0]  # a month outside the picker from a tampered link: this month
    is_admin = user.role == Role.ADMIN.value
    all_teams = teams(session) if is_admin else []
    chosen = request.args.get("team") if is_admin else user.team
    if is_admin and chosen not in all_teams:
        chosen = None  # "All teams"; an unknown name from a tampered link shows everyone, not an error
    oversight = team_oversight(session, user, chosen_month, chosen)
    current = chosen_month == months[0]
    days_left = calendar.monthrange(today.year, today.month)[1] - today.day if current else 0
    return render_template(
        "oversight/team.html",
        members=oversight.members,
        team=chosen,
        teams=all_teams,
        is_admin=is_admin,
        grades=_grade_columns(oversight.members),
        totals=oversight,
        today=today,
        month=chosen_month,
        months=months,
        month_key=chosen_month.strftime("%Y-%m"),
        days_left=days_left,
        attention=team_attention(session, user, today, chosen),
    )
