"""Synthetic SEN2 person-level returns for tests and the benchmark: every value invented.

``sen2_return(year, persons)`` writes a return in that collection year's shape (2023: GenderCurrent,
AttendancePattern, LastReview only; 2024: Sex, Res in PlacementDetail, ReviewMeeting/ReviewOutcome;
2025 and 2026: RequestSource, DSCO, ReviewDraft, phase-transfer dates).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass
class Sen2Request:
    received: str | None
    outcome: str = "Y"
    outcome_date: str | None = None
    assessment: str | None = None
    assessment_date: str | None = None
    week20: str | None = None
    plan_start: str | None = None
    source: str | None = "1"
    active_plans: bool = False
    need: str = "ASD"
    second_need: str | None = None
    urn: str | None = "100001"
    setting: str | None = None
    resourced: str = "0"
    review_meeting: str | None = None
    review_outcome: str | None = None
    last_review: str | None = None
    review_draft: str | None = None


@dataclass
class Sen2Person:
    surname: str
    forename: str
    born: str
    upn: str | None = None
    uln: str | None = None
    postcode: str = "ZZ9 9ZZ"
    requests: list[Sen2Request] = field(default_factory=list)


def _el(name: str, value: str | None) -> str:
    return "" if value is None else f"<{name}>{value}</{name}>"


def _request(year: int, r: Sen2Request) -> str:
    parts = [_el("ReceivedDate", r.received)]
    if year >= 2025:
        parts.append(_el("RequestSource", r.source))
    parts += [_el("RYA", "0"), _el("RequestOutcomeDate", r.outcome_date), _el("RequestOutcome", r.outcome),
              _el("RequestMediation", "0"), _el("RequestTribunal", "false")]
    if r.assessment is not None:
        plan = ""
        if r.plan_start is not None:
            detail = (_el("URN", r.urn) + _el("SENSetting", r.setting) + "<PlacementRank>1</PlacementRank>"
                      "<SENunitIndicator>0</SENunitIndicator>" + _el("ResourcedProvisionIndicator", r.resourced))
            plan = f"<NamedPlan>{_el('StartDate', r.plan_start)}<PlanDetail>{detail}</PlanDetail><PB>0</PB></NamedPlan>"
        parts.append(f"<Assessment>{_el('AssessmentOutcome', r.assessment)}"
                     f"{_el('AssessmentOutcomeDate', r.assessment_date)}<AssessmentMediation>0</AssessmentMediation>"
                     f"{_el('Week20', r.week20)}{plan}</Assessment>")
    if r.active_plans:
        placement = (_el("URN", r.urn) + _el("SENSetting", r.setting) + "<PlacementRank>1</PlacementRank>"
                     + _el("EntryDate", r.plan_start or r.received)
                     + ("<AttendancePattern>1</AttendancePattern>" if year == 2023 else "")
                     + "<SENunitIndicator>0</SENunitIndicator>"
                     + _el("ResourcedProvisionIndicator", r.resourced)
                     + ("<Res>A</Res>" if year >= 2024 else ""))
        needs = f"<SENneed><SENtype>{r.need}</SENtype><SENtypeRank>1</SENtypeRank></SENneed>"
        if r.second_need:
            needs = f"<SENneed><SENtypeRank>2</SENtypeRank><SENtype>{r.second_need}</SENtype></SENneed>" + needs
        reviews = _el("LastReview", r.last_review)
        if year >= 2024:
            reviews = _el("ReviewMeeting", r.review_meeting) + _el("ReviewOutcome", r.review_outcome) + reviews
        if year >= 2025:
            reviews += _el("ReviewDraft", r.review_draft)
        res = "<PlanRes>A</PlanRes>" if year == 2023 else ""
        parts.append(f"<ActivePlans>{res}<PlacementDetail>{placement}</PlacementDetail>{needs}{reviews}</ActivePlans>")
    return "<Requests>" + "".join(parts) + "</Requests>"


def sen2_return(year: int, persons: list[Sen2Person], *, namespace: str = "") -> str:
    """A whole return for collection ``year`` (its census in January; the activity in year - 1)."""
    census = {2023: "2023-01-19", 2024: "2024-01-18", 2025: "2025-01-16", 2026: "2026-01-15"}[year]
    sex = "<GenderCurrent>2</GenderCurrent>" if year == 2023 else "<Sex>F</Sex>"
    body = []
    for p in persons:
        ids = _el("UPN", p.upn) + _el("UniqueLearnerNumber", p.uln)
        if p.upn is None and p.uln is None:
            ids += "<UPNunknown>UN2</UPNunknown>"
        body.append(
            f"<Person><Surname>{p.surname}</Surname><Forename>{p.forename}</Forename>"
            f"<PersonBirthDate>{p.born}</PersonBirthDate>{sex}<Ethnicity>WBRI</Ethnicity>"
            f"<PostCode>{p.postcode}</PostCode>{ids}" + "".join(_request(year, r) for r in p.requests) + "</Person>"
        )
    header = (f"<Header><CollectionDetails><Collection>SEN2</Collection><Year>{year}</Year>"
              f"<ReferenceDate>{census}</ReferenceDate></CollectionDetails><Source><SourceLevel>L</SourceLevel>"
              f"<LEA>999</LEA><SoftwareCode>TestCMS</SoftwareCode><DMO>Y</DMO><DCO>N</DCO>"
              + ("<DSCO>N</DSCO>" if year >= 2025 else "") + "</Source></Header>")
    xmlns = f' xmlns="{namespace}"' if namespace else ""
    people = "".join(body)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<Message{xmlns}>{header}<Persons>{people}</Persons></Message>\n'


def generated_persons(count: int, seed_year: int = 2024) -> list[Sen2Person]:
    """``count`` people with one or two requests each, for the benchmark (plans, refusals, open ones)."""
    people = []
    for n in range(count):
        received = date(seed_year, 1 + n % 12, 1 + n % 28)
        kind = n % 4
        request = Sen2Request(received.isoformat(), outcome_date=date(seed_year, 1 + n % 12, 28).isoformat())
        if kind == 0:
            request.outcome, request.outcome_date = "N", request.outcome_date
        elif kind == 1:
            request.assessment = "A"
        else:
            request.assessment, request.assessment_date = "Y", date(seed_year + 1, 1 + n % 12, 1).isoformat()
            request.plan_start = date(seed_year + 1, 1 + n % 12, 15).isoformat()
            request.week20 = "1" if n % 7 == 0 else "0"
            request.active_plans = True
            request.last_review = None
        born = date(2010 + n % 10, 1 + n % 12, 1 + n % 28).isoformat()
        people.append(Sen2Person(f"Surname{n}", f"Forename{n}", born, upn=f"A{n:011d}{n % 10}", requests=[request]))
    return people
