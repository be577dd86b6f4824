"""The vocabulary of a local area's four-tier Quality Assurance Framework.

Pure data: tiers, agencies, subjects, rating and grade scales, roles and cycles. Everything else in
the library speaks these words, so they live in one place with no I/O.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import date


class Tier(enum.IntEnum):
    """The four tiers of the QA framework, from self-assurance up to system leaders."""

    AGENCY_CHECK = 1
    SINGLE_AGENCY = 2
    MULTI_AGENCY = 3
    SYSTEM_LEADER = 4

    @property
    def label(self) -> str:
        return TIER_LABELS[self]


TIER_LABELS: dict[Tier, str] = {
    Tier.AGENCY_CHECK: "Tier 1: agency contribution check",
    Tier.SINGLE_AGENCY: "Tier 2: single-agency audit",
    Tier.MULTI_AGENCY: "Tier 3: multi-agency audit",
    Tier.SYSTEM_LEADER: "Tier 4: system-leader review",
}


@dataclass(frozen=True)
class Agency:
    """A partner that contributes advice to EHC plans and audits its own part."""

    code: str
    name: str


#: The agencies every area has. An area adds its own with ``qa agencies add``.
DEFAULT_AGENCIES: tuple[Agency, ...] = (
    Agency("send_service", "SEND and EHC service"),
    Agency("education", "Education and educational psychology"),
    Agency("health", "Health"),
    Agency("childrens_social_care", "Children's social care"),
    Agency("adult_social_care", "Adult social care"),
)


class Subject(enum.StrEnum):
    """What an audit looks at."""

    ADVICE = "advice"
    DRAFT_PLAN = "draft_plan"
    FINAL_PLAN = "final_plan"
    ANNUAL_REVIEW = "annual_review"
    #: A decision not to assess or not to issue a plan (CFA s36(8), Reg 5(3), Reg 10).
    REFUSAL_DECISION = "refusal_decision"

    @property
    def label(self) -> str:
        return SUBJECT_LABELS[self]


SUBJECT_LABELS: dict[Subject, str] = {
    Subject.ADVICE: "Agency advice",
    Subject.DRAFT_PLAN: "Draft EHC plan",
    Subject.FINAL_PLAN: "Final EHC plan",
    Subject.ANNUAL_REVIEW: "Annual review",
    Subject.REFUSAL_DECISION: "Decision not to assess or not to issue",
}


class Rating(enum.StrEnum):
    """The response to one checklist question. N/A is not a rating of quality: it is excluded."""

    MET = "met"
    PARTIALLY_MET = "partially_met"
    NOT_MET = "not_met"
    NOT_APPLICABLE = "not_applicable"

    @property
    def label(self) -> str:
        return RATING_LABELS[self]

    @property
    def rank(self) -> int:
        """Higher is better; N/A has no rank (-1) because it never counts."""
        return RATING_RANKS[self]


RATING_LABELS: dict[Rating, str] = {
    Rating.MET: "Met",
    Rating.PARTIALLY_MET: "Partially met",
    Rating.NOT_MET: "Not met",
    Rating.NOT_APPLICABLE: "Not applicable",
}
RATING_RANKS: dict[Rating, int] = {
    Rating.MET: 2,
    Rating.PARTIALLY_MET: 1,
    Rating.NOT_MET: 0,
    Rating.NOT_APPLICABLE: -1,
}


@dataclass(frozen=True)
class GradeScale:
    """An ordered judgement scale; ``codes[0]`` is the best grade."""

    code: str
    name: str
    codes: tuple[str, ...]
    labels: tuple[str, ...]

    def label(self, code: str) -> str:
        return self.labels[self.codes.index(code)]

    def rank(self, code: str) -> int:
        """0 for the worst grade, rising to len-1 for the best, so ``max``/``min`` read naturally."""
        return len(self.codes) - 1 - self.codes.index(code)

    def from_rank(self, rank: int) -> str:
        rank = max(0, min(rank, len(self.codes) - 1))
        return self.codes[len(self.codes) - 1 - rank]

    def worst(self, codes: list[str] | tuple[str, ...]) -> str:
        return min(codes, key=self.rank)

    def best(self, codes: list[str] | tuple[str, ...]) -> str:
        return max(codes, key=self.rank)

    @property
    def choices(self) -> list[tuple[str, str]]:
        return list(zip(self.codes, self.labels, strict=True))


OFSTED4 = GradeScale(
    code="ofsted4",
    name="Outstanding to Inadequate",
    codes=("outstanding", "good", "requires_improvement", "inadequate"),
    labels=("Outstanding", "Good", "Requires improvement", "Inadequate"),
)
FAMILY_EXPERIENCE3 = GradeScale(
    code="family_experience3",
    name="Family experience",
    codes=("positive", "mixed", "negative"),
    labels=("Positive", "Mixed", "Negative"),
)
#: Tier 4 from checklist version 2: the three area SEND inspection outcomes' words, "inconsistent"
#: in place of v1's "mixed" (domain review §2.3-4). A separate scale, so audits graded "mixed" on
#: the v1 scale keep their grade and label.
FAMILY_EXPERIENCE_AREA3 = GradeScale(
    code="family_experience_area3",
    name="Family experience (area SEND outcomes)",
    codes=("positive", "inconsistent", "negative"),
    labels=("Positive", "Inconsistent", "Negative"),
)
GRADE_SCALES: dict[str, GradeScale] = {s.code: s for s in (OFSTED4, FAMILY_EXPERIENCE3, FAMILY_EXPERIENCE_AREA3)}

#: The board headline counts these grades as "good or better".
GOOD_OR_BETTER = frozenset({"outstanding", "good", "positive"})


class Role(enum.StrEnum):
    """What a user does. An auditor is scoped to one agency; the others see across agencies."""

    AUDITOR = "auditor"
    PANEL_MEMBER = "panel_member"
    SYSTEM_LEADER = "system_leader"
    BOARD_VIEWER = "board_viewer"
    ADMIN = "admin"
    #: A parent carer forum representative: carries out Tier 4 reviews like a system leader, but
    #: sees only the cases of the reviews and samples they are assigned to (docs/domain-notes.md §6.4).
    PARENT_CARER_FORUM = "parent_carer_forum"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.AUDITOR: "Auditor",
    Role.PANEL_MEMBER: "Multi-agency panel member",
    Role.SYSTEM_LEADER: "System leader",
    Role.BOARD_VIEWER: "Board viewer",
    Role.ADMIN: "Administrator",
    Role.PARENT_CARER_FORUM: "Parent carer forum representative",
}

#: The tiers each role may carry out audits at.
ROLE_TIERS: dict[Role, frozenset[Tier]] = {
    Role.AUDITOR: frozenset({Tier.AGENCY_CHECK, Tier.SINGLE_AGENCY}),
    Role.PANEL_MEMBER: frozenset({Tier.MULTI_AGENCY}),
    Role.SYSTEM_LEADER: frozenset({Tier.SYSTEM_LEADER}),
    Role.BOARD_VIEWER: frozenset(),
    Role.ADMIN: frozenset(),
    Role.PARENT_CARER_FORUM: frozenset({Tier.SYSTEM_LEADER}),
}


class AuditStatus(enum.StrEnum):
    """Workflow state of an audit, kept apart from its grades."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    MODERATED = "moderated"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class JobStatus(enum.StrEnum):
    """Where a background job (``qaframework.jobs``) has got to."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    #: Done, but its file has been deleted after the time results are kept.
    EXPIRED = "expired"

    @property
    def label(self) -> str:
        return JOB_STATUS_LABELS[self]

    @property
    def finished(self) -> bool:
        return self in (JobStatus.DONE, JobStatus.FAILED, JobStatus.EXPIRED)


JOB_STATUS_LABELS: dict[JobStatus, str] = {
    JobStatus.QUEUED: "Waiting to start",
    JobStatus.RUNNING: "In progress",
    JobStatus.DONE: "Ready",
    JobStatus.FAILED: "Failed",
    JobStatus.EXPIRED: "Expired",
}


#: Allowed status moves; anything else is refused by the operations layer.
AUDIT_TRANSITIONS: dict[AuditStatus, frozenset[AuditStatus]] = {
    AuditStatus.DRAFT: frozenset({AuditStatus.SUBMITTED}),
    AuditStatus.SUBMITTED: frozenset({AuditStatus.RETURNED, AuditStatus.MODERATED, AuditStatus.CLOSED}),
    AuditStatus.RETURNED: frozenset({AuditStatus.DRAFT, AuditStatus.SUBMITTED}),
    AuditStatus.MODERATED: frozenset({AuditStatus.CLOSED}),
    #: A closed audit drawn into a moderation sample becomes moderated once the panel agrees its grades.
    AuditStatus.CLOSED: frozenset({AuditStatus.MODERATED}),
}

class PeerChallengeStatus(enum.StrEnum):
    """Where a Tier 1 peer challenge stands; the allowed moves are :data:`PEER_TRANSITIONS`.

    ``requested`` (the reviewer acts) → ``agreed`` or ``challenged``; ``challenged`` (the author
    acts) → ``responded``; ``responded`` → ``agreed`` or ``challenged`` again (the next round).
    ``agreed`` is the only end state.
    """

    REQUESTED = "requested"
    AGREED = "agreed"
    CHALLENGED = "challenged"
    RESPONDED = "responded"

    @property
    def is_open(self) -> bool:
        return self in PEER_OPEN


#: Allowed peer-challenge moves; anything else is refused by the operations layer.
PEER_TRANSITIONS: dict[PeerChallengeStatus, frozenset[PeerChallengeStatus]] = {
    PeerChallengeStatus.REQUESTED: frozenset({PeerChallengeStatus.AGREED, PeerChallengeStatus.CHALLENGED}),
    PeerChallengeStatus.CHALLENGED: frozenset({PeerChallengeStatus.RESPONDED}),
    PeerChallengeStatus.RESPONDED: frozenset({PeerChallengeStatus.AGREED, PeerChallengeStatus.CHALLENGED}),
    PeerChallengeStatus.AGREED: frozenset(),
}

#: Exchanges still going: the reviewer (requested, responded) or the author (challenged) acts next.
PEER_OPEN = frozenset({PeerChallengeStatus.REQUESTED, PeerChallengeStatus.CHALLENGED, PeerChallengeStatus.RESPONDED})
#: Where the reviewer acts: a first review, or the answer to the author's response.
PEER_REVIEWABLE = frozenset({PeerChallengeStatus.REQUESTED, PeerChallengeStatus.RESPONDED})


class SampleKind(enum.StrEnum):
    """What a half-term sample draws: cases (for Tier 3 audits and Tier 4 reviews) or submitted
    Tier 1 and 2 audits (for the panel to moderate)."""

    CASES = "cases"
    AUDITS = "audits"

    @property
    def label(self) -> str:
        return {SampleKind.CASES: "Cases", SampleKind.AUDITS: "Audits for moderation"}[self]


class CommentKind(enum.StrEnum):
    """What a peer-challenge comment is: the reviewer agreeing or challenging, or the author's response."""

    AGREE = "agree"
    CHALLENGE = "challenge"
    RESPONSE = "response"


