"""Home: my audits, what is due this month against the Tier 1 target, recent activity, things waiting."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, render_template

from qaframework.operations.actions import actions_owned_by
from qaframework.operations.dashboard import my_audits, my_target, recent_activity
from qaframework.operations.peer import challenges_waiting_for
from qaframework.operations.trail import record_names
from webapp.access import current_actor, requires
from webapp.db import db_session

bp = Blueprint("home", __name__)


@bp.route("/")
@requires()
def index() -> Any:
    session, user = db_session(), current_actor()
    activity = recent_activity(session, user)
    return render_template(
        "home/index.html",
        audits=my_audits(session, user),
        target=my_target(session, user, date.today()),
        activity=activity,
        names=record_names(session, activity),
        my_actions=actions_owned_by(session, user),
        waiting=challenges_waiting_for(session, user),
        today=date.today(),
    )
