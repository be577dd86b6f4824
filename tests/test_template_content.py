"""The checklists we ship: they load cleanly, say what auditors need to know, and version 2 carries
the ranked corrections of the expert domain review (its §1.3-1.5) while version 1 stays
exactly as published for the audits that pinned it."""

from __future__ import annotations

import re
import subprocess
from collections import defaultdict
from datetime import date

import pytest

from qaframework.checklists.loader import DEFAULT_TEMPLATE_DIR, check_paths
from qaframework.checklists.model import Question, Template
from qaframework.framework import Subject, Tier

V1_IDS = {
    "t1-coordinator-plan-check",
    "t1-agency-advice-self-check",
    "t2-education-advice-audit",
    "t2-health-advice-audit",
    "t2-social-care-advice-audit",
    "t3-multi-agency-new-plan",
    "t3-annual-review",
    "t4-system-leader-review",
}
#: Checklists first published alongside version 2 of the others.
NEW_IDS = {"t1-pre-issue-check", "t1-annual-review-check", "t3-refusal-decision-audit"}
#: Question counts of every published version: (template id, version) -> questions.
QUESTION_COUNTS = {
    ("t1-coordinator-plan-check", 1): 60,
    ("t1-coordinator-plan-check", 2): 64,
    ("t1-pre-issue-check", 1): 22,
    ("t1-annual-review-check", 1): 18,
    ("t1-agency-advice-self-check", 1): 14,
    ("t1-agency-advice-self-check", 2): 14,
    ("t2-education-advice-audit", 1): 16,
    ("t2-education-advice-audit", 2): 17,
    ("t2-health-advice-audit", 1): 15,
    ("t2-health-advice-audit", 2): 15,
    ("t2-social-care-advice-audit", 1): 15,
    ("t2-social-care-advice-audit", 2): 17,
    ("t3-multi-agency-new-plan", 1): 31,
    ("t3-multi-agency-new-plan", 2): 39,
    ("t3-annual-review", 1): 18,
    ("t3-annual-review", 2): 22,
    ("t3-refusal-decision-audit", 1): 15,
    ("t4-system-leader-review", 1): 14,
    ("t4-system-leader-review", 2): 16,
}
OFSTED_CAPS = [
    {"rating": "not_met", "statutory": None, "limiting": True, "cap": "inadequate"},
    {"rating": "not_met", "statutory": True, "limiting": None, "cap": "requires_improvement"},
    {"rating": "not_met", "statutory": False, "limiting": None, "cap": "requires_improvement"},
    {"rating": "partially_met", "statutory": True, "limiting": None, "cap": "requires_improvement"},
    {"rating": "partially_met", "statutory": False, "limiting": None, "cap": "good"},
]
#: Plan sections whose checks are about enforceability: their sections limit the overall grade.
LIMITING_PLAN_SECTIONS = {"B", "C", "D", "E", "F", "G", "H1", "H2"}
#: From version 2 the child's voice (A), statutory advice (K) and an agency's advice also limit.
LIMITING_PLAN_SECTIONS_V2 = LIMITING_PLAN_SECTIONS | {"A", "K", "advice"}
#: Code of Practice paragraphs checked against the Code; any other paragraph is cited as a range or chapter.
CHECKED_COP_PARAGRAPHS = {"6.28", "6.44", "9.14", "9.61", "9.62", "9.66", "9.69", "9.178"}
#: What a Tier 4 conversation question may be answered N/A for when the family declines.
DECLINED = "declined the conversation"


def _load() -> list[Template]:
    templates, _ = check_paths([DEFAULT_TEMPLATE_DIR])
    return templates


ALL = _load()
NEWEST = {t.id: t for t in sorted(ALL, key=lambda t: t.version)}
V1 = {t.id: t for t in ALL if t.version == 1}


def _questions(template: Template) -> dict[str, Question]:
    return {q.id: q for q in template.questions()}


def _newest_question(question_id: str) -> Question:
    owners = [t for t in NEWEST.values() if question_id in _questions(t)]
    assert len(owners) == 1, question_id
    return _questions(owners[0])[question_id]