class ActionStatus(enum.StrEnum):
    """Progress of an action an audit raised; overdue is derived from the due date, not stored."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


#: Actions someone still has to do (the ones that can be overdue).
ACTION_OPEN = frozenset({ActionStatus.OPEN, ActionStatus.IN_PROGRESS})


class ConsentDecision(enum.StrEnum):
    """A family's answer to a Tier 4 conversation; a refusal is recorded too."""

    GIVEN = "given"
    REFUSED = "refused"

    @property
    def label(self) -> str:
        return {ConsentDecision.GIVEN: "Yes", ConsentDecision.REFUSED: "No"}[self]


class ConsentParty(enum.StrEnum):
    """Whose decision a consent record holds (docs/domain-notes.md §6.1).

    The parent or carer decides for a child; from the end of compulsory school age (the last Friday
    in June of Year 11) the young person decides, with their capacity considered. A child's own
    assent is sought at any age: it is recorded, and a "no" is respected, but it is not consent.
    """

    PARENT_CARER = "parent_carer"
    YOUNG_PERSON = "young_person"
    CHILD_ASSENT = "child_assent"

    @property
    def label(self) -> str:
        return CONSENT_PARTY_LABELS[self]


CONSENT_PARTY_LABELS: dict[ConsentParty, str] = {
    ConsentParty.PARENT_CARER: "Parent or carer",
    ConsentParty.YOUNG_PERSON: "The young person (over compulsory school age)",
    ConsentParty.CHILD_ASSENT: "The child's own assent",
}


