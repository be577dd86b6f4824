"""The audit trail keeps no free text and no case references, only keyed fingerprints and pseudonyms
(issue 10, data-protection duties): evidence can be corrected or erased because the trail never
held the words."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from sqlalchemy import Text, select, text
from sqlalchemy.orm import Session

from qaframework.framework import Rating, Role
from qaframework.operations.audits import (
    Judgement,
    ResponseInput,
    return_audit,
    save_answers,
    save_judgement,
    start_audit,
    submit_audit,
)
from qaframework.operations.drafts import discard_draft
from qaframework.operations.trail import TrailFilters, record_names, trail_page
from qaframework.store import Base, TrailEntry
from qaframework.store.db import make_engine
from qaframework.store.migrate import upgrade
from qaframework.trail_text import (
    FREE_TEXT_FIELDS,
    KEY_SETTING,
    RECORDED_AS,
    case_pseudonym,
    fingerprint,
    trail_key,
)
from tests.support import MakeCase, MakeUser, TemplateVersionOf, all_met, scratch_database

SECRET_EVIDENCE = "Jamie Example told the co-ordinator about the house move"
SECRET_REASON = "Jamie is home educated by Mrs Example"
RATIONALE = "Grade lowered: Jamie Example's speech therapy is missing"
SUMMARY = "Plan for Jamie Example at Oak Lane is vague"
RETURN = "Ask Jamie Example's mother again"


def _trail_text(session: Session) -> str:
    rows = session.scalars(select(TrailEntry)).all()
    return json.dumps([[r.before, r.after] for r in rows], ensure_ascii=False)


def _entries(session: Session, audit_id: int, action: str) -> list[TrailEntry]:
    return list(session.scalars(select(TrailEntry).where(
        TrailEntry.entity == "audit", TrailEntry.entity_id == str(audit_id), TrailEntry.action == action,
    ).order_by(TrailEntry.id)))


def test_saved_free_text_never_reaches_the_trail(
    session: Session, make_user: MakeUser, make_case: MakeCase, template_version: TemplateVersionOf
) -> None:
    auditor, panel = make_user(), make_user(Role.PANEL_MEMBER)
    case = make_case("JAMIE01")
    audit = start_audit(session, auditor, case_id=case.id,
                        template_version_id=template_version("t1-coordinator-plan-check").id, subject="final_plan")
    answers = all_met(audit.template)
    first, second = list(answers)[:2]
    answers[first] = ResponseInput(Rating.MET.value, SECRET_EVIDENCE)
    save_answers(session, auditor, audit.id, audit.version_id, answers)
    save_answers(session, auditor, audit.id, audit.version_id,
                 {first: ResponseInput(Rating.MET.value, SECRET_EVIDENCE + " (checked)")})
    save_judgement(session, auditor, audit.id, audit.version_id,
                   Judgement(auditor_grade="requires_improvement", override_rationale=RATIONALE, summary=SUMMARY))
    submit_audit(session, auditor, audit.id, audit.version_id)
    return_audit(session, panel, audit.id, RETURN)

    everything = _trail_text(session)
    for words in (SECRET_EVIDENCE, RATIONALE, SUMMARY, RETURN, "Jamie", "JAMIE01"):
        assert words not in everything
    key = trail_key(session)
    saves = _entries(session, audit.id, "audit.save")
    assert saves[0].after is not None and saves[0].after[first]["evidence"] == fingerprint(key, SECRET_EVIDENCE)
    assert saves[0].after[first]["rating"] == "met"  # ratings are not free text and stay readable
    assert saves[1].before is not None and saves[1].after is not None
    old, new = saves[1].before[first]["evidence"], saves[1].after[first]["evidence"]
    assert old == saves[0].after[first]["evidence"] and new != old  # the hash changes with the text
    assert new.endswith(f"({len(SECRET_EVIDENCE) + 10} characters)")
    assert saves[0].after[second]["evidence"] == fingerprint(key, "Clear and specific.")
    judgement = saves[2].after
    assert judgement is not None and judgement["override_rationale"] == fingerprint(key, RATIONALE)
    assert judgement["auditor_grade"] == "requires_improvement"
    returned = _entries(session, audit.id, "audit.return")[0].after
    assert returned is not None and returned["return_comment"] == fingerprint(key, RETURN)
    started = _entries(session, audit.id, "audit.start")[0].after
    assert started is not None and started["case_ref"] == case_pseudonym(key, "JAMIE01")


def test_a_discarded_draft_leaves_no_words_and_is_still_found_by_its_case(
    session: Session, make_user: MakeUser, make_case: MakeCase, template_version: TemplateVersionOf
) -> None:
    auditor, admin = make_user(), make_user(Role.ADMIN)
    case = make_case("DISC01")
    audit = start_audit(session, auditor, case_id=case.id,
                        template_version_id=template_version("t1-coordinator-plan-check").id, subject="final_plan")
    question = next(iter(all_met(audit.template)))
    save_answers(session, auditor, audit.id, audit.version_id,
                 {question: ResponseInput(Rating.NOT_MET.value, SECRET_EVIDENCE)})
    save_judgement(session, auditor, audit.id, audit.version_id, Judgement(summary=SUMMARY))
    audit_id = audit.id
    discard_draft(session, auditor, audit_id)
    assert SECRET_EVIDENCE not in _trail_text(session) and SUMMARY not in _trail_text(session)
    discarded = _entries(session, audit_id, "audit.discard")[0].before
    assert discarded is not None
    assert discarded["answers"][question] == {
        "rating": "not_met", "evidence": fingerprint(trail_key(session), SECRET_EVIDENCE), "na_reason": None}
    found = trail_page(session, admin, TrailFilters(case_ref="disc01"))
    assert {r.entry.action for r in found.rows} == {"audit.start", "audit.save", "audit.discard"}
    names = record_names(session, [r.entry for r in found.rows])
    assert names[("audit", str(audit_id))].startswith("case DISC01, ")


def test_fingerprints_are_keyed_so_guesses_cannot_be_tested(session: Session) -> None:
    key = trail_key(session)
    made = fingerprint(key, "Met")
    assert made is not None and hashlib.sha256(b"Met").hexdigest()[:20] not in made
    assert fingerprint(bytes(32), "Met") != made  # another key, another fingerprint
    assert fingerprint(key, "Met") == made and fingerprint(key, "") is None
    assert len(key) == 32


def test_every_text_column_is_treated_as_free_text() -> None:
    """A new TEXT column recorded under its own name is fingerprinted without anyone remembering."""
    text_columns = {c.name for t in Base.metadata.tables.values() for c in t.columns if isinstance(c.type, Text)}
    recorded = {RECORDED_AS.get(name, name) for name in text_columns}
    assert len(text_columns) > 10 and recorded <= FREE_TEXT_FIELDS, recorded - FREE_TEXT_FIELDS


def test_migration_rewrites_free_text_already_in_the_trail(tmp_path: Path) -> None:
    with scratch_database(tmp_path, "qa_migration_trail_text") as url:
        engine = make_engine(url)
        try:
            upgrade(engine, "0014")
            old = {
                "audit.save": ({"Q1": {"rating": None, "evidence": "", "na_reason": ""}},
                               {"Q1": {"rating": "met", "evidence": SECRET_EVIDENCE, "na_reason": ""}}),
                "audit.discard": ({"case_ref": "OLD01", "summary": SUMMARY,
                                   "answers": {"Q2": {"rating": "not_applicable", "evidence": "",
                                                      "na_reason": SECRET_REASON}}}, {"status": "discarded"}),
                "moderation.agree": (None, {"moderated_grade": "good", "reason": RATIONALE}),
                "user.update": ({"display_name": "Alex"}, {"display_name": "Alex B"}),
            }
            with engine.begin() as conn:
                for action, (before, after) in old.items():
                    conn.execute(text(
                        "INSERT INTO audit_trail (at, action, entity, entity_id, before, after) "
                        "VALUES ('2026-01-01', :action, 'audit', '1', :before, :after)"
                    ), {"action": action, "before": json.dumps(before) if before else None,
                        "after": json.dumps(after)})
            upgrade(engine, "0015")
            with engine.connect() as conn:
                rows = conn.execute(text("SELECT action, before, after FROM audit_trail")).all()
                key_hex = conn.execute(text("SELECT value FROM area_settings WHERE key = :k"),
                                       {"k": KEY_SETTING}).scalar()
            key_text = str(key_hex)
            key = bytes.fromhex(json.loads(key_text) if key_text.startswith('"') else key_text)
            def parsed(value: object) -> object:
                return json.loads(value) if isinstance(value, str) else value

            stored = {a: (parsed(b), parsed(c)) for a, b, c in rows}
            dumped = json.dumps(stored)
            for words in (SECRET_EVIDENCE, SECRET_REASON, SUMMARY, RATIONALE, "OLD01"):
                assert words not in dumped
            assert stored["audit.save"][1]["Q1"]["evidence"] == fingerprint(key, SECRET_EVIDENCE)
            assert stored["audit.save"][0]["Q1"]["evidence"] is None
            discard = stored["audit.discard"][0]
            assert discard["case_ref"] == case_pseudonym(key, "OLD01")
            assert discard["answers"]["Q2"]["na_reason"] == fingerprint(key, SECRET_REASON)
            assert stored["moderation.agree"][1]["reason"] == fingerprint(key, RATIONALE)
            assert stored["user.update"] == ({"display_name": "Alex"}, {"display_name": "Alex B"})  # not free text
        finally:
            engine.dispose()


def test_entries_made_without_record_are_redacted_too(session: Session, make_case: MakeCase) -> None:
    """The demo loader and scripts add entries directly; the flush still keeps no words."""
    case = make_case("DIRECT01")
    session.add(TrailEntry(action="audit.start", entity="audit", entity_id="1",
                           after={"case_ref": case.case_ref, "summary": SUMMARY}))
    session.commit()
    entry = session.scalars(select(TrailEntry).order_by(TrailEntry.id.desc())).first()
    key = trail_key(session)
    assert entry is not None and entry.after == {"case_ref": case_pseudonym(key, "DIRECT01"),
                                                 "summary": fingerprint(key, SUMMARY)}