def _cites(question: Question, *fragments: str) -> bool:
    references = " ".join(question.references)
    return all(fragment in references for fragment in fragments)


# --- What ships -------------------------------------------------------------------------------------


def test_every_shipped_file_loads_with_no_problems() -> None:
    templates, problems = check_paths([DEFAULT_TEMPLATE_DIR])
    assert [str(p) for p in problems] == []
    assert {(t.id, t.version) for t in templates} == set(QUESTION_COUNTS)
    names = sorted(p.name for p in DEFAULT_TEMPLATE_DIR.glob("*.yaml"))
    assert names == sorted(f"{i}.v{v}.yaml" for i, v in QUESTION_COUNTS)


@pytest.mark.parametrize(("template_id", "version"), sorted(QUESTION_COUNTS))
def test_question_counts(template_id: str, version: int) -> None:
    template = next(t for t in ALL if (t.id, t.version) == (template_id, version))
    assert len(template.questions()) == QUESTION_COUNTS[template_id, version]


def _git(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], cwd=DEFAULT_TEMPLATE_DIR, capture_output=True, check=False)


def test_no_published_template_file_changed_since_it_was_first_committed() -> None:
    """Published versions are immutable: each file's bytes now equal its first committed bytes."""
    if _git("rev-parse", "--is-inside-work-tree").returncode != 0:
        pytest.skip("not a git checkout")
    checked = []
    for path in sorted(DEFAULT_TEMPLATE_DIR.glob("*.yaml")):
        added = _git("log", "--diff-filter=A", "--format=%H", "--", path.name).stdout.split()
        if not added:
            continue  # not committed yet: not published
        first = _git("show", f"{added[-1].decode()}:./{path.name}")
        assert first.returncode == 0, first.stderr
        assert path.read_bytes() == first.stdout, f"{path.name} changed after it was published; save a new version"
        checked.append(path.name)
    assert {f"{i}.v1.yaml" for i in V1_IDS} <= set(checked)


def test_version_1_is_kept_beside_version_2() -> None:
    assert set(V1) == V1_IDS | NEW_IDS
    assert {i for i, t in NEWEST.items() if t.version == 2} == V1_IDS
    assert {i for i, t in NEWEST.items() if t.version == 1} == NEW_IDS
    for template_id in V1_IDS:  # the same checklist: tier, users and subjects do not change between versions
        old, new = V1[template_id], NEWEST[template_id]
        assert (old.tier, old.agencies, old.subjects, old.requires_consent) == (
            new.tier,
            new.agencies,
            new.subjects,
            new.requires_consent,
        )


def test_tiers_and_subjects() -> None:
    tiers = {i: t.tier for i, t in NEWEST.items()}
    assert tiers == {
        "t1-coordinator-plan-check": Tier.AGENCY_CHECK,
        "t1-pre-issue-check": Tier.AGENCY_CHECK,
        "t1-annual-review-check": Tier.AGENCY_CHECK,
        "t1-agency-advice-self-check": Tier.AGENCY_CHECK,
        "t2-education-advice-audit": Tier.SINGLE_AGENCY,
        "t2-health-advice-audit": Tier.SINGLE_AGENCY,
        "t2-social-care-advice-audit": Tier.SINGLE_AGENCY,
        "t3-multi-agency-new-plan": Tier.MULTI_AGENCY,
        "t3-annual-review": Tier.MULTI_AGENCY,
        "t3-refusal-decision-audit": Tier.MULTI_AGENCY,
        "t4-system-leader-review": Tier.SYSTEM_LEADER,
    }
    assert NEWEST["t1-coordinator-plan-check"].subjects == [Subject.DRAFT_PLAN, Subject.FINAL_PLAN]
    assert NEWEST["t1-pre-issue-check"].subjects == [Subject.DRAFT_PLAN, Subject.FINAL_PLAN]
    assert NEWEST["t1-annual-review-check"].subjects == [Subject.ANNUAL_REVIEW]
    assert NEWEST["t1-agency-advice-self-check"].subjects == [Subject.ADVICE]
    assert NEWEST["t3-annual-review"].subjects == [Subject.ANNUAL_REVIEW]
    assert NEWEST["t3-refusal-decision-audit"].subjects == [Subject.REFUSAL_DECISION]
    assert NEWEST["t4-system-leader-review"].subjects == [Subject.FINAL_PLAN, Subject.ANNUAL_REVIEW]
    for template_id in ("t1-pre-issue-check", "t1-annual-review-check"):
        assert NEWEST[template_id].agencies == ["send_service"]