class ConsentScope(enum.StrEnum):
    """What a family agreed to, each part separately (docs/domain-notes.md §6.1)."""

    CONVERSATION = "conversation"
    NOTES = "notes"
    CASE_STUDY = "case_study"

    @property
    def label(self) -> str:
        return {
            ConsentScope.CONVERSATION: "A conversation with the reviewer",
            ConsentScope.NOTES: "The reviewer keeping notes of the conversation",
            ConsentScope.CASE_STUDY: "An anonymised case study for the board, with quotations",
        }[self]


class Capacity(enum.StrEnum):
    """For a young person's decision: was their capacity to decide considered, and the outcome."""

    HAS_CAPACITY = "has_capacity"
    BEST_INTERESTS = "best_interests"

    @property
    def label(self) -> str:
        return {
            Capacity.HAS_CAPACITY: "Has capacity to decide",
            Capacity.BEST_INTERESTS: "Lacks capacity: best-interests decision (Mental Capacity Act 2005)",
        }[self]


#: Who takes part in a Tier 4 conversation, recorded by role, never by name.
CONVERSATION_ROLES: dict[str, str] = {
    "child": "The child or young person",
    "parent_carer": "Parent or carer",
    "other_family": "Another family member",
    "advocate": "Advocate or independent supporter",
    "interpreter": "Interpreter or communication support",
    "key_worker": "Key worker or school staff who know the child",
}


