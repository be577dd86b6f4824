"""Cases: find a case by reference or filters, and see its statutory clock and every audit of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, render_template, request, url_for
from flask_login import current_user

from qaframework.framework import PHASES, PRIMARY_NEEDS, RequestOutcome, Role
from qaframework.operations.cases import CaseFilters, audits_of_case, filter_options, get_case, search_cases
from qaframework.store import Request
from qaframework.timeliness import RequestClock, RequestFacts, clock
from webapp.access import requires
from webapp.db import db_session

bp = Blueprint("cases", __name__, url_prefix="/cases")

#: Everyone who works with individual records; board viewers see aggregates only.
CASE_ROLES = (Role.AUDITOR, Role.PANEL_MEMBER, Role.SYSTEM_LEADER, Role.ADMIN)
#: Roles that carry out audits (admins support, they do not audit).
STARTER_ROLES = frozenset({Role.AUDITOR, Role.PANEL_MEMBER, Role.SYSTEM_LEADER})
PER_PAGE = 25

#: Clock status → (words before the week number, tag colour). Late and overdue are red on purpose.
CLOCK_TAGS: dict[str, tuple[str, str]] = {
    "overdue": ("Overdue: week", "red"),
    "due_today": ("Due today: week", "orange"),
    "at_risk": ("At risk: week", "orange"),
    "on_track": ("On track: week", "blue"),
    "issued_on_time": ("Issued in week", "green"),
    "issued_late": ("Issued late: week", "red"),
    "issued_late_exception": ("Late, with exception: week", "yellow"),
}


@dataclass(frozen=True)
class RequestView:
    """One request with its clock worked out for today, ready for a template."""

    request: Request
    clock: RequestClock | None
    tag: dict[str, str]


def request_view(req: Request, today: date) -> RequestView:
    """The statutory clock of a stored request; dates that contradict each other show as such."""
    try:
        facts = RequestFacts(
            request_date=req.request_date,
            decision_to_assess_date=req.decision_to_assess_date,
            final_issued_date=req.final_issued_date,
            outcome=RequestOutcome(req.outcome),
            exception=req.exception,  # type: ignore[arg-type]  # normalised by RequestFacts
            closed_date=req.assessment_outcome_date if req.outcome == RequestOutcome.REFUSED_TO_ISSUE else None,
        )
        result = clock(facts, today)
    except ValueError:
        return RequestView(req, None, {"text": "Dates need checking", "classes": "govuk-tag--grey"})
    if result.status == "closed" or result.week is None:
        text = f"Closed: {RequestOutcome(req.outcome).label.lower()}"
        return RequestView(req, result, {"text": text, "classes": "govuk-tag--grey"})
    words, colour = CLOCK_TAGS[result.status]
    return RequestView(req, result, {"text": f"{words} {result.week}", "classes": f"govuk-tag--{colour}"})


def milestone_state(met: bool | None, due: date, today: date) -> dict[str, str]:
    """Met, missed, not yet due, or not recorded: never a blank, so gaps in the record show."""
    if met is True:
        return {"text": "Met", "classes": "govuk-tag--green"}
    if met is False:
        return {"text": "Missed", "classes": "govuk-tag--red"}
    if due >= today:
        return {"text": "Not yet due", "classes": "govuk-tag--grey"}
    return {"text": "Not recorded", "classes": "govuk-tag--grey"}


def page_number(raw: str | None) -> int:
    return int(raw) if raw and raw.isdigit() and 0 < int(raw) < 100_000 else 1


def pagination(page: int, total: int, per_page: int, endpoint: str, args: dict[str, str]) -> dict[str, Any] | None:
    """govukPagination parameters: first, last, and the pages around the current one."""
    pages = max(1, -(-total // per_page))
    if pages == 1:
        return None

    def href(number: int) -> str:
        return url_for(endpoint) + "?" + urlencode({**{k: v for k, v in args.items() if v}, "page": number})

    items: list[dict[str, Any]] = []
    for number in range(1, pages + 1):
        if number in (1, pages) or abs(number - page) <= 1:
            items.append({"number": number, "href": href(number), "current": number == page})
        elif items and not items[-1].get("ellipsis"):
            items.append({"ellipsis": True})
    return {
        "items": items,
        "previous": {"href": href(page - 1)} if page > 1 else None,
        "next": {"href": href(page + 1)} if page < pages else None,
    }


@bp.route("")
@requires(*CASE_ROLES)
def list_cases() -> Any:
    args = {name: (request.args.get(name) or "").strip()[:80] for name in ("q", "phase", "primary_need", "setting_type", "team")}
    page = page_number(request.args.get("page"))
    session, user = db_session(), current_user._get_current_object()
    filters = CaseFilters(search=args["q"], phase=args["phase"], primary_need=args["primary_need"],
                          setting_type=args["setting_type"], team=args["team"])
    cases, total = search_cases(session, user, filters, page, PER_PAGE)
    today = date.today()
    rows = [(case, request_view(case.latest_request, today) if case.latest_request else None) for case in cases]
    return render_template(
        "cases/list.html",
        rows=rows,
        total=total,
        page=page,
        args=args,
        filtered=any(args.values()),
        options=filter_options(session),
        phases=PHASES,
        needs=PRIMARY_NEEDS,
        pagination=pagination(page, total, PER_PAGE, "cases.list_cases", args),
        first=(page - 1) * PER_PAGE + 1,
    )


@bp.route("/<int:case_id>")
@requires(*CASE_ROLES)
def show_case(case_id: int) -> Any:
    session, user = db_session(), current_user._get_current_object()
    case = get_case(session, user, case_id)
    today = date.today()
    return render_template(
        "cases/show.html",
        case=case,
        requests=[request_view(r, today) for r in reversed(case.requests)],
        audits=audits_of_case(session, user, case),
        can_start=Role(user.role) in STARTER_ROLES,
        today=today,
        milestone_state=milestone_state,
    )