def test_tier2_templates_are_scoped_to_their_agencies() -> None:
    scopes = {i: t.agencies for i, t in NEWEST.items() if t.tier is Tier.SINGLE_AGENCY}
    assert scopes == {
        "t2-education-advice-audit": ["education"],
        "t2-health-advice-audit": ["health"],
        "t2-social-care-advice-audit": ["childrens_social_care", "adult_social_care"],
    }
    for template_id in scopes:
        assert NEWEST[template_id].subjects == [Subject.ADVICE, Subject.FINAL_PLAN]
    for template_id in (
        "t1-agency-advice-self-check",
        "t3-multi-agency-new-plan",
        "t3-annual-review",
        "t3-refusal-decision-audit",
        "t4-system-leader-review",
    ):
        assert NEWEST[template_id].agencies == []


# --- Every version: questions say how to judge them ------------------------------------------------


@pytest.mark.parametrize("template", ALL, ids=lambda t: t.key)
def test_every_question_says_how_to_judge_and_what_good_looks_like(template: Template) -> None:
    for q in template.questions():
        assert len(q.text) >= 25 and q.text.endswith("?"), q.id
        assert len(q.guidance.split()) >= 12, q.id
        assert len(q.what_good_looks_like.split()) >= 8, q.id
        assert q.guidance != q.what_good_looks_like != q.text, q.id
        assert q.references, q.id


@pytest.mark.parametrize("template", ALL, ids=lambda t: t.key)
def test_ids_are_unique_and_not_applicable_needs_a_condition(template: Template) -> None:
    question_ids = [q.id for q in template.questions()]
    assert len(question_ids) == len(set(question_ids))
    section_ids = [s.id for s in template.sections]
    assert len(section_ids) == len(set(section_ids))
    for q in template.questions():
        if q.not_applicable.allowed:
            assert q.not_applicable.when and len(q.not_applicable.when.split()) >= 4, q.id
        else:
            assert q.not_applicable.when is None, q.id


def test_a_question_id_belongs_to_one_checklist() -> None:
    owners: dict[str, str] = {}
    for template in ALL:
        for q in template.questions():
            assert owners.setdefault(q.id, template.id) == template.id, q.id


def test_a_question_id_kept_across_versions_asks_the_same_question() -> None:
    """Ids stay stable only where the meaning is unchanged: the question's text is the same."""
    for template_id in V1_IDS:
        old, new = _questions(V1[template_id]), _questions(NEWEST[template_id])
        for question_id in old.keys() & new.keys():
            assert old[question_id].text == new[question_id].text, question_id


@pytest.mark.parametrize("template", ALL, ids=lambda t: t.key)
def test_limiting_sections_hold_the_limiting_questions(template: Template) -> None:
    allowed = LIMITING_PLAN_SECTIONS if template.version == 1 and template.id in V1_IDS else LIMITING_PLAN_SECTIONS_V2
    for section in template.sections:
        assert section.limiting == any(q.limiting for q in section.questions), section.id
        for q in section.questions:
            if q.limiting:
                assert set(q.plan_sections) & allowed, q.id


# --- Version 1 stays exactly as it was -------------------------------------------------------------


def test_version_1_coordinator_check_is_still_the_60_question_benchmark() -> None:
    template = V1["t1-coordinator-plan-check"]
    covered = {p for s in template.sections for p in s.plan_sections}
    assert {"A", "B", "C", "D", "E", "F", "G", "H1", "H2", "I", "J", "K", "whole_plan", "process"} <= covered
    limiting = {s.plan_sections[0] for s in template.sections if s.limiting}
    assert limiting == {"B", "C", "D", "E", "F", "G", "H1"}
    assert _questions(template)["T1-P-01"].what_good_looks_like.endswith("(5 weeks 2 days).")  # as published


