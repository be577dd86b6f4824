"""The audit workflow: start, save responses (optimistically locked), submit, return."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.orm.interfaces import ORMOption

from qaframework import limits
from qaframework.checklists.model import Template
from qaframework.consent import (
    ConsentState,
    consent_state,
    conversation_gaps,
    conversation_ids,
    conversation_questions,
    decision_recorded,
)
from qaframework.contributions import contribution_field, missing_contributions
from qaframework.framework import AUDIT_TRANSITIONS, AuditStatus, Rating, RequestOutcome, Role, Subject
from qaframework.operations.assignments import assigned_case_ids
from qaframework.operations.base import (
    FieldError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    StaleEdit,
    WorkflowError,
    operation,
    record,
    require,
)
from qaframework.operations.blinding import refuse_if_blind
from qaframework.operations.settings import current_cycle
from qaframework.permissions import (
    can_edit_audit,
    can_return_audit,
    can_use_template,
    can_view_audit,
    is_author,
    is_panel_audit,
    is_participant,
    role_of,
)
from qaframework.scoring import Answer, MissingItem, allows_exemplary, completeness, suggest_grades
from qaframework.store import (
    Agency,
    Audit,
    AuditParticipant,
    Case,
    ConsentRecord,
    Request,
    Response,
    SectionGrade,
    TemplateVersion,
    TrailEntry,
    User,
    utcnow,
)

MAX_TEXT = limits.EVIDENCE


@dataclass(frozen=True)
class ResponseInput:
    """One question's answer as submitted by a form or a script."""

    rating: str | None
    evidence: str = ""
    na_reason: str = ""

    @classmethod
    def from_answer(cls, answer: Answer | None) -> ResponseInput:
        """A stored answer in input form, so stored and typed answers compare like for like."""
        if answer is None:
            return cls(None)
        return cls(answer.rating.value if answer.rating else None, answer.evidence, answer.na_reason)

    def normalised(self) -> tuple[str | None, str, str]:
        """(rating, evidence, N/A reason) exactly as a save stores them: blank rating is None, text
        trimmed, and an N/A reason kept only with Not applicable. Two answers differ only if these do."""
        rating = self.rating or None
        return rating, self.evidence.strip(), self.na_reason.strip() if rating == Rating.NOT_APPLICABLE else ""


@dataclass(frozen=True)
class Judgement:
    """The overall judgement as submitted: ``auditor_grade`` None means "use the suggested grade"."""

    auditor_grade: str | None = None
    override_rationale: str = ""
    summary: str = ""
    exemplary_sections: tuple[str, ...] = ()

    @classmethod
    def of(cls, audit: Audit) -> Judgement:
        """The judgement an audit holds now."""
        return cls(
            audit.auditor_grade,
            audit.override_rationale or "",
            audit.summary or "",
            tuple(audit.exemplary_sections or ()),
        )

    def normalised(self) -> dict[str, object]:
        """The judgement fields exactly as a save stores them (and the trail records them)."""
        return {
            "exemplary_sections": sorted(set(self.exemplary_sections)),
            "auditor_grade": self.auditor_grade or None,
            "override_rationale": self.override_rationale.strip() or None,
            "summary": self.summary.strip() or None,
        }


#: What every audit page and save needs, fetched up front instead of one lazy query at a time.
_AUDIT_PAGE_LOAD = (joinedload(Audit.case), selectinload(Audit.responses), selectinload(Audit.section_grades))


class IncompleteAudit(WorkflowError):
    """Submit refused: ``missing`` lists each unanswered or unexplained question."""

    def __init__(self, missing: list[MissingItem]) -> None:
        super().__init__(f"{len(missing)} question(s) need attention before you can submit")
        self.missing = missing


