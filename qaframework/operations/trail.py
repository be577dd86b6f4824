"""Reading the audit trail, for administrators: who changed what, when, with before and after.

Children's records need an audit trail that someone actually reads; this is the read side of
``operations.base.record``. Sign-ins are most of the entries and rarely what an administrator is
looking for, so they are left out unless asked for.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TypeVarTuple
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from qaframework.numbers import whole_number
from qaframework.operations.base import require
from qaframework.permissions import can_administer
from qaframework.store import Action, Audit, Case, PeerChallenge, TemplateVersion, TrailEntry, User
from qaframework.trail_text import PSEUDONYM_PREFIX, case_pseudonym, trail_key

#: Actions that record someone signing in, not a change to a record.
SIGN_IN_ACTIONS = ("user.sign_in",)
MAX_PER_PAGE = 200


#: The trail's day boundaries are the area's own days, as the pages show dates.
LOCAL_TIME = ZoneInfo("Europe/London")
MAX_EXPORT_ROWS = 50_000


@dataclass(frozen=True)
class TrailFilters:
    entity: str = ""
    entity_id: str = ""
    actor_id: int | None = None
    include_sign_ins: bool = False
    #: Everything about one case: its audits, the actions and peer challenges raised from them.
    case_ref: str = ""
    #: From the start of ``date_from`` to the end of ``date_to`` (local days), either may be open.
    date_from: date | None = None
    date_to: date | None = None


@dataclass(frozen=True)
class TrailRow:
    entry: TrailEntry
    #: The person's name, or None for the system (the ``qa`` command, migrations, the demo loader).
    actor_name: str | None


@dataclass(frozen=True)
class TrailPage:
    rows: list[TrailRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _allowed(actor: User) -> None:
    require(can_administer(actor), "Only an administrator can read the audit trail.")


_Row = TypeVarTuple("_Row")  # the columns of whichever query the filters narrow


def _where(query: Select[*_Row], filters: TrailFilters, about_case: ColumnElement[bool] | None = None) -> Select[*_Row]:
    if filters.entity:
        query = query.where(TrailEntry.entity == filters.entity)
    if filters.entity_id:
        query = query.where(TrailEntry.entity_id == filters.entity_id)
    if filters.actor_id is not None:
        query = query.where(TrailEntry.actor_id == filters.actor_id)
    if not filters.include_sign_ins:
        query = query.where(TrailEntry.action.not_in(SIGN_IN_ACTIONS))
    if about_case is not None:
        query = query.where(about_case)
    if filters.date_from is not None:
        query = query.where(TrailEntry.at >= datetime.combine(filters.date_from, time(0), tzinfo=LOCAL_TIME))
    if filters.date_to is not None:
        after = filters.date_to + timedelta(days=1)
        query = query.where(TrailEntry.at < datetime.combine(after, time(0), tzinfo=LOCAL_TIME))
    return query


def _about_case(session: Session, case_ref: str) -> ColumnElement[bool] | None:
    """Entries about one case's records: its audits (also drafts since discarded), and the actions
    and peer challenges raised from them. None when no case is asked for."""
    ref = case_ref.strip().upper()
    if not ref:
        return None
    of_case = select(Audit.id).join(Case, Case.id == Audit.case_id).where(func.upper(Case.case_ref) == ref)
    audit_ids = {str(i) for i in session.scalars(of_case)}
    discards = select(TrailEntry.entity_id, TrailEntry.before).where(TrailEntry.action == "audit.discard")
    discarded = session.execute(discards)
    kept_as = {ref, case_pseudonym(trail_key(session), ref).upper()}  # the trail keeps a pseudonym
    audit_ids |= {entity_id for entity_id, before in discarded
                  if entity_id and str((before or {}).get("case_ref", "")).upper() in kept_as}
    numbers = [int(i) for i in audit_ids]
    action_ids = [str(i) for i in session.scalars(select(Action.id).where(Action.audit_id.in_(numbers)))]
    challenges = select(PeerChallenge.id).where(PeerChallenge.audit_id.in_(numbers))
    challenge_ids = [str(i) for i in session.scalars(challenges)]
    return or_(
        and_(TrailEntry.entity == "audit", TrailEntry.entity_id.in_(sorted(audit_ids))),
        and_(TrailEntry.entity == "action", TrailEntry.entity_id.in_(action_ids)),
        and_(TrailEntry.entity == "peer_challenge", TrailEntry.entity_id.in_(challenge_ids)),
    )


def trail_page(session: Session, actor: User, filters: TrailFilters, page: int = 1, per_page: int = 50) -> TrailPage:
    """One page of entries, newest first, with the actor's name joined in SQL."""
    _allowed(actor)
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    about_case = _about_case(session, filters.case_ref)
    total = session.scalar(_where(select(func.count(TrailEntry.id)), filters, about_case)) or 0
    pages = max(1, -(-total // per_page))
    page = max(1, min(page, pages))
    query = _where(
        select(TrailEntry, User.display_name).outerjoin(User, User.id == TrailEntry.actor_id), filters, about_case
    ).order_by(TrailEntry.id.desc()).offset((page - 1) * per_page).limit(per_page)
    rows = [TrailRow(entry, name) for entry, name in session.execute(query).all()]
    return TrailPage(rows, total, page, per_page)


def trail_for_export(session: Session, actor: User, filters: TrailFilters) -> list[TrailRow]:
    """Every entry the filters match, newest first (up to ``MAX_EXPORT_ROWS``), for a download."""
    _allowed(actor)
    query = _where(
        select(TrailEntry, User.display_name).outerjoin(User, User.id == TrailEntry.actor_id), filters,
        _about_case(session, filters.case_ref),
    ).order_by(TrailEntry.id.desc()).limit(MAX_EXPORT_ROWS)
    return [TrailRow(entry, name) for entry, name in session.execute(query).all()]


def trail_entities(session: Session, actor: User) -> list[str]:
    """The kinds of record the trail mentions, for the filter."""
    _allowed(actor)
    return list(session.scalars(select(TrailEntry.entity).distinct().order_by(TrailEntry.entity)))


def latest_entry(session: Session, actor: User, action: str) -> TrailRow | None:
    """The most recent entry for one action, e.g. the last case import for the admin landing page."""
    _allowed(actor)
    found = session.execute(
        select(TrailEntry, User.display_name)
        .outerjoin(User, User.id == TrailEntry.actor_id)
        .where(TrailEntry.action == action)
        .order_by(TrailEntry.id.desc())
        .limit(1)
    ).first()
    return TrailRow(found[0], found[1]) if found else None


def record_names(session: Session, entries: Iterable[TrailEntry]) -> dict[tuple[str, str], str]:
    """What people call each record the entries mention: "case EHC100093, EHC co-ordinator plan
    quality check" rather than "Audit 539". Records that no longer exist (a discarded draft) are
    named from what the trail kept when they went. Only the records asked about are loaded."""
    wanted: dict[str, set[str]] = {}
    for entry in entries:
        if entry.entity_id:
            wanted.setdefault(entry.entity, set()).add(entry.entity_id)
    names: dict[tuple[str, str], str] = {}
    audit_ids = {n for i in wanted.get("audit", set()) if (n := whole_number(i)) is not None}
    action_ids = {n for i in wanted.get("action", set()) if (n := whole_number(i)) is not None}
    challenge_ids = {n for i in wanted.get("peer_challenge", set()) if (n := whole_number(i)) is not None}
    if action_ids:
        for action_id, audit_id, description in session.execute(
            select(Action.id, Action.audit_id, Action.description).where(Action.id.in_(action_ids))
        ):
            names[("action", str(action_id))] = _short(description)
            if audit_id is not None:
                audit_ids.add(audit_id)
    challenge_audits: dict[int, int] = {}
    if challenge_ids:
        query = select(PeerChallenge.id, PeerChallenge.audit_id).where(PeerChallenge.id.in_(challenge_ids))
        challenge_audits = {row.id: row.audit_id for row in session.execute(query)}
        audit_ids |= set(challenge_audits.values())
    audits = _audit_names(session, audit_ids)
    for key, name in audits.items():
        names[("audit", str(key))] = name
    if action_ids:
        for action_id, audit_id in session.execute(select(Action.id, Action.audit_id).where(Action.id.in_(action_ids))):
            if audit_id in audits:
                names[("action", str(action_id))] += f" (from the audit of {audits[audit_id]})"
    for challenge_id, audit_id in challenge_audits.items():
        names[("peer_challenge", str(challenge_id))] = f"of the audit of {audits.get(audit_id, f'record {audit_id}')}"
    user_ids = {n for i in wanted.get("user", set()) if (n := whole_number(i)) is not None}
    if user_ids:
        for user_id, name in session.execute(select(User.id, User.display_name).where(User.id.in_(user_ids))):
            names[("user", str(user_id))] = name
    return names


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _audit_names(session: Session, audit_ids: set[int]) -> dict[int, str]:
    """ "case EHC100093, <checklist title>" per audit id, live or discarded."""
    names: dict[int, str] = {}
    if not audit_ids:
        return names
    rows = session.execute(
        select(Audit.id, Case.case_ref, TemplateVersion.title)
        .join(Case, Case.id == Audit.case_id).join(TemplateVersion, TemplateVersion.id == Audit.template_version_id)
        .where(Audit.id.in_(audit_ids))
    )
    for audit_id, case_ref, title in rows:
        names[audit_id] = f"case {case_ref}, {title}"
    gone = {str(i) for i in audit_ids - set(names)}
    if gone:
        refs = _refs_of_pseudonyms(session)
        for entity_id, before in session.execute(
            select(TrailEntry.entity_id, TrailEntry.before)
            .where(TrailEntry.entity == "audit", TrailEntry.action == "audit.discard", TrailEntry.entity_id.in_(gone))
        ):
            kept = before or {}
            checklist = kept.get("template_title", "checklist")
            kept_ref = str(kept.get("case_ref", "?"))
            ref = refs.get(kept_ref, "no longer held" if kept_ref.startswith(PSEUDONYM_PREFIX) else kept_ref)
            names[int(entity_id)] = f"case {ref}, {checklist} (discarded draft)"
    return names


def _refs_of_pseudonyms(session: Session) -> dict[str, str]:
    """Pseudonym -> case reference for the cases held now (an erased case's pseudonym stays unknown)."""
    key = trail_key(session)
    return {case_pseudonym(key, ref): ref for ref in session.scalars(select(Case.case_ref))}