@pytest.mark.parametrize("template_id", sorted(V1_IDS - {"t4-system-leader-review"}))
def test_version_1_keeps_its_inline_grading_rules(template_id: str) -> None:
    grading = V1[template_id].grading
    assert (grading.scale, grading.mode, grading.uncapped, grading.exemplary) == (
        "ofsted4",
        "rules",
        "good",
        "outstanding",
    )
    assert grading.others_max_bands_above == 1
    assert [c.model_dump() for c in grading.caps] == OFSTED_CAPS
    assert grading.rule is None and grading.overall_caps == []


def test_version_1_tier4_is_a_judgement_that_needs_consent() -> None:
    template = V1["t4-system-leader-review"]
    assert template.requires_consent is True
    assert (template.grading.scale, template.grading.mode) == ("family_experience3", "judgement")
    assert template.questions()[0].id == "T4-01" and "consent" in template.questions()[0].text.lower()


# --- Version 2: grading rules, shared tests and breaches ------------------------------------------


@pytest.mark.parametrize("template_id", sorted((V1_IDS | NEW_IDS) - {"t4-system-leader-review"}))
def test_new_checklists_are_graded_with_the_published_plan_quality_rule(template_id: str) -> None:
    grading = NEWEST[template_id].grading
    assert grading.rule is not None and (grading.rule.id, grading.rule.version) == ("plan-quality", 2)
    assert grading.mode == "rules" and grading.overall_caps


def test_new_tier4_uses_the_published_family_experience_rule() -> None:
    template = NEWEST["t4-system-leader-review"]
    assert template.requires_consent is True
    assert template.grading.rule is not None and (template.grading.rule.id, template.grading.rule.version) == (
        "family-experience",
        2,
    )
    assert template.grading.mode == "judgement"


def test_the_same_test_has_the_same_basis_and_limiting_on_every_checklist() -> None:
    uses: dict[str, list[tuple[str, Question]]] = defaultdict(list)
    for template in NEWEST.values():
        for q in template.questions():
            if q.test:
                uses[q.test].append((template.id, q))
    for test, questions in uses.items():
        assert len({(q.basis, q.limiting) for _, q in questions}) == 1, (test, [(t, q.id) for t, q in questions])
    # The tests the review names are shared across tiers, so grades from different tiers compare.
    tiers = {test: {NEWEST[t].tier for t, _ in questions} for test, questions in uses.items()}
    for test in (
        "golden-thread",
        "child-brought-to-life",
        "advice-carried-in-undiluted",
        "advice-chased",
        "advice-on-time",
    ):
        assert len(tiers[test]) >= 2, test
    assert {q.basis.value for _, q in uses["golden-thread"]} == {"good_practice"}
    assert {(q.basis.value, q.limiting) for _, q in uses["advice-carried-in-undiluted"]} == {("statutory", True)}
    assert {q.basis.value for _, q in uses["advice-chased"]} == {"good_practice"}


def test_breaches_are_only_on_statutory_questions_and_cover_each_kind_of_breach() -> None:
    found = set()
    for template in NEWEST.values():
        for q in template.questions():
            if q.breach is not None:
                assert q.statutory, q.id
                found.add(q.breach.value)
    assert found == {
        "views_missing",
        "advice_missing",
        "needs_not_specified",
        "provision_not_specified",
        "pfa_missing",
        "setting_named_at_draft",
        "placement_not_named",
        "decision_notice_defective",
        "review_process_breach",
        "issued_late",
        "review_lapsed",
        "advice_late",
    }


@pytest.mark.parametrize("template_id", sorted(V1_IDS | NEW_IDS))
def test_statutory_questions_cite_their_law_and_cop_paragraphs_are_checked_or_ranges(template_id: str) -> None:
    for q in NEWEST[template_id].questions():
        if q.statutory:
            assert [r for r in q.references if r != "local QA framework"], q.id  # the law or the Code, not local policy
        for reference in q.references:
            for paragraph in re.findall(r"CoP (\d+\.\d+)(?![-\d])", reference):
                assert paragraph in CHECKED_COP_PARAGRAPHS or re.search(rf"\d-{re.escape(paragraph)}", reference), (
                    q.id,
                    reference,
                )