def get_audit(
    session: Session, actor: User, audit_id: int, load: Sequence[ORMOption] = _AUDIT_PAGE_LOAD
) -> Audit:
    """The audit, if ``actor`` may see it; ``load`` says which relationships to fetch with it."""
    audit = session.get(Audit, audit_id, options=load)
    if audit is None:
        raise NotFound(f"There is no audit {audit_id}")
    if not can_view_audit(actor, audit, assigned_case_ids(session, actor)):
        raise PermissionDenied("You can only see audits for your own agency, or of the cases assigned to you.")
    refuse_if_blind(session, actor, audit)
    return audit


def move_to(audit: Audit, status: AuditStatus) -> None:
    """Change an audit's workflow status, only along the moves ``AUDIT_TRANSITIONS`` allows."""
    current = AuditStatus(audit.status)
    if status not in AUDIT_TRANSITIONS[current]:
        raise WorkflowError(f"An audit that is {current.value} cannot become {status.value}.")
    audit.status = status.value


def answers_of(audit: Audit) -> dict[str, Answer]:
    return {
        r.question_id: Answer(Rating(r.rating) if r.rating else None, r.evidence, r.na_reason) for r in audit.responses
    }


def missing_items(audit: Audit, answers: Mapping[str, Answer] | None = None) -> list[MissingItem]:
    """What still stops submission; pass ``answers_of(audit)`` if already built (a page keeps it).

    A Tier 4 review whose family agreed to the conversation answers the conversation questions on
    the conversation page (a family-experience rating each), so those are checked there instead.
    """
    found = completeness(audit.template, answers_of(audit) if answers is None else answers)
    questions = conversation_questions(audit.template)
    if not questions or not review_consent(audit).conversation:
        return found
    ids = conversation_ids(audit.template)
    section_id = audit.template.section_of(questions[0].id).id
    conversation = audit.conversation
    gaps = conversation_gaps(
        questions,
        conversation.held_on if conversation else None,
        conversation.participants if conversation else [],
        conversation.ratings if conversation else {},
    )
    sections = {q.id: audit.template.section_of(q.id).id for q in questions}
    return [m for m in found if m.question_id not in ids] + [
        MissingItem(g.question_id, sections.get(g.question_id, section_id), g.problem) for g in gaps
    ]


def review_consent(audit: Audit, today: date | None = None) -> ConsentState:
    """What the review's consent records allow today (docs/domain-notes.md §6.1)."""
    return consent_state(audit.consents, today or date.today())


def unattached_consents(session: Session, case_id: int) -> list[ConsentRecord]:
    """Decisions recorded on the case page for the next Tier 4 review of this case."""
    return list(
        session.scalars(
            select(ConsentRecord)
            .where(ConsentRecord.case_id == case_id, ConsentRecord.audit_id.is_(None))
            .order_by(ConsentRecord.id)
        )
    )


def has_consent(session: Session, case_id: int) -> bool:
    """A Tier 4 review can start once the family's decision (given or refused) is on record for it."""
    return decision_recorded(unattached_consents(session, case_id))


def apply_consent(session: Session, audit: Audit, today: date | None = None) -> ConsentState | None:
    """Keep a Tier 4 review's conversation questions in step with its consent.

    Without a "yes" that allows the conversation today, each conversation question is answered
    "not applicable" with the reason (a paper review); with one, they are answered on the
    conversation page, so the checklist holds no answer for them. Returns the consent state, or
    None for a checklist with no conversation.
    """
    questions = conversation_questions(audit.template)
    if not questions:
        return None
    session.flush()
    session.expire(audit, ["consents"])
    state = review_consent(audit, today)
    existing = {r.question_id: r for r in audit.responses}
    changed = False
    for question in questions:
        row = existing.get(question.id)
        if state.conversation:
            if row is not None:
                audit.responses.remove(row)
                changed = True
            continue
        wanted = (Rating.NOT_APPLICABLE.value, "", state.paper_review_reason)
        if row is None:
            row = Response(question_id=question.id, section_id=audit.template.section_of(question.id).id)
            audit.responses.append(row)
        if (row.rating, row.evidence, row.na_reason) != wanted:
            row.rating, row.evidence, row.na_reason = wanted
            row.updated_at = utcnow()
            changed = True
    if changed:
        audit.updated_at = utcnow()
        session.flush()
    return state


