"""Reading a DfE SEN2 person-level XML return (collections 2023 to 2026) as case-file rows.

The return carries names, birth dates, UPNs, ULNs and postcodes; none of them leaves this module.
Each person becomes a keyed pseudonym (``qaframework.pseudonyms``) and the academic year of birth,
and each request the same values a CSV case file holds (``case_import.COLUMNS``), so the import
that applies them, and its checks, are the CSV import's. Elements are matched by local name in any
order, namespaces and unknown elements are ignored, empty elements are null, and every xs:boolean
form (1/0/true/false, any case) is read, and Y/N. The file is parsed as a stream with defusedxml:
no DTD, no entity expansion, no external entity is ever resolved.

Mapping (docs/domain-notes.md and README "SEN2 returns"): ReceivedDate → request_date;
RequestSource; RequestOutcomeDate → decision_to_assess_date; RequestOutcome N → refused to
assess, W → withdrawn, A → in progress; AssessmentOutcome N → refused to issue, W → withdrawn,
Y (or H) with a NamedPlan StartDate → issued on that date, else in progress;
AssessmentOutcomeDate; Week20 true → exception ``unspecified``; SENneed of rank 1 → primary need;
the rank 1 placement (else the plan's) → setting; ReviewMeeting, ReviewOutcome, ReviewDraft,
LastReview, PhaseTransferFinalDate → the latest review. A historic request (outcome H) with no
ReceivedDate adds the case, its need, setting and review but no request.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from qaframework.case_import import (
    CaseFileError,
    CaseRow,
    ImportProblem,
    _check_logic,
    _primary_need,
    _request_source,
    _review_outcome,
)
from qaframework.framework import RequestOutcome, TimelinessException
from qaframework.import_limits import ImportLimits, size_text
from qaframework.pseudonyms import person_reference

#: The element each case-file column comes from, so a problem names what the council can fix.
ELEMENT_OF_COLUMN = {
    "request_date": "ReceivedDate",
    "request_source": "RequestSource",
    "decision_to_assess_date": "RequestOutcomeDate",
    "outcome": "RequestOutcome",
    "assessment_outcome_date": "Assessment/AssessmentOutcomeDate",
    "final_issued_date": "Assessment/NamedPlan/StartDate",
    "exception": "Assessment/Week20",
    "academic_year_of_birth": "PersonBirthDate",
    "primary_need": "ActivePlans/SENneed/SENtype",
    "setting_type": "ActivePlans/PlacementDetail",
    "review_meeting_date": "ActivePlans/ReviewMeeting",
    "review_outcome": "ActivePlans/ReviewOutcome",
    "review_amendments_sent_date": "ActivePlans/ReviewDraft",
    "review_decision_date": "ActivePlans/LastReview",
    "phase_transfer_final_date": "ActivePlans/PhaseTransferFinalDate",
}
#: SENSetting codes (a placement with no URN or UKPRN) in the words the case list uses.
SETTING_WORDS = {
    "OLA": "Education otherwise than at school",
    "OPA": "Arranged by the parent or young person",
    "EHE": "Elective home education",
    "EYP": "Early years setting",
    "OTH": "Other setting",
    "NEET": "Not in education, employment or training",
    "NIEC": "Not in education or training (notice to cease)",
    "NIEO": "Not in education or training (other)",
}
UPN_RE = re.compile(r"^[A-Z]\d{11}[0-9A-Z]$")
ULN_RE = re.compile(r"^\d{10}$")
DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:Z|[+-]\d{2}:\d{2})?$")
BOOLEANS = {"1": True, "true": True, "y": True, "yes": True, "0": False, "false": False, "n": False, "no": False}


@dataclass(frozen=True)
class Sen2Problem(ImportProblem):
    """A problem in a SEN2 return: ``row`` is the person's position in the file (1 = first), ``column`` the element."""

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"person {self.row}")
        if self.column:
            where.append(f"element {self.column}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


def is_sen2(data: bytes) -> bool:
    """Does the file look like XML (a return), judging by its first bytes?"""
    head = data[:200].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if "}" in tag else tag


def _kids(element: Element, name: str) -> list[Element]:
    return element.findall(name)


def _kid(element: Element | None, name: str) -> Element | None:
    return None if element is None else element.find(name)


def _text(element: Element | None, name: str) -> str | None:
    if element is None:
        return None
    value = element.findtext(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


class _Person:
    """One ``<Person>``'s values, with the problems found while reading it."""

    def __init__(self, position: int, element: Element, key: bytes) -> None:
        for child in element.iter():  # match by local name: drop any namespace once, here
            if "}" in child.tag:
                child.tag = _local(child.tag)
        self.position = position
        self.problems: list[ImportProblem] = []
        self.element = element
        self.key = key
        self.born: date | None = None

    def problem(self, where: str, message: str) -> None:
        self.problems.append(Sen2Problem(self.position, where, message))

    def date(self, parent: Element | None, name: str, where: str) -> date | None:
        text = _text(parent, name)
        if text is None:
            return None
        match = DATE_RE.match(text)
        try:
            if match is None:
                raise ValueError
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            self.problem(where, f"“{text}” is not a date; SEN2 dates are written yyyy-mm-dd")
            return None

    def boolean(self, parent: Element | None, name: str, where: str) -> bool | None:
        text = _text(parent, name)
        if text is None:
            return None
        value = BOOLEANS.get(text.lower())
        if value is None:
            self.problem(where, f"“{text}” is not a yes or no; use 1 or 0 (or true or false)")
        return value

    def code(self, text: str | None, allowed: str, where: str, what: str) -> str | None:
        if text is None:
            return None
        if text.upper() not in allowed:
            self.problem(where, f"“{text}” is not a {what}; use one of {', '.join(allowed)}")
            return None
        return text.upper()

    def convert(self, text: str | None, where: str, convert: Any) -> Any:
        if text is None:
            return None
        try:
            return convert(text)
        except ValueError as exc:
            self.problem(where, str(exc))
            return None

    # -- the person ---------------------------------------------------------------------------

    def reference(self) -> str | None:
        person = self.element
        upn = _text(person, "UPN")
        uln = _text(person, "UniqueLearnerNumber")
        if upn is not None and not UPN_RE.match(upn.upper()):
            self.problem("UPN", "is not a UPN (a letter, 11 digits, then a digit or letter)")
            return None
        if uln is not None and not ULN_RE.match(uln):
            self.problem("UniqueLearnerNumber", "is not a unique learner number (10 digits)")
            return None
        self.born = born = self.date(person, "PersonBirthDate", "PersonBirthDate")
        reference = person_reference(self.key, upn=upn, uln=uln, surname=_text(person, "Surname"),
                                     forename=_text(person, "Forename"), birth_date=born)
        if reference is None:
            self.problem("UPN", "the person has no UPN, UniqueLearnerNumber, or Surname, Forename and "
                                "PersonBirthDate to be recognised by in next year's return")
        return reference

    def case_values(self, requests: list[Element]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Cohort, primary need, setting, and the review(s), from the latest request with active plans."""
        values: dict[str, Any] = {}
        born = self.born  # read by ``reference``; only the academic year goes further
        if born is not None:
            values["academic_year_of_birth"] = born.year if born.month >= 9 else born.year - 1
        with_plans = [(i, r) for i, r in enumerate(requests) if _kid(r, "ActivePlans") is not None]
        reviews: list[dict[str, Any]] = []
        if with_plans:
            def received(item: tuple[int, Element]) -> date:
                match = DATE_RE.match(_text(item[1], "ReceivedDate") or "")
                try:
                    return date.min if match is None else date(int(match[1]), int(match[2]), int(match[3]))
                except ValueError:  # reported with the request
                    return date.min

            index, request = max(with_plans, key=lambda item: (received(item), item[0]))
            plans = _kid(request, "ActivePlans")
            where = self._request_path(index, len(requests)) + "/ActivePlans"
            need = self._primary_need(plans, where)
            if need is not None:
                values["primary_need"] = need
            setting = self._setting(plans, _kid(_kid(request, "Assessment"), "NamedPlan"))
            if setting is not None:
                values["setting_type"] = setting
            reviews = self._reviews(plans, where)
        return values, reviews

    def _primary_need(self, plans: Element | None, where: str) -> str | None:
        needs = _kids(plans, "SENneed") if plans is not None else []
        ranked = [n for n in needs if _text(n, "SENtypeRank") == "1"] or needs[:1]
        text = _text(ranked[0], "SENtype") if ranked else None
        need: str | None = self.convert(text, f"{where}/SENneed/SENtype", _primary_need)
        return need

    def _setting(self, plans: Element | None, named_plan: Element | None) -> str | None:
        details = _kids(plans, "PlacementDetail") if plans is not None else []
        if not details and named_plan is not None:
            details = _kids(named_plan, "PlanDetail")
        if not details:
            return None
        main = next((d for d in details if _text(d, "PlacementRank") == "1"), details[0])
        code = _text(main, "SENSetting")
        if code is not None and code.upper() in SETTING_WORDS:
            return SETTING_WORDS[code.upper()]
        if BOOLEANS.get((_text(main, "SENunitIndicator") or "").lower()):
            return "SEN unit"
        if BOOLEANS.get((_text(main, "ResourcedProvisionIndicator") or "").lower()):
            return "Resourced provision"
        if _text(main, "UKPRN") is not None and _text(main, "URN") is None:
            return "Post-16 provider (UKPRN)"
        if _text(main, "URN") is not None:
            return "School or college (URN)"
        return None if code is None else "Other setting"

    def _reviews(self, plans: Element | None, where: str) -> list[dict[str, Any]]:
        """The latest review; two if the last decision is older than a later meeting still undecided."""
        meeting = self.date(plans, "ReviewMeeting", f"{where}/ReviewMeeting")
        decision = self.date(plans, "LastReview", f"{where}/LastReview")
        outcome = self.convert(_text(plans, "ReviewOutcome"), f"{where}/ReviewOutcome", _review_outcome)
        draft = self.date(plans, "ReviewDraft", f"{where}/ReviewDraft")
        phase_final = self.date(plans, "PhaseTransferFinalDate", f"{where}/PhaseTransferFinalDate")
        review: dict[str, Any] = {}
        earlier: dict[str, Any] = {}
        if meeting is not None:
            review["review_meeting_date"] = meeting
        if decision is not None:
            (earlier if meeting is not None and decision < meeting else review)["review_decision_date"] = decision
        if outcome is not None:
            (earlier or review)["review_outcome"] = outcome
        if draft is not None:
            review["review_amendments_sent_date"] = draft
        if phase_final is not None:
            review["phase_transfer_final_date"] = phase_final
        return [r for r in (earlier, review) if r]

    # -- requests -----------------------------------------------------------------------------

    @staticmethod
    def _request_path(index: int, count: int) -> str:
        return f"Requests[{index + 1}]" if count > 1 else "Requests"

    def request_values(self, request: Element, where: str) -> dict[str, Any] | None:
        """The request's case-file values; None for a historic request with no ReceivedDate."""
        outcome_code = self.code(_text(request, "RequestOutcome"), "YNAWH", f"{where}/RequestOutcome",
                                 "request outcome")
        if _text(request, "RequestOutcome") is None:
            self.problem(f"{where}/RequestOutcome", "is missing; use Y, N, A, W or H")
        assessment = _kid(request, "Assessment")
        a_where = f"{where}/Assessment"
        assessed_code = self.code(_text(assessment, "AssessmentOutcome"), "YNAWH",
                                  f"{a_where}/AssessmentOutcome", "assessment outcome")
        received = self.date(request, "ReceivedDate", f"{where}/ReceivedDate")
        if received is None:
            if "H" not in {outcome_code, assessed_code} and _text(request, "ReceivedDate") is None:
                self.problem(f"{where}/ReceivedDate",
                             "is missing; only a historic request (outcome H) may leave it out")
            return None
        values: dict[str, Any] = {"request_date": received}
        source = self.convert(_text(request, "RequestSource"), f"{where}/RequestSource", _request_source)
        if source is not None:
            values["request_source"] = source
        decided = self.date(request, "RequestOutcomeDate", f"{where}/RequestOutcomeDate")
        if decided is not None:
            values["decision_to_assess_date"] = decided
        assessed_on = self.date(assessment, "AssessmentOutcomeDate", f"{a_where}/AssessmentOutcomeDate")
        if assessed_on is not None:
            values["assessment_outcome_date"] = assessed_on
        plan_start = self.date(_kid(assessment, "NamedPlan"), "StartDate", f"{a_where}/NamedPlan/StartDate")
        if self.boolean(assessment, "Week20", f"{a_where}/Week20"):
            values["exception"] = TimelinessException.UNSPECIFIED.value
        outcome = RequestOutcome.IN_PROGRESS
        if outcome_code == "N":
            outcome = RequestOutcome.REFUSED_TO_ASSESS
        elif outcome_code == "W":
            outcome = RequestOutcome.WITHDRAWN
        elif outcome_code in {"Y", "H"}:
            if assessed_code == "N":
                outcome = RequestOutcome.REFUSED_TO_ISSUE
            elif assessed_code == "W":
                outcome = RequestOutcome.WITHDRAWN
            elif assessed_code in {"Y", "H"} and plan_start is not None:
                outcome = RequestOutcome.ISSUED
        if plan_start is not None:
            if outcome is RequestOutcome.ISSUED:
                values["final_issued_date"] = plan_start
            else:
                self.problem(f"{a_where}/NamedPlan/StartDate",
                             "a plan start date needs RequestOutcome Y and AssessmentOutcome Y")
        values["outcome"] = outcome.value
        return values

    def rows(self) -> tuple[str | None, list[CaseRow]]:
        reference = self.reference()
        requests = _kids(self.element, "Requests")
        if not requests:
            self.problem("Requests", "the person has no Requests")
        case_values, reviews = self.case_values(requests)
        request_rows = []
        for index, request in enumerate(requests):
            where = self._request_path(index, len(requests))
            before = len(self.problems)
            values = self.request_values(request, where)
            if values is None:
                continue
            if len(self.problems) == before:
                self._check(values, where)
            request_rows.append(values)
        rows = []
        extra_reviews = list(reviews)
        for values in request_rows or [{}]:
            row_values = {**case_values, **values}
            if extra_reviews:
                row_values.update(extra_reviews.pop())
            rows.append(row_values)
        rows += [{**case_values, **review} for review in extra_reviews]
        for values in rows:
            self._check({k: v for k, v in values.items() if k.startswith(("review_", "phase_"))}, "ActivePlans")
        return reference, [CaseRow(self.position, reference or "", values) for values in rows]

    def _check(self, values: dict[str, Any], where: str) -> None:
        """The CSV import's checks on dates in order, with each problem named by its element."""
        for found in _check_logic(self.position, values):
            element = ELEMENT_OF_COLUMN.get(found.column or "", found.column or "")
            prefix = "" if element.startswith("ActivePlans") or where == "ActivePlans" else f"{where}/"
            message = found.message
            for column, name in ELEMENT_OF_COLUMN.items():
                message = message.replace(column, name.rsplit("/", 1)[-1])
            self.problem(prefix + element, message)


ROOT_RE = re.compile(rb"<([A-Za-z_][\w.:-]*)")


def _root_name(data: bytes) -> str | None:
    """The first element's local name, skipping the XML declaration, comments and processing instructions."""
    at = 0
    while True:
        match = ROOT_RE.search(data, at)
        if match is None:
            return None
        before = data[max(0, match.start() - 3):match.start()]
        inside_comment = data.rfind(b"<!--", 0, match.start()) > data.rfind(b"-->", 0, match.start())
        if not inside_comment and not before.endswith(b"<?"):
            return _local(match.group(1).decode("ascii", "replace").split(":")[-1])
        at = match.end()


class _TooBig(Exception):
    """The return breaks one of the XML limits; it is not read further."""


def _collection_year(header: Element, problems: list[ImportProblem]) -> int | None:
    """``Header/CollectionDetails/Year``: which return this is, so an older one never overwrites a newer."""
    for element in header.iter():
        if _local(element.tag) == "Year":
            text = (element.text or "").strip()
            if re.fullmatch(r"20\d\d", text):
                return int(text)
            problems.append(Sen2Problem(None, "Header/CollectionDetails/Year",
                                        f"“{text}” is not a collection year; write it like 2026"))
            return None
    return None


def _persons(data: bytes, problems: list[ImportProblem], limits: ImportLimits,
             header: dict[str, int | None] | None = None) -> Iterator[tuple[int, Element]]:
    """Each ``<Person>`` element as it is read, then emptied, so a large return stays small in memory.

    The stream is watched as it is parsed: nesting deeper than ``max_xml_depth``, a Person of more
    than ``max_person_elements`` elements, or more than ``max_other_elements`` outside every Person
    stops the reading, so no shape of file can make the parser keep more than a few Persons' worth.
    """
    position = 0
    root = _root_name(data[:65536])
    if root is not None and root != "Message":
        problems.append(Sen2Problem(None, None, f"This is not a SEN2 return: its first element must be Message, "
                                                f"not {root}"))
        return
    depth = 0
    person_depth = 0  # the depth of the Person being read, 0 outside every Person
    in_person = outside = 0
    try:
        for event, element in iterparse(io.BytesIO(data), events=("start", "end"), forbid_dtd=True):
            if event == "start":
                depth += 1
                if depth > limits.max_xml_depth:
                    raise _TooBig(f"The file nests elements more than {limits.max_xml_depth} deep, which a SEN2 "
                                  "return never does; it was not read")
                if person_depth:
                    in_person += 1
                    if in_person > limits.max_person_elements:
                        raise _TooBig(f"Person {position + 1} has more than {limits.max_person_elements:,} elements, "
                                      "which no child's record needs; the file was not read")
                elif element.tag == "Person" or ("}" in element.tag and _local(element.tag) == "Person"):
                    person_depth, in_person = depth, 0
                else:
                    outside += 1
                    if outside > limits.max_other_elements:
                        raise _TooBig(f"The file has more than {limits.max_other_elements:,} elements outside its "
                                      "Persons, which a SEN2 return never has; it was not read")
                continue
            if depth == person_depth:
                person_depth = 0
                position += 1
                yield position, element
                element.clear()  # keep only an empty shell of each person already read
            elif not person_depth and header is not None and _local(element.tag) == "Header":
                header["year"] = _collection_year(element, problems)
            depth -= 1
    except ParseError as exc:
        line, column = exc.position
        problems.append(Sen2Problem(None, None, f"The file is not well-formed XML (line {line}, column {column + 1}); "
                                                "export the return again"))
    except DefusedXmlException:
        problems.append(Sen2Problem(None, None, "The file declares a DTD or entities, which a SEN2 return never does; "
                                                "it was not read"))
    except _TooBig as exc:
        problems.append(Sen2Problem(None, None, str(exc)))
    if position == 0 and not problems:
        problems.append(Sen2Problem(None, "Persons", "The return has no Person"))


def read_return(data: bytes, key: bytes, limits: ImportLimits | None = None) -> list[CaseRow]:
    """Every person's rows, or CaseFileError listing every problem (person, element, what is wrong)."""
    limits = limits or ImportLimits.from_environment()
    if len(data) > limits.max_file_bytes:
        raise CaseFileError([Sen2Problem(None, None, f"The return is {size_text(len(data))}; at most "
                                                     f"{size_text(limits.max_file_bytes)} is read")])
    problems: list[ImportProblem] = []
    rows: list[CaseRow] = []
    seen: dict[tuple[str, date], int] = {}
    people: dict[str, int] = {}
    header: dict[str, int | None] = {}
    for position, element in _persons(data, problems, limits, header):
        person = _Person(position, element, key)
        reference, person_rows = person.rows()
        problems += person.problems
        if reference is not None and reference in people:
            problems.append(Sen2Problem(position, "Person", f"is the same child as person {people[reference]}; "
                                                            "a return holds each child once"))
            continue
        if reference is not None:
            people[reference] = position
        if reference is None or person.problems:
            continue
        for row in person_rows:
            received = row.values.get("request_date")
            if received is not None:
                if (reference, received) in seen:
                    problems.append(Sen2Problem(position, "Requests/ReceivedDate",
                                                f"two requests received on {received:%d/%m/%Y}; each request once"))
                seen[(reference, received)] = position
        rows += person_rows
    if problems:
        raise CaseFileError(problems, limits.max_problems)
    year = header.get("year")
    for row in rows:
        row.collection_year = year
    return rows