# --- The ten ranked corrections --------------------------------------------------------------------


def test_1_the_childs_voice_limits_the_grade_and_is_a_breach() -> None:
    for question_id in ("T1-A-01", "T1-A-05", "T3-N-32", "T3-AR-06", "T1-PI-01", "T1-ARC-05"):
        q = _newest_question(question_id)
        assert q.statutory and q.limiting and q.breach is not None and q.breach.value == "views_missing", question_id
    for template_id in (
        "t1-coordinator-plan-check",
        "t3-multi-agency-new-plan",
        "t3-annual-review",
        "t1-pre-issue-check",
    ):
        voice = [s for s in NEWEST[template_id].sections if "A" in s.plan_sections]
        assert voice and all(s.limiting for s in voice), template_id
    assert "T3-N-04" not in _questions(
        NEWEST["t3-multi-agency-new-plan"]
    )  # split into views (N-32) and portrait (N-33)


@pytest.mark.parametrize(
    ("template_id", "merged", "replaced"),
    [
        ("t1-coordinator-plan-check", "T1-C-04", {"T1-C-01", "T1-C-02"}),
        ("t1-coordinator-plan-check", "T1-D-05", {"T1-D-01", "T1-D-02"}),
        ("t2-health-advice-audit", "T2-H-17", {"T2-H-02", "T2-H-03"}),
        ("t2-social-care-advice-audit", "T2-S-16", {"T2-S-02"}),
        ("t1-agency-advice-self-check", "T1-ADV-15", {"T1-ADV-06"}),
    ],
)
def test_2_needs_or_an_explicit_none_is_one_question(template_id: str, merged: str, replaced: set[str]) -> None:
    questions = _questions(NEWEST[template_id])
    assert not replaced & questions.keys()
    q = questions[merged]
    assert "none were identified" in q.text and q.statutory and q.limiting
    assert not q.not_applicable.allowed  # always answerable: there are needs, or there are none
    assert replaced <= _questions(V1[template_id]).keys()


def test_2_questions_that_assume_needs_allow_na_when_there_are_none() -> None:
    for question_id in (
        "T1-G-01",
        "T1-G-03",
        "T1-H-01",
        "T1-D-06",
        "T2-H-07",
        "T2-H-12",
        "T2-S-17",
        "T3-N-18",
        "T3-N-36",
    ):
        q = _newest_question(question_id)
        assert q.not_applicable.allowed and "no" in q.not_applicable.when.lower(), question_id


def test_3_social_care_need_not_status_is_asked_at_tiers_1_2_and_3() -> None:
    ids = {"T1-D-06", "T2-S-17", "T3-N-36", "T1-PI-08"}
    for question_id in ids:
        q = _newest_question(question_id)
        assert q.test == "social-care-need-not-status" and "status" in q.text
        assert _cites(q, "reg 12(1)(d)") and q.breach is not None and q.breach.value == "needs_not_specified"


def test_4_preparing_for_adulthood_from_year_9_is_statutory() -> None:
    t1 = _questions(NEWEST["t1-coordinator-plan-check"])
    assert "T1-F-08" not in t1 and not t1["T1-F-09"].statutory  # transition stays good practice
    for question_id in ("T1-F-10", "T3-N-37"):
        q = _newest_question(question_id)
        assert q.statutory and _cites(q, "reg 12(3)") and q.breach is not None and q.breach.value == "pfa_missing"
        assert "Year 9" in (q.not_applicable.when or "")
    assert _cites(t1["T1-K-04"], "reg 6(1)(i)") and t1["T1-K-04"].statutory
    adv11 = _newest_question("T1-ADV-11")
    assert adv11.statutory and adv11.basis == _newest_question("T2-E-10").basis and _cites(adv11, "reg 6(1)(i)")
    assert not _questions(V1["t1-agency-advice-self-check"])["T1-ADV-11"].statutory