#: A decision not to assess or not to issue can be audited only on a request that ended that way.
REFUSED_OUTCOMES = frozenset({RequestOutcome.REFUSED_TO_ASSESS.value, RequestOutcome.REFUSED_TO_ISSUE.value})


def refused_request(case: Case) -> Request | None:
    """The case's latest request refused to assess or to issue: what a refusal audit looks at."""
    refused = [r for r in case.requests if r.outcome in REFUSED_OUTCOMES]
    return refused[-1] if refused else None


def subject_problem(case: Case, subject: str) -> str | None:
    """Why ``subject`` cannot be audited on this case, in words for the person starting the audit."""
    if subject == Subject.REFUSAL_DECISION and refused_request(case) is None:
        return (
            f"Case {case.case_ref} has no request that was refused to assess or to issue, so there is no "
            "refusal decision to audit. Choose what else you are auditing"
        )
    return None


@operation
def start_audit(
    session: Session,
    actor: User,
    *,
    case_id: int,
    template_version_id: int,
    subject: str,
    request_id: int | None = None,
    today: date | None = None,
) -> Audit:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"There is no case {case_id}")
    tv = session.get(TemplateVersion, template_version_id)
    if tv is None:
        raise NotFound(f"There is no checklist {template_version_id}")
    if tv.retired:
        raise WorkflowError(f"{tv.title} version {tv.version} is retired; choose the current version")
    template = tv.template
    require(can_use_template(actor, template), f"Your role and agency cannot use the checklist “{tv.title}”.")
    if subject not in {s.value for s in template.subjects}:
        allowed = ", ".join(Subject(s).label.lower() for s in template.subjects)
        raise InvalidInput([FieldError("subject", f"“{tv.title}” is for: {allowed}")])
    if request_id is not None:
        request = session.get(Request, request_id)
        if request is None or request.case_id != case.id:
            raise InvalidInput([FieldError("request", "That request does not belong to this case")])
        if subject == Subject.REFUSAL_DECISION and request.outcome not in REFUSED_OUTCOMES:
            message = "Only a request that was refused to assess or to issue has a refusal decision to audit"
            raise InvalidInput([FieldError("request", message)])
    elif subject == Subject.REFUSAL_DECISION:
        refused = refused_request(case)
        if refused is None:
            raise InvalidInput([FieldError("subject", subject_problem(case, subject) or "")])
        request_id = refused.id
    elif case.requests:
        request_id = case.requests[-1].id
    if template.requires_consent and not has_consent(session, case.id):
        raise WorkflowError("Record the family's consent decision before starting this review")
    audit = Audit(
        case_id=case.id,
        request_id=request_id,
        template_version_id=tv.id,
        subject=subject,
        tier=tv.tier,
        agency_code=actor.agency_code if role_of(actor) is Role.AUDITOR else None,
        auditor_id=actor.id,
        status=AuditStatus.DRAFT.value,
        cycle=current_cycle(session, today or date.today()).label,
        exemplary_sections=[],
    )
    if is_panel_audit(audit):  # whoever starts a panel audit is at the panel
        audit.participants.append(
            AuditParticipant(user_id=actor.id, agency_code=actor.agency_code, added_by_id=actor.id)
        )
    session.add(audit)
    session.flush()
    if template.requires_consent:
        for consent in unattached_consents(session, case.id):
            consent.audit_id = audit.id  # consent is per review: a second review asks again
        apply_consent(session, audit, today)
    record(
        session,
        actor,
        "audit.start",
        "audit",
        audit.id,
        after={
            "case_ref": case.case_ref,
            "template": tv.key,
            "subject": subject,
            "cycle": audit.cycle,
        },
    )
    return audit