#: The DfE SEN2 primary-need codes (DS added in the 2025 collection).
PRIMARY_NEEDS: dict[str, str] = {
    "SPLD": "Specific learning difficulty",
    "MLD": "Moderate learning difficulty",
    "SLD": "Severe learning difficulty",
    "PMLD": "Profound and multiple learning difficulty",
    "SEMH": "Social, emotional and mental health",
    "SLCN": "Speech, language and communication needs",
    "HI": "Hearing impairment",
    "VI": "Visual impairment",
    "MSI": "Multi-sensory impairment",
    "PD": "Physical disability",
    "ASD": "Autistic spectrum disorder",
    "OTH": "Other difficulty or disability",
    "NSA": "SEN support but no specialist assessment of type of need",
    "DS": "Down syndrome",
}
#: NSA is a school census code for SEN support; SEN2 has no such EHC plan need (domain review §5.9).
SEN_SUPPORT_ONLY_NEEDS = frozenset({"NSA"})
#: The needs an EHC plan may record (SEN2 SENtype).
EHC_PLAN_NEEDS: dict[str, str] = {
    code: label for code, label in PRIMARY_NEEDS.items() if code not in SEN_SUPPORT_ONLY_NEEDS
}


#: The setting types an area starts with; an area's own appear once a case records them. Forms and
#: the import check against this list so a typo does not quietly make a new setting type.
DEFAULT_SETTING_TYPES: tuple[str, ...] = (
    "Early years setting",
    "Mainstream school",
    "Resourced provision",
    "Special school",
    "Independent special school",
    "Alternative provision",
    "Further education college",
    "Specialist post-16 institution",
    "Education otherwise than at school",
    "Elective home education",
    "Out of area placement",
    "Not in education, employment or training",
)


class RequestOutcome(enum.StrEnum):
    """Where a request for an EHC needs assessment ended up (SEN2 request and assessment outcomes)."""

    IN_PROGRESS = "in_progress"
    ISSUED = "issued"
    REFUSED_TO_ASSESS = "refused_to_assess"
    REFUSED_TO_ISSUE = "refused_to_issue"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Breach(enum.StrEnum):
    """A kind of statutory-compliance breach, reported beside (not inside) the quality grade.

    A checklist question carries ``breach: <code>`` when a Not met on it is a breach of that kind;
    ``issued_late``, ``review_lapsed`` and ``advice_late`` are also read from the case's clock.
    """

    VIEWS_MISSING = "views_missing"
    ADVICE_MISSING = "advice_missing"
    NEEDS_NOT_SPECIFIED = "needs_not_specified"
    PROVISION_NOT_SPECIFIED = "provision_not_specified"
    PFA_MISSING = "pfa_missing"
    SETTING_NAMED_AT_DRAFT = "setting_named_at_draft"
    PLACEMENT_NOT_NAMED = "placement_not_named"
    DECISION_NOTICE_DEFECTIVE = "decision_notice_defective"
    REVIEW_PROCESS_BREACH = "review_process_breach"
    ISSUED_LATE = "issued_late"
    REVIEW_LAPSED = "review_lapsed"
    ADVICE_LATE = "advice_late"

    @property
    def label(self) -> str:
        return BREACH_LABELS[self][0]

    @property
    def reference(self) -> str:
        """Where the duty comes from, as a reader would cite it."""
        return BREACH_LABELS[self][1]


