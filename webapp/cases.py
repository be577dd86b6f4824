"""Cases: find a case by reference or filters, and see its statutory clock and every audit of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, render_template, request, url_for

from qaframework.framework import PHASES, PRIMARY_NEEDS, RequestOutcome
from qaframework.numbers import whole_number
from qaframework.operations.assignments import assigned_case_ids
from qaframework.operations.blinding import blind_audit_ids
from qaframework.operations.cases import CaseFilters, audits_of_case, filter_options, get_case, search_cases
from qaframework.operations.clocks import agency_names, at_risk, case_clocks_for, request_clock_view
from qaframework.operations.tier4 import consents_of_case
from qaframework.permissions import CASEWORK_ROLES, can_record_consent, can_start_audits
from qaframework.store import Request
from qaframework.timeliness import AdviceException, RequestClock, RequestKind, RequestSource, ReviewOutcome
from webapp.access import current_actor, requires
from webapp.db import db_session

bp = Blueprint("cases", __name__, url_prefix="/cases")

#: Everyone who works with individual records; board viewers see aggregates only.
#: Roles that carry out audits (admins support, they do not audit).
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
#: The other clocks' statuses (advice, review, phase transfer) → (words, tag colour).
STATUS_TAGS: dict[str, tuple[str, str]] = {
    "overdue": ("Overdue", "red"),
    "due_today": ("Due today", "orange"),
    "at_risk": ("Due soon", "orange"),
    "on_track": ("On track", "blue"),
    "received_on_time": ("Received on time", "green"),
    "received_late": ("Received late", "red"),
    "received_late_exception": ("Late, with exception", "yellow"),
    "awaiting_decision": ("Awaiting decision", "blue"),
    "decision_overdue": ("Decision overdue", "red"),
    "done_on_time": ("Done on time", "green"),
    "done_late": ("Done late", "red"),
}


@dataclass(frozen=True)
class RequestView:
    """One request with its clock worked out for today, ready for a template."""

    request: Request
    clock: RequestClock | None
    tag: dict[str, str]


def request_tag(req: Request, result: RequestClock | None) -> dict[str, str]:
    """The GOV.UK tag for a request's clock: week and state, grey when closed or the dates contradict."""
    if result is None:
        return {"text": "Dates need checking", "classes": "govuk-tag--grey"}
    if result.status == "closed" or result.week is None:
        return {"text": f"Closed: {RequestOutcome(req.outcome).label.lower()}", "classes": "govuk-tag--grey"}
    words, colour = CLOCK_TAGS[result.status]
    return {"text": f"{words} {result.week}", "classes": f"govuk-tag--{colour}"}


def request_view(req: Request, today: date) -> RequestView:
    """The statutory clock of a stored request; dates that contradict each other show as such."""
    view = request_clock_view(req, today)
    return RequestView(req, view.clock, request_tag(req, view.clock))


def status_tag(status: str) -> dict[str, str]:
    words, colour = STATUS_TAGS[status]
    return {"text": words, "classes": f"govuk-tag--{colour}"}


def days_text(days_left: int | None) -> str:
    """"12 days left", "Due today", "3 days late": never a bare negative number."""
    if days_left is None:
        return ""
    if days_left == 0:
        return "Due today"
    if days_left > 0:
        return f"{days_left} day{'s' if days_left != 1 else ''} left"
    return f"{-days_left} day{'s' if days_left != -1 else ''} late"


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
    return whole_number(raw, low=1, high=99_999) or 1


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
@requires(*CASEWORK_ROLES)
def list_cases() -> Any:
    names = ("q", "phase", "primary_need", "setting_type", "team")
    args = {name: (request.args.get(name) or "").strip()[:80] for name in names}
    page = page_number(request.args.get("page"))
    session, user = db_session(), current_actor()
    filters = CaseFilters(
        search=args["q"],
        phase=args["phase"],
        primary_need=args["primary_need"],
        setting_type=args["setting_type"],
        team=args["team"],
    )
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
@requires(*CASEWORK_ROLES)
def show_case(case_id: int) -> Any:
    session, user = db_session(), current_actor()
    case = get_case(session, user, case_id)
    today = date.today()
    clocks = case_clocks_for(session, user, case, today)
    return render_template(
        "cases/show.html",
        case=case,
        clocks=clocks,
        requests=[RequestView(v.request, v.clock, request_tag(v.request, v.clock)) for v in clocks.requests],
        audits=(audits := audits_of_case(session, user, case)),
        blind_ids=blind_audit_ids(session, user, (a.id for a in audits)),
        can_start=can_start_audits(user),
        consents=consents_of_case(session, user, case),
        can_record_consent=can_record_consent(user, case.id, assigned_case_ids(session, user)),
        today=today,
        milestone_state=milestone_state,
        status_tag=status_tag,
        days_text=days_text,
        kinds=RequestKind,
        sources=RequestSource,
        advice_exceptions=AdviceException,
        review_outcomes=ReviewOutcome,
        agencies=agency_names(session),
    )


@bp.route("/at-risk")
@requires(*CASEWORK_ROLES)
def at_risk_list() -> Any:
    """Open requests by statutory week and days left (past the at-risk week first), then the other clocks."""
    session, user = db_session(), current_actor()
    team = (request.args.get("team") or "").strip()[:80]
    lists = at_risk(session, user, date.today(), team)
    if team and team not in lists.teams:
        team = ""
        lists = at_risk(session, user, date.today())
    return render_template(
        "cases/at_risk.html",
        lists=lists,
        team=team,
        today=date.today(),
        request_tag=request_tag,
        status_tag=status_tag,
        milestone_state=milestone_state,
        days_text=days_text,
        agencies=agency_names(session),
    )
