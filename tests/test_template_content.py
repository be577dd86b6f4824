"""The checklists we ship: they load cleanly and say what auditors need to know."""

from __future__ import annotations

import pytest

from qaframework.checklists.loader import DEFAULT_TEMPLATE_DIR, check_paths
from qaframework.checklists.model import Template
from qaframework.framework import Subject, Tier

EXPECTED_IDS = {
    "t1-coordinator-plan-check",
    "t1-agency-advice-self-check",
    "t2-education-advice-audit",
    "t2-health-advice-audit",
    "t2-social-care-advice-audit",
    "t3-multi-agency-new-plan",
    "t3-annual-review",
    "t4-system-leader-review",
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


@pytest.fixture(scope="module")
def shipped() -> dict[str, Template]:
    templates, problems = check_paths([DEFAULT_TEMPLATE_DIR])
    assert [str(p) for p in problems] == []
    return {t.id: t for t in templates}


def all_templates() -> list[Template]:
    templates, _ = check_paths([DEFAULT_TEMPLATE_DIR])
    return templates


def test_exactly_the_eight_templates_ship_at_version_1(shipped: dict[str, Template]) -> None:
    assert set(shipped) == EXPECTED_IDS
    assert {t.version for t in shipped.values()} == {1}
    assert sorted(p.name for p in DEFAULT_TEMPLATE_DIR.glob("*.yaml")) == sorted(f"{i}.v1.yaml" for i in EXPECTED_IDS)


def test_tiers_and_subjects(shipped: dict[str, Template]) -> None:
    tiers = {i: t.tier for i, t in shipped.items()}
    assert tiers == {
        "t1-coordinator-plan-check": Tier.AGENCY_CHECK,
        "t1-agency-advice-self-check": Tier.AGENCY_CHECK,
        "t2-education-advice-audit": Tier.SINGLE_AGENCY,
        "t2-health-advice-audit": Tier.SINGLE_AGENCY,
        "t2-social-care-advice-audit": Tier.SINGLE_AGENCY,
        "t3-multi-agency-new-plan": Tier.MULTI_AGENCY,
        "t3-annual-review": Tier.MULTI_AGENCY,
        "t4-system-leader-review": Tier.SYSTEM_LEADER,
    }
    assert shipped["t1-coordinator-plan-check"].subjects == [Subject.DRAFT_PLAN, Subject.FINAL_PLAN]
    assert shipped["t1-agency-advice-self-check"].subjects == [Subject.ADVICE]
    assert shipped["t3-annual-review"].subjects == [Subject.ANNUAL_REVIEW]
    assert shipped["t4-system-leader-review"].subjects == [Subject.FINAL_PLAN, Subject.ANNUAL_REVIEW]


def test_coordinator_check_is_the_60_question_benchmark(shipped: dict[str, Template]) -> None:
    template = shipped["t1-coordinator-plan-check"]
    assert len(template.questions()) == 60
    assert template.agencies == ["send_service"]
    covered = {p for s in template.sections for p in s.plan_sections}
    assert {"A", "B", "C", "D", "E", "F", "G", "H1", "H2", "I", "J", "K", "whole_plan", "process"} <= covered
    per_plan_section = {s.plan_sections[0]: len(s.questions) for s in template.sections}
    # The sections that carry most of a plan's weight get the most questions.
    assert min(per_plan_section[p] for p in "ABEF") > max(per_plan_section[p] for p in "CDGIJK")


@pytest.mark.parametrize(
    ("template_id", "phrase"),
    [
        ("t1-coordinator-plan-check", "bring the child to life"),
        ("t1-coordinator-plan-check", "general terms"),
        ("t1-coordinator-plan-check", "not known to social care"),
        ("t1-coordinator-plan-check", "21st week"),
    ],
)
def test_known_weaknesses_are_visible(shipped: dict[str, Template], template_id: str, phrase: str) -> None:
    text = " ".join(f"{q.text} {q.guidance}" for q in shipped[template_id].questions()).lower()
    assert phrase in text


@pytest.mark.parametrize(
    ("template_id", "low", "high"),
    [
        ("t1-agency-advice-self-check", 12, 16),
        ("t2-education-advice-audit", 12, 16),
        ("t2-health-advice-audit", 12, 16),
        ("t2-social-care-advice-audit", 12, 16),
        ("t3-multi-agency-new-plan", 25, 35),
        ("t3-annual-review", 15, 20),
        ("t4-system-leader-review", 10, 14),
    ],
)
def test_question_counts_are_in_range(shipped: dict[str, Template], template_id: str, low: int, high: int) -> None:
    assert low <= len(shipped[template_id].questions()) <= high


@pytest.mark.parametrize("template", all_templates(), ids=lambda t: t.id)
def test_every_question_says_how_to_judge_and_what_good_looks_like(template: Template) -> None:
    for q in template.questions():
        assert len(q.text) >= 25 and q.text.endswith("?"), q.id
        assert len(q.guidance.split()) >= 12, q.id
        assert len(q.what_good_looks_like.split()) >= 8, q.id
        assert q.guidance != q.what_good_looks_like != q.text, q.id
        assert q.references, q.id


@pytest.mark.parametrize("template", all_templates(), ids=lambda t: t.id)
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


def test_question_ids_do_not_collide_across_templates(shipped: dict[str, Template]) -> None:
    owners: dict[str, str] = {}
    for template in shipped.values():
        for q in template.questions():
            assert owners.setdefault(q.id, template.id) == template.id, q.id


@pytest.mark.parametrize("template", all_templates(), ids=lambda t: t.id)
def test_limiting_sections_hold_the_limiting_questions(template: Template) -> None:
    for section in template.sections:
        assert section.limiting == any(q.limiting for q in section.questions), section.id
        for q in section.questions:
            if q.limiting:
                assert set(q.plan_sections) & (LIMITING_PLAN_SECTIONS | {"advice"}), q.id


def test_coordinator_limiting_sections_are_the_enforceable_ones(shipped: dict[str, Template]) -> None:
    limiting = {s.plan_sections[0] for s in shipped["t1-coordinator-plan-check"].sections if s.limiting}
    assert limiting == {"B", "C", "D", "E", "F", "G", "H1"}


def test_not_applicable_is_used_where_the_condition_can_be_absent(shipped: dict[str, Template]) -> None:
    template = shipped["t1-coordinator-plan-check"]
    na = {q.id for q in template.questions() if q.not_applicable.allowed}
    assert {"T1-E-05", "T1-J-02", "T1-I-01", "T1-I-02", "T1-G-01", "T1-H-01"} <= na
    # Core statutory checks can never be waved through as N/A.
    assert not na & {"T1-A-01", "T1-B-01", "T1-E-01", "T1-F-01", "T1-F-02", "T1-J-01", "T1-K-01", "T1-P-03"}


@pytest.mark.parametrize("template_id", sorted(EXPECTED_IDS - {"t4-system-leader-review"}))
def test_ofsted_templates_use_the_agreed_rules(shipped: dict[str, Template], template_id: str) -> None:
    grading = shipped[template_id].grading
    assert (grading.scale, grading.mode, grading.uncapped, grading.exemplary) == (
        "ofsted4",
        "rules",
        "good",
        "outstanding",
    )
    assert grading.others_max_bands_above == 1
    assert [c.model_dump() for c in grading.caps] == OFSTED_CAPS
    assert shipped[template_id].requires_consent is False


def test_tier4_requires_consent_and_is_a_judgement(shipped: dict[str, Template]) -> None:
    template = shipped["t4-system-leader-review"]
    assert template.requires_consent is True
    assert template.grading.scale == "family_experience3"
    assert template.grading.mode == "judgement"
    assert template.grading.caps == []
    assert template.grading.uncapped is None and template.grading.exemplary is None
    assert template.questions()[0].id == "T4-01" and "consent" in template.questions()[0].text.lower()


def test_tier2_templates_are_scoped_to_their_agencies(shipped: dict[str, Template]) -> None:
    scopes = {i: t.agencies for i, t in shipped.items() if t.tier is Tier.SINGLE_AGENCY}
    assert scopes == {
        "t2-education-advice-audit": ["education"],
        "t2-health-advice-audit": ["health"],
        "t2-social-care-advice-audit": ["childrens_social_care", "adult_social_care"],
    }
    for template_id in scopes:
        assert shipped[template_id].subjects == [Subject.ADVICE, Subject.FINAL_PLAN]


def test_any_agency_and_panel_templates_are_unscoped(shipped: dict[str, Template]) -> None:
    for template_id in (
        "t1-agency-advice-self-check",
        "t3-multi-agency-new-plan",
        "t3-annual-review",
        "t4-system-leader-review",
    ):
        assert shipped[template_id].agencies == []