#: (plain-English label, legal reference) per breach kind.
BREACH_LABELS: dict[Breach, tuple[str, str]] = {
    Breach.VIEWS_MISSING: ("The child's or family's views are missing", "SEND Regs 2014 reg 12(1)(a); CFA 2014 s19"),
    Breach.ADVICE_MISSING: ("Statutory advice is missing", "SEND Regs 2014 reg 6, reg 12(1)(k)"),
    Breach.NEEDS_NOT_SPECIFIED: ("Needs are not specified", "SEND Regs 2014 reg 12(1)(b)-(d)"),
    Breach.PROVISION_NOT_SPECIFIED: (
        "Provision is not specified",
        "SEND Regs 2014 reg 12(1)(f)-(h); CFA 2014 s42",
    ),
    Breach.PFA_MISSING: ("Preparing for adulthood provision is missing (Year 9 onwards)", "SEND Regs 2014 reg 12(3)"),
    Breach.SETTING_NAMED_AT_DRAFT: ("A setting was named in the draft plan", "CFA 2014 s38(5)"),
    Breach.PLACEMENT_NOT_NAMED: ("The final plan does not name the placement", "SEND Regs 2014 reg 12(1)(i)"),
    Breach.DECISION_NOTICE_DEFECTIVE: (
        "The decision notice is defective",
        "SEND Regs 2014 reg 5(3), reg 10",
    ),
    Breach.REVIEW_PROCESS_BREACH: ("The annual review process was not followed", "SEND Regs 2014 regs 18, 20-22"),
    Breach.ISSUED_LATE: ("The final plan was issued after 20 weeks", "SEND Regs 2014 reg 13(2)"),
    Breach.REVIEW_LAPSED: ("The plan was not reviewed within 12 months", "CFA 2014 s44"),
    Breach.ADVICE_LATE: ("Advice was given after 6 weeks", "SEND Regs 2014 reg 8"),
}


class TimelinessException(enum.StrEnum):
    """The exceptions to the 20-week limit in SEND Regulations 2014, reg 13(3) / 10(4)."""

    SCHOOL_CLOSURE = "school_closure"
    EARLY_YEARS_CLOSURE = "early_years_closure"
    EXCEPTIONAL_PERSONAL_CIRCUMSTANCES = "exceptional_personal_circumstances"
    ABSENT_FROM_AREA = "absent_from_area"
    #: SEN2 records only that an exception applied, not which one.
    UNSPECIFIED = "unspecified"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


def phase_for_year_group(year_group: str | None) -> str | None:
    """Education phase from an English year group (N1, N2, R, 1..14, "Year 9"), for filters and sampling."""
    if not year_group:
        return None
    yg = re.sub(r"^(YEAR|YR|Y)\s*", "", year_group.strip().upper())
    if yg in {"N1", "N2", "NURSERY"}:
        return "early_years"
    if yg in {"R", "RECEPTION"}:
        return "primary"
    if not (yg.isascii() and yg.isdigit()):
        return None
    number = int(yg)
    if number <= 6:
        return "primary"
    if number <= 11:
        return "secondary"
    return "post_16"


PHASES: dict[str, str] = {
    "early_years": "Early years",
    "primary": "Primary",
    "secondary": "Secondary",
    "post_16": "Post-16",
}


@dataclass(frozen=True)
class Cycle:
    """One academic-year half term, the unit of sampling, moderation and trend reporting."""

    academic_year: str  # "2024-25"
    half_term: str  # "Autumn 1" .. "Summer 2"
    start: date
    end: date

    @property
    def label(self) -> str:
        return f"{self.academic_year} {self.half_term}"

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


HALF_TERMS: tuple[str, ...] = ("Autumn 1", "Autumn 2", "Spring 1", "Spring 2", "Summer 1", "Summer 2")


def default_cycles(academic_year_start: int) -> list[Cycle]:
    """Typical English half terms for the academic year starting in September of the given year.

    Areas replace these with their own term dates (stored as configuration); the defaults make
    the calendar contiguous so every date falls in exactly one cycle.
    """
    y = academic_year_start
    label = f"{y}-{str(y + 1)[-2:]}"
    bounds = [
        (date(y, 9, 1), date(y, 10, 31)),
        (date(y, 11, 1), date(y, 12, 31)),
        (date(y + 1, 1, 1), date(y + 1, 2, 20)),
        (date(y + 1, 2, 21), date(y + 1, 4, 10)),
        (date(y + 1, 4, 11), date(y + 1, 5, 31)),
        (date(y + 1, 6, 1), date(y + 1, 8, 31)),
    ]
    return [Cycle(label, ht, s, e) for ht, (s, e) in zip(HALF_TERMS, bounds, strict=True)]


def cycle_for(day: date, cycles: list[Cycle] | None = None) -> Cycle:
    """The half term a date falls in, from the given term dates or the defaults."""
    for cycle in cycles or []:
        if cycle.contains(day):
            return cycle
    start_year = day.year if day.month >= 9 else day.year - 1
    for cycle in default_cycles(start_year):
        if cycle.contains(day):
            return cycle
    raise ValueError(f"no cycle contains {day}")  # unreachable: default cycles are contiguous


class ExemplarStatus(enum.StrEnum):
    """Where a "what good looks like" nomination stands: a panel lead approves or rejects it."""

    NOMINATED = "nominated"
    APPROVED = "approved"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return {"nominated": "Waiting for a panel lead", "approved": "Approved", "rejected": "Not approved"}[self.value]
