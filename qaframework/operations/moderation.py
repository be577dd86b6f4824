"""Blind moderation (the REDCap double-data-entry model) of sampled Tier 1 and 2 audits.

A panel member re-grades a sampled audit question by question, per section and overall, without
seeing the auditor's work (``operations.blinding`` withholds it everywhere else). Once their own
grades are saved they see both side by side, and the panel records the agreed (moderated) grade per
section and overall, with a reason wherever it differs from the original. The original grades never
change; the agreed ones sit beside them (``section_grades.moderated_grade``, ``audits.moderated_grade``)
and the audit becomes *moderated*. Several moderators may re-grade one audit; agreement is shown per
pair of raters (the auditor counts as one) and with the agreed grade.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import combinations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from qaframework import limits
from qaframework.checklists.model import Template
from qaframework.framework import AuditStatus, Rating
from qaframework.operations.audits import _check_version, move_to
from qaframework.operations.base import (
    FieldError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    WorkflowError,
    operation,
    record,
)
from qaframework.operations.blinding import has_own_regrade, is_sampled
from qaframework.permissions import (
    MODERATING_ROLES,
    can_agree_grades,
    can_regrade,
    can_view_audit,
    role_of,
)
from qaframework.store import (
    Audit,
    ModerationRating,
    ModerationRecord,
    ModerationSectionGrade,
    Response,
    User,
    utcnow,
)

__all__ = [
    "AgreedGrades",
    "BlindRegrade",
    "Comparison",
    "ModerationState",
    "comparison",
    "moderation_state",
    "record_agreement",
    "save_blind_regrade",
]

_REFUSED = "Only multi-agency panel members moderate audits."


@dataclass(frozen=True)
class ModerationState:
    """What the moderation page of one audit may show this user, decided in the library."""

    audit: Audit
    sampled: bool
    own_saved: bool
    can_regrade: bool
    can_agree: bool

    @property
    def blind(self) -> bool:
        """The blind form, and nothing of the original, is what this user gets."""
        return not self.own_saved and self.can_regrade


@dataclass(frozen=True)
class BlindRegrade:
    """A moderator's blind grades as a form submits them (codes; blank means not given)."""

    ratings: Mapping[str, str]
    sections: Mapping[str, str]
    overall: str


@dataclass(frozen=True)
class AgreedGrades:
    """The panel's agreed grades: per section (grade, reason) and overall, with the audit version read."""

    sections: Mapping[str, tuple[str, str]]
    overall: str
    reason: str
    expected_version: int


def _load(session: Session, actor: User, audit_id: int) -> Audit:
    """The audit without its responses (the blind page must not even load them)."""
    if role_of(actor) not in MODERATING_ROLES or not actor.active:
        raise PermissionDenied(_REFUSED)
    audit = session.get(Audit, audit_id)
    if audit is None:
        raise NotFound(f"There is no audit {audit_id}")
    if not can_view_audit(actor, audit):
        raise PermissionDenied("You cannot see this audit.")
    return audit


def moderation_state(session: Session, actor: User, audit_id: int) -> ModerationState:
    """Where this panel member stands on this audit; refuses an audit they can neither re-grade nor agree."""
    audit = _load(session, actor, audit_id)
    sampled = is_sampled(session, audit.id)
    own = has_own_regrade(session, actor.id, audit.id)
    state = ModerationState(
        audit, sampled, own, can_regrade(actor, audit, sampled=sampled),
        can_agree_grades(actor, audit, own_regrade_saved=own),
    )
    if not (state.can_regrade or own):
        if audit.auditor_id == actor.id:
            raise PermissionDenied("You cannot moderate an audit you carried out yourself.")
        if not sampled:
            raise PermissionDenied(
                "This audit is not in a moderation sample for any cycle. Draw a sample of audits first: "
                "only sampled audits are moderated blind."
            )
        if audit.moderated_grade is not None:
            raise PermissionDenied(
                "The panel has already agreed grades for this audit, so it can no longer be re-graded blind."
            )
        raise PermissionDenied(
            f"This audit is {audit.status}: only submitted Tier 1 checks and Tier 2 audits are moderated."
        )
    return state


def _problems(template: Template, regrade: BlindRegrade) -> list[FieldError]:
    errors: list[FieldError] = []
    codes = template.scale.codes
    for section in template.sections:
        for question in section.questions:
            given = regrade.ratings.get(question.id, "")
            allowed = [r.value for r in Rating if r is not Rating.NOT_APPLICABLE or question.not_applicable.allowed]
            if not given:
                errors.append(FieldError(f"rating-{question.id}", f"Rate question {question.id}"))
            elif given not in allowed:
                errors.append(
                    FieldError(f"rating-{question.id}", f"Choose one of the ratings for question {question.id}")
                )
        given = regrade.sections.get(section.id, "")
        if given not in codes:
            errors.append(FieldError(f"section-{section.id}", f"Choose a grade for {section.title}"))
    if regrade.overall not in codes:
        errors.append(FieldError("overall", "Choose an overall grade"))
    return errors