def _validate_responses(audit: Audit, responses: Mapping[str, ResponseInput]) -> list[FieldError]:
    template = audit.template
    known = {q.id: q for q in template.questions()}
    errors: list[FieldError] = []
    for question_id, given in responses.items():
        question = known.get(question_id)
        if question is None:
            errors.append(FieldError(question_id, f"{question_id} is not a question in {template.title}"))
            continue
        if given.rating is not None and given.rating not in {r.value for r in Rating}:
            errors.append(FieldError(question_id, f"{given.rating!r} is not a rating"))
        elif given.rating == Rating.NOT_APPLICABLE and not question.not_applicable.allowed:
            errors.append(FieldError(question_id, f"{question_id} cannot be answered “Not applicable”"))
        for name, text, limit in (("evidence", given.evidence, limits.EVIDENCE),
                                  ("na_reason", given.na_reason, limits.NOT_APPLICABLE_REASON)):
            if limits.too_long(text, limit):
                message = limits.keep_within(name.replace("_", " "), limit)
                errors.append(FieldError(f"{question_id}-{name}", message))
    return errors


def _conversation_refusals(session: Session, audit: Audit, responses: Mapping[str, ResponseInput]) -> list[FieldError]:
    """A Tier 4 review's conversation questions are never answered on the checklist: without the
    family's "yes" they stay not applicable (paper review); with it they are answered on the
    conversation page, as a family-experience rating. Refused on the server whatever is posted."""
    state = apply_consent(session, audit)
    if state is None:
        return []
    ids = conversation_ids(audit.template)
    stored = {r.question_id: (r.rating, r.evidence, r.na_reason) for r in audit.responses}
    errors = []
    for question_id, given in responses.items():
        if question_id not in ids or given.normalised() == stored.get(question_id, (None, "", "")):
            continue
        if state.conversation:
            message = (f"{question_id} is answered on the conversation page, in the family's own words with a "
                       "family-experience rating")
        else:
            message = (f"{question_id} is not applicable because there is no conversation: {state.reason} "
                       "Record the family's consent on the case page to hold one")
        errors.append(FieldError(question_id, message))
    return errors


def _check_version(session: Session, audit: Audit, expected_version: int) -> None:
    if audit.version_id != expected_version:
        editors = session.scalars(
            select(User.display_name)
            .join(TrailEntry, TrailEntry.actor_id == User.id)
            .where(TrailEntry.entity == "audit", TrailEntry.entity_id == str(audit.id))
            .order_by(TrailEntry.id.desc())
            .limit(5)
        )
        raise StaleEdit("audit", audit.id, expected_version, audit.version_id, list(dict.fromkeys(editors)))


def regrade(audit: Audit) -> None:
    """Recompute the suggested section and overall grades from the stored responses."""
    template = audit.template
    suggestion = suggest_grades(template, answers_of(audit), audit.exemplary_sections or [])
    by_section = {sg.section_id: sg for sg in audit.section_grades}
    for section in template.sections:
        grade = suggestion.sections.get(section.id)
        row = by_section.get(section.id)
        if row is None:
            audit.section_grades.append(
                SectionGrade(section_id=section.id, plan_sections=list(section.plan_sections), suggested_grade=grade)
            )
        else:
            row.suggested_grade = grade
    audit.suggested_grade = suggestion.overall


def _open_for_edit(session: Session, actor: User, audit_id: int, expected_version: int) -> Audit:
    """The audit, if ``actor`` may change it now and nobody saved since ``expected_version``."""
    audit = get_audit(session, actor, audit_id)
    if not can_edit_audit(actor, audit):
        if not (is_author(actor, audit) or is_participant(actor, audit)):
            raise PermissionDenied(_only_editors(audit, "change"))
        raise WorkflowError(f"This audit is {audit.status} and can no longer be changed.")
    _check_version(session, audit, expected_version)
    return audit


def _only_editors(audit: Audit, verb: str) -> str:
    """Who may change or submit this audit, for the refusal message."""
    if is_panel_audit(audit):
        return f"Only the members recorded as present at the panel can {verb} this panel audit."
    return f"Only the auditor who started this audit can {verb} it."