def test_5_young_people_lead_their_own_plans_after_compulsory_school_age() -> None:
    for question_id in ("T1-A-09", "T3-N-35", "T3-AR-20", "T1-PI-03", "T1-ARC-07"):
        q = _newest_question(question_id)
        assert _cites(q, "CFA 2014 s19", "CFA 2014 s80", "CFA 2014 s83(2)", "CoP Annex 1"), question_id
        assert "last Friday in June of Year 11" in (q.not_applicable.when or ""), question_id
        assert "capacity" in q.text
    for question_id in ("T1-A-08", "T3-N-34", "T3-AR-19"):  # parents' views: as the young person wishes
        q = _newest_question(question_id)
        assert "as the young person wishes" in q.text and q.not_applicable.allowed, question_id
    for old in ("T1-A-02", "T3-N-05", "T3-AR-07"):
        assert all(old not in _questions(t) for t in NEWEST.values())


def test_6_advice_is_timed_from_the_agencys_receipt_with_the_advice_exceptions() -> None:
    on_time = [q for t in NEWEST.values() for q in t.questions() if q.test == "advice-on-time"]
    assert {q.id for q in on_time} == {"T1-ADV-16", "T2-E-18", "T2-H-18", "T2-S-18", "T3-N-41"}
    for q in on_time:
        assert "receiv" in q.text and _cites(q, "reg 8(1)", "reg 8(2)"), q.id
        guidance = q.guidance.lower()
        assert all(words in guidance for words in ("exceptional circumstances", "4 weeks", "missed appointment")), q.id
        assert q.breach is not None and q.breach.value == "advice_late"
    for old in ("T1-ADV-12", "T2-E-14", "T2-H-14", "T2-S-14", "T3-N-28"):
        assert all(old not in _questions(t) for t in NEWEST.values())


def test_7_the_annual_review_audit_is_complete_and_co_ordinators_have_a_check() -> None:
    review = _questions(NEWEST["t3-annual-review"])
    assert _cites(review["T3-AR-21"], "reg 18(2)") and "5 months" in review["T3-AR-21"].text
    assert _cites(review["T3-AR-22"], "reg 21")
    assert _cites(review["T3-AR-23"], "CFA 2014 s45", "reg 29", "reg 30", "reg 31")
    assert _cites(review["T3-AR-16"], "Devon", "[2022] EWHC 493")
    assert review["T3-AR-01"].breach is not None and review["T3-AR-01"].breach.value == "review_lapsed"
    check = NEWEST["t1-annual-review-check"]
    assert check.tier is Tier.AGENCY_CHECK and check.subjects == [Subject.ANNUAL_REVIEW]
    texts = " ".join(q.text for q in check.questions())
    assert "proposed amendments" in texts and "specific" in texts and "review report" in texts


def test_8_refusal_decisions_have_their_own_checklist() -> None:
    refusal = NEWEST["t3-refusal-decision-audit"]
    assert refusal.subjects == [Subject.REFUSAL_DECISION] and refusal.tier is Tier.MULTI_AGENCY
    questions = refusal.questions()
    references = " ".join(r for q in questions for r in q.references)
    for law in ("CFA 2014 s36(8)", "CFA 2014 s37(1)", "reg 5(3)", "reg 10(3)", "reg 32"):
        assert law in references, law
    notice = [q for q in questions if q.breach is not None and q.breach.value == "decision_notice_defective"]
    notice_text = " ".join(q.text for q in notice).lower()
    for content in ("appeal", "time limit", "mediation", "disagreement resolution", "information, advice and support"):
        assert content in notice_text, content
    legal_tests = [q for q in questions if q.test in ("assessment-legal-test", "plan-legal-test")]
    assert len(legal_tests) == 2 and all(q.limiting and q.not_applicable.allowed for q in legal_tests)