def original_grade(audit: Audit) -> str | None:
    """The grade the auditor reported: their own where they overrode the suggestion, else the suggestion."""
    return audit.auditor_grade or audit.suggested_grade


@operation
def save_blind_regrade(session: Session, actor: User, audit_id: int, regrade: BlindRegrade) -> ModerationRecord:
    """Save a moderator's blind grades, whole (every question, section and the overall grade)."""
    state = moderation_state(session, actor, audit_id)
    audit = state.audit
    if state.own_saved:
        raise WorkflowError("You have already saved your grades for this audit.")
    if not state.can_regrade:
        raise WorkflowError("This audit can no longer be re-graded.")
    template = audit.template
    errors = _problems(template, regrade)
    if errors:
        raise InvalidInput(errors)
    moderation = ModerationRecord(
        audit_id=audit.id,
        moderator_id=actor.id,
        blind_grade=regrade.overall,
        original_grade=original_grade(audit),
        section_grades={},
        created_at=utcnow(),
    )
    for section in template.sections:
        moderation.sections.append(
            ModerationSectionGrade(section_id=section.id, blind_grade=regrade.sections[section.id])
        )
        moderation.ratings.extend(
            ModerationRating(question_id=q.id, section_id=section.id, rating=regrade.ratings[q.id])
            for q in section.questions
        )
    session.add(moderation)
    session.flush()
    record(
        session, actor, "moderation.blind_regrade", "audit", audit.id,
        after={
            "moderation_record": moderation.id,
            "blind_grade": regrade.overall,
            "sections": {s.id: regrade.sections[s.id] for s in template.sections},
            "ratings": {q.id: regrade.ratings[q.id] for q in template.questions()},
        },
    )
    return moderation


# --- side by side -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Rater:
    """The auditor or one moderator, as a column of the comparison."""

    key: str
    name: str
    is_auditor: bool = False


@dataclass
class QuestionRow:
    question_id: str
    text: str
    ratings: dict[str, str | None]

    @property
    def differs(self) -> bool:
        return len(set(self.ratings.values())) > 1


@dataclass
class SectionRow:
    section_id: str
    title: str
    grades: dict[str, str | None]
    agreed: str | None
    reason: str | None
    questions: list[QuestionRow] = field(default_factory=list)

    @property
    def original(self) -> str | None:
        return self.grades.get("auditor")

    @property
    def differs(self) -> bool:
        return len(set(self.grades.values())) > 1


@dataclass(frozen=True)
class PairAgreement:
    """How far two raters agree on one audit: questions rated the same, and the overall grade."""

    first: Rater
    second: Rater
    questions_same: int
    questions: int
    overall_same: bool


@dataclass
class Comparison:
    audit: Audit
    raters: list[Rater]
    sections: list[SectionRow]
    overall: dict[str, str | None]
    agreed: str | None
    reason: str | None
    evidence: dict[str, str]
    pairs: list[PairAgreement]
    #: Per moderator: whether their blind overall grade equals the agreed one (None before agreement).
    with_agreed: dict[str, bool | None]

    @property
    def differs(self) -> bool:
        return len(set(self.overall.values())) > 1