def _apply_and_record(
    session: Session, actor: User, audit: Audit, before: dict[str, object], after: dict[str, object]
) -> Audit:
    """Finish a save: regrade, reopen a returned audit that changed, bump the version, record what changed."""
    regrade(audit)
    if audit.status == AuditStatus.RETURNED and after:
        move_to(audit, AuditStatus.DRAFT)
    audit.updated_at = utcnow()  # always bumps version_id, so a concurrent save is detected
    session.flush()
    if after:
        after["version"] = audit.version_id
        record(session, actor, "audit.save", "audit", audit.id, before, after)
    return audit


@operation
def save_answers(
    session: Session, actor: User, audit_id: int, expected_version: int, responses: Mapping[str, ResponseInput]
) -> Audit:
    """Save some or all answers as a draft. Refused if the audit changed since it was opened."""
    audit = _open_for_edit(session, actor, audit_id, expected_version)
    errors = _validate_responses(audit, responses) + _conversation_refusals(session, audit, responses)
    if errors:
        raise InvalidInput(errors)
    template = audit.template
    existing = {r.question_id: r for r in audit.responses}
    before: dict[str, object] = {}
    after: dict[str, object] = {}
    now = utcnow()
    for question_id, given in responses.items():
        row = existing.get(question_id)
        old = (row.rating, row.evidence, row.na_reason) if row else (None, "", "")
        new = given.normalised()
        if old == new:
            continue
        if row is None:
            row = Response(question_id=question_id, section_id=template.section_of(question_id).id)
            audit.responses.append(row)
        row.rating, row.evidence, row.na_reason = new
        row.updated_at = now
        before[question_id] = dict(zip(("rating", "evidence", "na_reason"), old, strict=True))
        after[question_id] = dict(zip(("rating", "evidence", "na_reason"), new, strict=True))
    return _apply_and_record(session, actor, audit, before, after)


@operation
def save_judgement(session: Session, actor: User, audit_id: int, expected_version: int, judgement: Judgement) -> Audit:
    """Save the overall judgement: the auditor's grade and its reasons, the summary, exemplary sections.

    A grade that needs reasons (:func:`judgement_problem`) is refused here, at save, so the auditor
    hears about it straight away rather than at submit.
    """
    audit = _open_for_edit(session, actor, audit_id, expected_version)
    template = audit.template
    errors: list[FieldError] = []
    exemplary = set(judgement.exemplary_sections)
    unknown = exemplary - {s.id for s in template.sections}
    if unknown:
        errors.append(FieldError("exemplary", f"Unknown section(s): {', '.join(sorted(unknown))}"))
    elif exemplary and not allows_exemplary(template):
        errors.append(FieldError("exemplary", f"{template.title} has no exemplary grade"))
    if judgement.auditor_grade and judgement.auditor_grade not in template.scale.codes:
        errors.append(FieldError("auditor_grade", "Choose a grade from the list"))
    for name, what, text, limit in (
        ("override_rationale", "the reasons", judgement.override_rationale, limits.OVERRIDE_RATIONALE),
        ("summary", "the summary", judgement.summary, limits.SUMMARY),
    ):
        if limits.too_long(text, limit):
            errors.append(FieldError(name, limits.keep_within(what, limit)))
    if errors:
        raise InvalidInput(errors)
    old, new = Judgement.of(audit).normalised(), judgement.normalised()
    audit.exemplary_sections = sorted(set(judgement.exemplary_sections))
    audit.auditor_grade, audit.override_rationale, audit.summary = (
        judgement.auditor_grade or None,
        judgement.override_rationale.strip() or None,
        judgement.summary.strip() or None,
    )
    regrade(audit)  # the suggestion the grade is compared with includes the exemplary sections just chosen
    problem = override_problem(audit)
    if problem:
        raise InvalidInput([FieldError("override_rationale", problem)])
    changed = [key for key in new if old[key] != new[key]]
    return _apply_and_record(session, actor, audit, {k: old[k] for k in changed}, {k: new[k] for k in changed})