def test_9_one_label_per_test_is_covered_above_and_changed_labels_match_the_review() -> None:
    assert not _newest_question("T3-N-01").statutory  # golden thread: good practice, as at Tier 1
    assert _newest_question("T1-F-06").statutory and _newest_question("T1-F-06").limiting
    assert _newest_question("T3-N-25").limiting
    assert not _newest_question("T1-E-06").statutory and not _newest_question("T1-E-02").statutory
    assert not _newest_question("T2-H-01").statutory and _newest_question("T2-H-16").statutory


def test_10_tier4_has_paths_for_declined_consent_and_non_verbal_children() -> None:
    template = NEWEST["t4-system-leader-review"]
    questions = _questions(template)
    for question_id in ("T4-02", "T4-04", "T4-05", "T4-06", "T4-07", "T4-08", "T4-09", "T4-13"):
        assert DECLINED in (questions[question_id].not_applicable.when or ""), question_id
    consent = template.questions()[0]
    assert consent.id == "T4-15" and not consent.statutory
    assert _cites(consent, "local QA framework", "UK GDPR Art 6(1)(e)")
    assert (
        "public task" in consent.guidance
        and "assent" in consent.text
        and "last Friday in June of Year 11" in consent.guidance
    )
    assert not any(r == "UK GDPR" for q in template.questions() for r in q.references)  # no bare "statutory UK GDPR"
    assert DECLINED not in (questions["T4-16"].not_applicable.when or "") and "paper review" in questions["T4-16"].text
    assert "communicate verbally" in questions["T4-17"].text
    assert "T4-01" not in questions and "T4-14" not in questions


# --- Also worth doing ------------------------------------------------------------------------------


def test_sensory_teacher_health_agreement_and_name_and_type_of_institution() -> None:
    for question_id in ("T1-K-05", "T2-E-17"):
        assert _cites(_newest_question(question_id), "reg 6(3)"), question_id
    for question_id in ("T1-G-03", "T2-H-12", "T3-N-18"):
        assert _cites(_newest_question(question_id), "reg 12(2)"), question_id
    for question_id in ("T1-I-04", "T3-N-40"):
        q = _newest_question(question_id)
        assert "name and the type" in q.text and _cites(q, "reg 12(1)(i)")
        assert q.breach is not None and q.breach.value == "placement_not_named"


def test_provision_is_judged_by_what_a_parent_would_know_each_week() -> None:
    for question_id in ("T1-F-11", "T3-N-38"):
        assert "what their child gets each week" in _newest_question(question_id).text


def test_draft_only_and_peer_challenge_questions_can_be_na_so_they_never_block() -> None:
    """A check must be submitted before peer challenge can be requested, so the questions about the
    challenge itself, and those a draft cannot show yet, must be answerable N/A."""
    for question_id in ("T1-P-02", "T1-X-01", "T1-X-02", "T3-N-29"):
        assert _newest_question(question_id).not_applicable.allowed, question_id
    assert not _questions(V1["t1-coordinator-plan-check"])["T1-X-01"].not_applicable.allowed


_DATE = r"(\d{1,2}) (January|February|March|April|May|June|July|August|September|October|November|December)"
_WORKED = re.compile(_DATE + r"[^()]*?" + _DATE + r" \((\d+) weeks?(?: (\d+) days?)?\)")
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def _arithmetic_slips(template: Template) -> dict[str, str]:
    """Worked examples 'D Month ... D Month (N weeks M days)' whose count is wrong (non-leap year)."""
    slips = {}
    for q in template.questions():
        for match in _WORKED.finditer(q.what_good_looks_like):
            d1, m1, d2, m2, weeks, days = match.groups()
            start = date(2025, _MONTHS.index(m1) + 1, int(d1))
            end = date(2025, _MONTHS.index(m2) + 1, int(d2))
            if end < start:
                end = end.replace(year=2026)
            if (end - start).days != int(weeks) * 7 + int(days or 0):
                slips[q.id] = match.group(0)
    return slips


def test_worked_example_arithmetic_is_right_in_every_newest_checklist() -> None:
    assert {i: s for t in NEWEST.values() for i, s in _arithmetic_slips(t).items()} == {}
    assert "(5 weeks 3 days)" in _newest_question("T1-P-01").what_good_looks_like
    assert "(5 weeks 4 days)" in _newest_question("T3-N-26").what_good_looks_like