def comparison(session: Session, actor: User, audit_id: int) -> Comparison:
    """Both gradings side by side, for a moderator who has saved their own (never before)."""
    state = moderation_state(session, actor, audit_id)
    if not state.own_saved:
        raise PermissionDenied("Save your own grades first: the original is shown only after that.")
    audit = state.audit
    template = audit.template
    records = list(
        session.scalars(
            select(ModerationRecord)
            .where(ModerationRecord.audit_id == audit.id)
            .options(selectinload(ModerationRecord.ratings), selectinload(ModerationRecord.sections),
                     selectinload(ModerationRecord.moderator))
            .order_by(ModerationRecord.created_at, ModerationRecord.id)
        )
    )
    responses = {r.question_id: r for r in session.scalars(select(Response).where(Response.audit_id == audit.id))}
    section_rows = {g.section_id: g for g in audit.section_grades}
    raters = [Rater("auditor", f"{audit.auditor.display_name} (auditor)", is_auditor=True)]
    raters += [Rater(f"m{r.moderator_id}", r.moderator.display_name + (" (you)" if r.moderator_id == actor.id else ""))
               for r in records]
    ratings = {f"m{r.moderator_id}": {x.question_id: x.rating for x in r.ratings} for r in records}
    ratings["auditor"] = {qid: resp.rating or "" for qid, resp in responses.items()}
    sections_blind = {f"m{r.moderator_id}": {x.section_id: x.blind_grade for x in r.sections} for r in records}
    sections: list[SectionRow] = []
    for section in template.sections:
        stored = section_rows.get(section.id)
        grades: dict[str, str | None] = {"auditor": stored.suggested_grade if stored else None}
        grades.update({key: sections_blind[key].get(section.id) for key in sections_blind})
        row = SectionRow(section.id, section.title, grades, stored.moderated_grade if stored else None,
                         stored.moderation_reason if stored else None)
        row.questions = [
            QuestionRow(q.id, q.text, {rater.key: ratings.get(rater.key, {}).get(q.id) for rater in raters})
            for q in section.questions
        ]
        sections.append(row)
    overall: dict[str, str | None] = {"auditor": original_grade(audit)}
    overall.update({f"m{r.moderator_id}": r.blind_grade for r in records})
    by_key = {rater.key: rater for rater in raters}
    questions = template.questions()
    pairs = [
        PairAgreement(
            by_key[a], by_key[b],
            sum(1 for q in questions if ratings.get(a, {}).get(q.id) == ratings.get(b, {}).get(q.id)),
            len(questions),
            overall[a] == overall[b],
        )
        for a, b in combinations([rater.key for rater in raters], 2)
    ]
    agreed = audit.moderated_grade
    return Comparison(
        audit=audit,
        raters=raters,
        sections=sections,
        overall=overall,
        agreed=agreed,
        reason=records[0].reason if records else None,
        evidence={qid: resp.evidence for qid, resp in responses.items() if resp.evidence},
        pairs=pairs,
        with_agreed={f"m{r.moderator_id}": (r.blind_grade == agreed) if agreed else None for r in records},
    )


# --- agreeing ------------------------------------------------------------------------------------


@operation
def record_agreement(session: Session, actor: User, audit_id: int, agreed: AgreedGrades) -> Audit:
    """Record the panel's agreed grades. The original grades are untouched; a reason is required
    wherever an agreed grade differs from the original. A stale form (someone agreed since it was
    opened) is refused with ``StaleEdit``, as on the checklist."""
    state = moderation_state(session, actor, audit_id)
    audit = state.audit
    if not state.can_agree:
        raise PermissionDenied("Save your own blind grades for this audit before recording the agreed grades.")
    _check_version(session, audit, agreed.expected_version)
    template = audit.template
    codes = template.scale.codes
    stored = {g.section_id: g for g in audit.section_grades}
    errors: list[FieldError] = []
    for section in template.sections:
        grade, reason = agreed.sections.get(section.id, ("", ""))
        if grade not in codes:
            errors.append(FieldError(f"agreed-{section.id}", f"Choose the agreed grade for {section.title}"))
            continue
        row = stored.get(section.id)
        if row is not None and grade != row.suggested_grade and not reason.strip():
            errors.append(FieldError(f"reason-{section.id}",
                                     f"Explain why the agreed grade for {section.title} differs from the original"))
        if limits.too_long(reason, limits.MODERATION_REASON):
            message = limits.keep_within("the reason", limits.MODERATION_REASON)
            errors.append(FieldError(f"reason-{section.id}", message))
    if agreed.overall not in codes:
        errors.append(FieldError("agreed-overall", "Choose the agreed overall grade"))
    elif agreed.overall != original_grade(audit) and not agreed.reason.strip():
        errors.append(FieldError("reason-overall", "Explain why the agreed overall grade differs from the original"))
    if limits.too_long(agreed.reason, limits.MODERATION_REASON):
        errors.append(FieldError("reason-overall", limits.keep_within("the reason", limits.MODERATION_REASON)))
    if errors:
        raise InvalidInput(errors)
    before = {
        "status": audit.status,
        "moderated_grade": audit.moderated_grade,
        "sections": {sid: row.moderated_grade for sid, row in stored.items()},
    }
    for section in template.sections:
        grade, reason = agreed.sections[section.id]
        row = stored.get(section.id)
        if row is None:
            continue
        row.moderated_grade = grade
        row.moderation_reason = reason.strip() if grade != row.suggested_grade else None
    overall_reason = agreed.reason.strip() if agreed.overall != original_grade(audit) else None
    audit.moderated_grade = agreed.overall
    if audit.status != AuditStatus.MODERATED:
        move_to(audit, AuditStatus.MODERATED)
    now = utcnow()
    audit.updated_at = now
    for moderation in session.scalars(select(ModerationRecord).where(ModerationRecord.audit_id == audit.id)):
        moderation.agreed_grade, moderation.reason, moderation.agreed_at = agreed.overall, overall_reason, now
    session.flush()
    record(
        session, actor, "moderation.agree", "audit", audit.id, before,
        {
            "status": audit.status,
            "moderated_grade": audit.moderated_grade,
            "moderation_reason": overall_reason,
            "sections": {sid: row.moderated_grade for sid, row in stored.items()},
            "version": audit.version_id,
        },
    )
    return audit