def panel_problems(session: Session, audit: Audit) -> list[FieldError]:
    """What stops a panel audit being submitted: a member present whose agency is not recorded, and
    an active agency whose contribution is neither graded nor marked not involved with a reason."""
    problems = [
        FieldError(f"participant-{p.user_id}", f"Record which agency {p.user.display_name} represents at the panel")
        for p in audit.participants
        if p.agency_code is None
    ]
    agencies = session.execute(select(Agency.code, Agency.name).where(Agency.active).order_by(Agency.name)).all()
    stored = {c.agency_code: (c.grade, c.involved, c.note) for c in audit.contributions}
    problems += [
        FieldError(contribution_field(code, part), message)
        for code, part, message in missing_contributions(stored, [(row[0], row[1]) for row in agencies])
    ]
    return problems


def judgement_problem(
    template: Template, auditor_grade: str | None, suggested_grade: str | None, rationale: str | None
) -> str | None:
    """A grade needs its reasons: why it differs from the suggestion, or (Tier 4, where there is no
    suggestion) how the reviewer reached the judgement, which is the narrative the board reads."""
    if not auditor_grade or (rationale or "").strip():
        return None
    if template.grading.mode == "judgement":
        return "Explain how you reached this judgement"
    if auditor_grade != suggested_grade:
        return "Explain why your overall grade differs from the suggested grade"
    return None


def override_problem(audit: Audit) -> str | None:
    return judgement_problem(audit.template, audit.auditor_grade, audit.suggested_grade, audit.override_rationale)


@operation
def submit_audit(session: Session, actor: User, audit_id: int, expected_version: int) -> Audit:
    """Submit a complete audit. Incomplete ones are refused with every missing item listed."""
    audit = get_audit(session, actor, audit_id)
    if not (is_author(actor, audit) or is_participant(actor, audit)):
        raise PermissionDenied(_only_editors(audit, "submit"))
    if not can_edit_audit(actor, audit):
        raise WorkflowError(f"This audit is {audit.status} and cannot be submitted again.")
    _check_version(session, audit, expected_version)
    apply_consent(session, audit)  # a consent that expired since the last save makes a paper review
    missing = missing_items(audit)
    if missing:
        raise IncompleteAudit(missing)
    problem = override_problem(audit)
    if problem:
        raise InvalidInput([FieldError("override_rationale", problem)])
    if audit.template.grading.mode == "judgement" and not audit.auditor_grade:
        raise InvalidInput([FieldError("auditor_grade", "Choose an overall judgement before you submit")])
    if is_panel_audit(audit):
        problems = panel_problems(session, audit)
        if problems:
            raise InvalidInput(problems)
    before = {"status": audit.status}
    move_to(audit, AuditStatus.SUBMITTED)
    audit.submitted_at = audit.updated_at = utcnow()
    session.flush()
    record(
        session,
        actor,
        "audit.submit",
        "audit",
        audit.id,
        before,
        {
            "status": audit.status,
            "suggested_grade": audit.suggested_grade,
            "auditor_grade": audit.auditor_grade,
            "version": audit.version_id,
        },
    )
    return audit


@operation
def return_audit(session: Session, actor: User, audit_id: int, comment: str) -> Audit:
    """A panel member sends a submitted audit back to its author with comments."""
    audit = get_audit(session, actor, audit_id)
    if not can_return_audit(actor, audit):
        raise PermissionDenied("Only a panel member can return a submitted audit.")
    if not comment.strip():
        raise InvalidInput([FieldError("comment", "Explain what the auditor needs to change")])
    if limits.too_long(comment.strip(), limits.RETURN_COMMENT):
        raise InvalidInput([FieldError("comment", limits.keep_within("your comments", limits.RETURN_COMMENT))])
    before = {"status": audit.status, "return_comment": audit.return_comment}
    move_to(audit, AuditStatus.RETURNED)
    audit.return_comment = comment.strip()
    audit.updated_at = utcnow()
    session.flush()
    record(
        session,
        actor,
        "audit.return",
        "audit",
        audit.id,
        before,
        {
            "status": audit.status,
            "return_comment": audit.return_comment,
            "version": audit.version_id,
        },
    )
    return audit