def test_the_arithmetic_check_finds_the_slips_published_in_version_1() -> None:
    slips = {i: s for t in V1.values() if t.id in V1_IDS for i, s in _arithmetic_slips(t).items()}
    assert set(slips) == {"T1-P-01", "T3-N-26", "T2-S-14"}


# --- The new Tier 1 checks repeat the full checklists word for word ----------------------------------


@pytest.mark.parametrize(
    ("short_id", "full_id", "prefix"),
    [
        ("t1-pre-issue-check", "t1-coordinator-plan-check", "T1-PI-"),
        ("t1-annual-review-check", "t3-annual-review", "T1-ARC-"),
    ],
)
def test_short_checks_ask_the_shared_questions_exactly_as_the_full_checklist(
    short_id: str, full_id: str, prefix: str
) -> None:
    full = {q.test: q for q in NEWEST[full_id].questions() if q.test}
    shared = 0
    for q in NEWEST[short_id].questions():
        assert q.id.startswith(prefix)
        if q.test in full:
            shared += 1
            same = full[q.test].model_dump(exclude={"id"})
            assert q.model_dump(exclude={"id"}) == same, q.id
    assert shared >= len(NEWEST[short_id].questions()) - 2


def test_pre_issue_check_is_short_and_keeps_the_enforceable_core() -> None:
    template = NEWEST["t1-pre-issue-check"]
    assert 15 <= len(template.questions()) <= 25
    tests = {q.test for q in template.questions()}
    assert {
        "child-views",
        "sen-in-b",
        "health-needs-or-none",
        "social-care-needs-or-none",
        "outcomes-smart",
        "every-need-has-provision",
        "provision-quantified",
        "statutory-advice-complete",
        "setting-blank-at-draft",
        "issued-in-20-weeks",
    } <= tests
    full = NEWEST["t1-coordinator-plan-check"]
    assert len(full.questions()) > 2 * len(template.questions())  # the full check stays the benchmark


@pytest.mark.parametrize(
    ("template_id", "phrase"),
    [
        ("t1-coordinator-plan-check", "bring the child to life"),
        ("t1-coordinator-plan-check", "general terms"),
        ("t1-coordinator-plan-check", "not known to social care"),
        ("t1-coordinator-plan-check", "status"),
        ("t1-coordinator-plan-check", "21st week"),
        ("t1-pre-issue-check", "general terms"),
    ],
)
def test_known_weaknesses_are_visible(template_id: str, phrase: str) -> None:
    text = " ".join(f"{q.text} {q.guidance}" for q in NEWEST[template_id].questions()).lower()
    assert phrase in text


def test_template_readme_lists_every_newest_checklist_with_its_count() -> None:
    readme = (DEFAULT_TEMPLATE_DIR / "README.md").read_text(encoding="utf-8")
    for template in NEWEST.values():
        row = next(
            line for line in readme.splitlines() if line.startswith(f"| `{template.id}.v{template.version}.yaml`")
        )
        assert f"| {len(template.questions())} (" in row, row


def test_readme_states_every_shared_test_with_its_basis() -> None:
    readme = (DEFAULT_TEMPLATE_DIR / "README.md").read_text(encoding="utf-8")
    for template in NEWEST.values():
        for q in template.questions():
            if q.test and not q.test.startswith("review-"):
                owners = {t.id for t in NEWEST.values() for x in t.questions() if x.test == q.test}
                if len(owners) > 1:
                    row = next(line for line in readme.splitlines() if line.startswith(f"| `{q.test}` |"))
                    assert q.id in row, (q.test, q.id)
                    assert ("statutory" if q.statutory else "good practice") in row, q.test


def test_no_shipped_checklist_names_a_machine_path() -> None:
    """Nothing shipped names a path of a developer's machine."""
    for path in DEFAULT_TEMPLATE_DIR.glob("*.yaml"):
        assert not re.search(r"(/home/|/work/|/Users/|C:\\\\)", path.read_text(encoding="utf-8")), path.name
