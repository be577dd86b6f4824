"""Agreement between auditors' and moderated grades, counted in SQL.

Every figure is built from ``GROUP BY group, original, moderated`` counts (a few dozen rows however
many audits were moderated), turned into confusion matrices and handed to ``qaframework.moderation``.
No ORM objects are loaded. Who may read which breakdown is decided in ``qaframework.permissions``:
by cycle and agency for the board too; by template section and question for casework roles; by
auditor, and who drifts, for panel leads only.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.orm import Session, aliased

from qaframework.framework import HALF_TERMS, OFSTED4, GradeScale
from qaframework.moderation import (
    Agreement,
    Direction,
    Interval,
    agreement_of_matrix,
    bootstrap_kappa,
    drift_direction,
)
from qaframework.operations.base import PermissionDenied
from qaframework.permissions import (
    MODERATED_TIERS,
    can_view_agreement,
    can_view_agreement_detail,
    can_view_auditor_agreement,
)
from qaframework.store import (
    Agency,
    Audit,
    ModerationRating,
    ModerationRecord,
    Response,
    SectionGrade,
    TemplateVersion,
    User,
)

#: Moderation compares grades on the Outstanding–Inadequate scale (Tier 1 and 2 checklists).
SCALE: GradeScale = OFSTED4
TREND_CYCLES = 6


class GroupBy(enum.StrEnum):
    CYCLE = "cycle"
    AGENCY = "agency"
    SECTION = "section"
    AUDITOR = "auditor"


@dataclass(frozen=True)
class GroupAgreement:
    """Agreement of one group (a cycle, agency, template section or auditor)."""

    key: str
    label: str
    result: Agreement
    matrix: list[list[int]]
    drift: Direction | None = None

    def interval(self, weights: str = "linear") -> Interval | None:
        return bootstrap_kappa(self.matrix, "quadratic" if weights == "quadratic" else "linear")

    def csv_row(self) -> list[str]:
        """``group,n,exact_pct,within_one_pct,kappa_linear,kappa_quadratic,mean_shift``"""
        r = self.result
        return [
            self.label,
            str(r.n),
            _pct(r.exact),
            _pct(r.within_one),
            _num(r.kappa_linear),
            _num(r.kappa_quadratic),
            _num(r.mean_shift),
        ]


CSV_HEADER = ("group", "n", "exact_pct", "within_one_pct", "kappa_linear", "kappa_quadratic", "mean_shift")


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}"


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def cycle_sort_key(label: str) -> tuple[int, int, str]:
    """Chronological order of cycle labels like "2025-26 Autumn 1" (unknown shapes last, by name)."""
    match = re.fullmatch(r"(\d{4})-\d{2} (.+)", label)
    if match and match.group(2) in HALF_TERMS:
        return int(match.group(1)), HALF_TERMS.index(match.group(2)), label
    return 9999, 0, label


def _original() -> Any:
    return func.coalesce(Audit.auditor_grade, Audit.suggested_grade)


def _moderated_audits(cycle: str | None) -> list[Any]:
    conditions = [
        Audit.moderated_grade.is_not(None),
        _original().is_not(None),
        Audit.tier.in_([int(t) for t in MODERATED_TIERS]),
    ]
    if cycle:
        conditions.append(Audit.cycle == cycle)
    return conditions


def _matrices(rows: Iterable[Any]) -> dict[str, list[list[int]]]:
    """(key, original, moderated, count) rows → a matrix per key, in the order keys first appear."""
    index = {code: i for i, code in enumerate(SCALE.codes)}
    out: dict[str, list[list[int]]] = {}
    for key, original, moderated, count in rows:
        if original not in index or moderated not in index:
            continue  # a grade on another scale (never a Tier 1/2 audit): not comparable here
        matrix = out.setdefault(str(key), [[0] * len(SCALE.codes) for _ in SCALE.codes])
        matrix[index[original]][index[moderated]] += int(count)
    return out


def _grouped(session: Session, key: Any, cycle: str | None, *joins: Any) -> dict[str, list[list[int]]]:
    query: Select[Any] = select(key, _original(), Audit.moderated_grade, func.count()).where(*_moderated_audits(cycle))
    for join in joins:
        query = query.join(*join)
    query = query.group_by(key, _original(), Audit.moderated_grade)
    return _matrices(session.execute(query))


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def agreement_by(
    session: Session, actor: User | None, by: GroupBy, cycle: str | None = None
) -> list[GroupAgreement]:
    """Agreement per group; ``actor`` None is the ``qa`` command (an administrator's tool)."""
    if actor is not None:
        _require(can_view_agreement(actor), "Agreement figures are for the panel, leaders and the board.")
        if by is GroupBy.SECTION:
            _require(can_view_agreement_detail(actor), "Agreement by template section is for the panel and leaders.")
        if by is GroupBy.AUDITOR:
            _require(can_view_auditor_agreement(actor), "Agreement by auditor is for panel leads only.")
    if by is GroupBy.CYCLE:
        matrices = _grouped(session, Audit.cycle, cycle)
        keys = sorted(matrices, key=cycle_sort_key)
        labels = {k: k for k in keys}
    elif by is GroupBy.AGENCY:
        name = func.coalesce(Agency.name, "No agency")
        query = (
            select(name, _original(), Audit.moderated_grade, func.count())
            .select_from(Audit)
            .outerjoin(Agency, Agency.code == Audit.agency_code)
            .where(*_moderated_audits(cycle))
            .group_by(name, _original(), Audit.moderated_grade)
        )
        matrices = _matrices(session.execute(query))
        keys = sorted(matrices)
        labels = {k: k for k in keys}
    elif by is GroupBy.AUDITOR:
        query = (
            select(User.display_name, _original(), Audit.moderated_grade, func.count())
            .select_from(Audit)
            .join(User, User.id == Audit.auditor_id)
            .where(*_moderated_audits(cycle))
            .group_by(User.display_name, _original(), Audit.moderated_grade)
        )
        matrices = _matrices(session.execute(query))
        keys = sorted(matrices)
        labels = {k: k for k in keys}
    else:
        return section_agreement(session, actor, cycle)
    results = []
    for key in keys:
        result = agreement_of_matrix(matrices[key])
        drift = drift_direction(result) if by is GroupBy.AUDITOR else None
        results.append(GroupAgreement(key, labels[key], result, matrices[key], drift))
    return results


def overall(session: Session, actor: User | None, cycle: str | None) -> GroupAgreement:
    """All moderated audits of the cycle (or of every cycle) as one group."""
    if actor is not None:
        _require(can_view_agreement(actor), "Agreement figures are for the panel, leaders and the board.")
    query = (
        select(_original(), Audit.moderated_grade, func.count())
        .where(*_moderated_audits(cycle))
        .group_by(_original(), Audit.moderated_grade)
    )
    matrices = _matrices(("all", o, m, c) for o, m, c in session.execute(query))
    matrix = matrices.get("all", [[0] * len(SCALE.codes) for _ in SCALE.codes])
    return GroupAgreement("all", cycle or "All cycles", agreement_of_matrix(matrix), matrix)


def section_agreement(session: Session, actor: User | None, cycle: str | None) -> list[GroupAgreement]:
    """Per template section, like with like: the suggested section grade against the agreed one."""
    if actor is not None:
        _require(can_view_agreement_detail(actor), "Agreement by template section is for the panel and leaders.")
    key = TemplateVersion.template_id + ":" + SectionGrade.section_id
    query = (
        select(key, SectionGrade.suggested_grade, SectionGrade.moderated_grade, func.count())
        .select_from(SectionGrade)
        .join(Audit, Audit.id == SectionGrade.audit_id)
        .join(TemplateVersion, TemplateVersion.id == Audit.template_version_id)
        .where(
            *_moderated_audits(cycle),
            SectionGrade.suggested_grade.is_not(None),
            SectionGrade.moderated_grade.is_not(None),
        )
        .group_by(key, SectionGrade.suggested_grade, SectionGrade.moderated_grade)
    )
    matrices = _matrices(session.execute(query))
    titles = _section_titles(session, {k.split(":", 1)[0] for k in matrices})
    return [
        GroupAgreement(k, titles.get(k, k), agreement_of_matrix(matrices[k]), matrices[k])
        for k in sorted(matrices, key=lambda k: titles.get(k, k))
    ]


def _section_titles(session: Session, template_ids: set[str]) -> dict[str, str]:
    """"template:section" → "Template title: Section title", from the newest version of each template."""
    from qaframework.operations.templates import current_versions

    titles: dict[str, str] = {}
    for tv in current_versions(session):
        if tv.template_id in template_ids:
            for section in tv.template.sections:
                titles[f"{tv.template_id}:{section.id}"] = f"{tv.title}: {section.title}"
    return titles


@dataclass(frozen=True)
class QuestionAgreement:
    """How often moderators' blind ratings of one question equal the auditor's, on one template."""

    template_title: str
    question_id: str
    text: str
    n: int
    same: int
    #: Blind rating better than the auditor's (auditor severe) / worse (auditor generous).
    auditor_lower: int
    auditor_higher: int

    @property
    def exact(self) -> float | None:
        return self.same / self.n if self.n else None


_RANK = {"met": 2, "partially_met": 1, "not_met": 0}


def question_agreement(session: Session, actor: User | None, cycle: str | None) -> list[QuestionAgreement]:
    """Question by question, lowest agreement first: which questions auditors and moderators read
    differently. Compared on the same template version (like with like)."""
    if actor is not None:
        _require(can_view_agreement_detail(actor), "Agreement by question is for the panel and leaders.")
    conditions: list[ColumnElement[bool]] = [Audit.tier.in_([int(t) for t in MODERATED_TIERS])]
    if cycle:
        conditions.append(Audit.cycle == cycle)
    query = (
        select(
            Audit.template_version_id,
            ModerationRating.question_id,
            Response.rating,
            ModerationRating.rating,
            func.count(),
        )
        .select_from(ModerationRating)
        .join(ModerationRecord, ModerationRecord.id == ModerationRating.record_id)
        .join(Audit, Audit.id == ModerationRecord.audit_id)
        .join(
            Response,
            and_(Response.audit_id == ModerationRecord.audit_id, Response.question_id == ModerationRating.question_id),
        )
        .where(*conditions)
        .group_by(Audit.template_version_id, ModerationRating.question_id, Response.rating, ModerationRating.rating)
    )
    counts: dict[tuple[int, str], list[int]] = {}
    for version_id, question_id, original, blind, count in session.execute(query):
        entry = counts.setdefault((version_id, question_id), [0, 0, 0, 0])
        entry[0] += count
        if original == blind:
            entry[1] += count
        elif original in _RANK and blind in _RANK:
            entry[2 if _RANK[original] < _RANK[blind] else 3] += count
    versions = {
        tv.id: tv
        for tv in session.scalars(select(TemplateVersion).where(TemplateVersion.id.in_({k[0] for k in counts})))
    }
    rows = []
    for (version_id, question_id), (n, same, lower, higher) in counts.items():
        tv = versions[version_id]
        try:
            text = tv.template.question(question_id).text
        except KeyError:
            text = question_id
        rows.append(QuestionAgreement(f"{tv.title} (version {tv.version})", question_id, text, n, same, lower, higher))
    rows.sort(key=lambda r: (r.exact if r.exact is not None else 1.0, -r.n, r.template_title, r.question_id))
    return rows


def blind_agreement(session: Session, actor: User | None, cycle: str | None) -> GroupAgreement:
    """Moderators' blind overall grades against the auditors' (before any discussion): the truest
    measure of consistency, since neither rater saw the other's grade."""
    if actor is not None:
        _require(can_view_agreement(actor), "Agreement figures are for the panel, leaders and the board.")
    conditions: list[ColumnElement[bool]] = [
        ModerationRecord.original_grade.is_not(None), ModerationRecord.blind_grade.is_not(None)
    ]
    if cycle:
        conditions.append(Audit.cycle == cycle)
    query = (
        select(ModerationRecord.original_grade, ModerationRecord.blind_grade, func.count())
        .join(Audit, Audit.id == ModerationRecord.audit_id)
        .where(*conditions)
        .group_by(ModerationRecord.original_grade, ModerationRecord.blind_grade)
    )
    matrices = _matrices(("blind", o, m, c) for o, m, c in session.execute(query))
    matrix = matrices.get("blind", [[0] * len(SCALE.codes) for _ in SCALE.codes])
    return GroupAgreement("blind", "Blind grades against auditors' grades", agreement_of_matrix(matrix), matrix)


def moderator_pair_agreement(session: Session, actor: User | None, cycle: str | None) -> GroupAgreement:
    """Two moderators' blind overall grades of the same audit, every pair: the panel's own consistency."""
    if actor is not None:
        _require(can_view_agreement(actor), "Agreement figures are for the panel, leaders and the board.")
    first, second = aliased(ModerationRecord), aliased(ModerationRecord)
    query = (
        select(first.blind_grade, second.blind_grade, func.count())
        .select_from(first)
        .join(second, and_(second.audit_id == first.audit_id, second.moderator_id > first.moderator_id))
        .join(Audit, Audit.id == first.audit_id)
        .where(first.blind_grade.is_not(None), second.blind_grade.is_not(None),
               *([Audit.cycle == cycle] if cycle else []))
        .group_by(first.blind_grade, second.blind_grade)
    )
    matrices = _matrices(("pairs", a, b, c) for a, b, c in session.execute(query))
    matrix = matrices.get("pairs", [[0] * len(SCALE.codes) for _ in SCALE.codes])
    return GroupAgreement("pairs", "Moderator with moderator", agreement_of_matrix(matrix), matrix)


def moderated_cycles(session: Session) -> list[str]:
    """Cycles with at least one moderated Tier 1 or 2 audit, oldest first."""
    rows = session.scalars(select(Audit.cycle).where(*_moderated_audits(None)).group_by(Audit.cycle))
    return sorted(rows, key=cycle_sort_key)


def trend(session: Session, actor: User | None, until: str | None = None) -> list[GroupAgreement]:
    """By cycle, the last six cycles (up to ``until``), oldest first."""
    rows = agreement_by(session, actor, GroupBy.CYCLE)
    if until:
        rows = [r for r in rows if cycle_sort_key(r.key) <= cycle_sort_key(until)]
    return rows[-TREND_CYCLES:]
