"""Grading that matches the law (domain review §2): v1 audits grade exactly as before, a better
answer never lowers a grade under the shipped rules, and every §2.2 scenario that v1 gets wrong
is graded right by v2."""

from __future__ import annotations

import random
from collections.abc import Callable, Collection, Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qaframework.checklists.loader import DEFAULT_TEMPLATE_DIR, check_folder
from qaframework.checklists.model import Template
from qaframework.framework import GOOD_OR_BETTER, Rating
from qaframework.scoring import GradeSuggestion, suggest_grades

MET, PARTIAL, NOT_MET, NA = Rating.MET, Rating.PARTIALLY_MET, Rating.NOT_MET, Rating.NOT_APPLICABLE
SHIPPED = check_folder([DEFAULT_TEMPLATE_DIR])
V1 = {t.id: t for t in SHIPPED.templates if t.version == 1}
#: The version 1 checklists that carry their own inline rules (new checklists start at v1 on a rule file).
RULED_V1 = [t for t in V1.values() if t.grading.mode == "rules" and t.grading.rule is None]


# --- v1 audits grade exactly as before ---------------------------------------------------------------


def v1_reference(template: Template, answers: Mapping[str, Rating], exemplary: Collection[str]) -> GradeSuggestion:
    """The v1 rules as audit_templates/README.md states them, written out independently of scoring.py.

    Section: the lowest cap of its answers (best grade when none), at most ``uncapped``; raised to
    ``exemplary`` when flagged, complete and all Met. Overall: the lowest limiting section, and no
    more than ``others_max_bands_above`` bands above the lowest other section.
    """
    g, scale = template.grading, template.scale
    sections: dict[str, str | None] = {}
    for section in template.sections:
        rated = [(q, answers.get(q.id)) for q in section.questions]
        counted = [(q, r) for q, r in rated if r is not None and r is not NA]
        if not counted:
            sections[section.id] = None
            continue
        ranks = [scale.rank(g.uncapped or scale.codes[0])]
        ranks += [
            scale.rank(cap.cap)
            for q, r in counted
            for cap in g.caps
            if cap.rating == r.value and cap.statutory in (None, q.statutory) and cap.limiting in (None, q.limiting)
        ]
        grade_rank = min(ranks)
        if (
            section.id in exemplary
            and g.exemplary is not None
            and all(r is not None for _, r in rated)
            and all(r is MET for _, r in counted)
        ):
            grade_rank = max(grade_rank, scale.rank(g.exemplary))
        sections[section.id] = scale.from_rank(grade_rank)
    limiting = [scale.rank(v) for s in template.sections if s.limiting and (v := sections[s.id]) is not None]
    others = [scale.rank(v) for s in template.sections if not s.limiting and (v := sections[s.id]) is not None]
    if limiting and others:
        overall: str | None = scale.from_rank(min(*limiting, min(others) + g.others_max_bands_above))
    elif limiting or others:
        overall = scale.from_rank(min(limiting or others))
    else:
        overall = None
    return GradeSuggestion(sections, overall)


def answer_sets(template: Template, seed: int) -> list[tuple[dict[str, Rating], set[str]]]:
    """All Met; each question alone Partially met, Not met and N/A; and 40 random mixtures."""
    ids = [q.id for q in template.questions()]
    everything = {s.id for s in template.sections}
    base = dict.fromkeys(ids, MET)
    sets: list[tuple[dict[str, Rating], set[str]]] = [(base, set()), (base, everything)]
    sets.extend(({**base, qid: rating}, set()) for qid in ids for rating in (PARTIAL, NOT_MET, NA))
    rnd = random.Random(seed)
    for _ in range(40):
        weights = rnd.choice([(8, 1, 1, 1, 1), (2, 2, 2, 1, 1), (1, 1, 3, 0, 0)])
        answers = {
            qid: r
            for qid in ids
            if (r := rnd.choices([MET, PARTIAL, NOT_MET, NA, None], weights)[0]) is not None
        }
        sets.append((answers, set(rnd.sample(sorted(everything), rnd.randint(0, len(everything))))))
    return sets


@pytest.mark.parametrize("template", RULED_V1, ids=lambda t: t.key)
def test_every_v1_template_suggests_what_its_own_rules_say(template: Template) -> None:
    assert template.grading.rule is None and template.grading.overall_caps == []
    for answers, exemplary in answer_sets(template, seed=len(template.id)):
        assert suggest_grades(template, answers, exemplary) == v1_reference(template, answers, exemplary)


def test_the_reference_is_not_trivially_agreeing() -> None:
    """The answer sets reach every grade, so agreement above is not agreement on 'good' alone."""
    t1 = V1["t1-coordinator-plan-check"]
    overall = {v1_reference(t1, a, e).overall for a, e in answer_sets(t1, seed=1)}
    assert overall >= {"outstanding", "good", "requires_improvement", "inadequate"}


# --- a better answer never lowers a grade, on the shipped rules ------------------------------------

BETTER = {NOT_MET: PARTIAL, PARTIAL: MET}


def shipped_with_rules() -> list[Template]:
    """Every shipped template that suggests grades: v1 with inline rules and v2 on plan-quality.v2."""
    templates = [t for t in SHIPPED.templates if t.grading.mode == "rules"]
    assert {t.grading.rule.key if t.grading.rule else None for t in templates} == {None, "plan-quality.v2"}
    return templates


@st.composite
def shipped_cases(draw: st.DrawFn) -> tuple[Template, dict[str, Rating], str, set[str]]:
    template = draw(st.sampled_from(shipped_with_rules()))
    ids = [q.id for q in template.questions()]
    answers = {qid: draw(st.sampled_from([MET, MET, PARTIAL, NOT_MET, NA])) for qid in ids}
    improvable = [qid for qid, r in answers.items() if r in BETTER] or ids[:1]
    qid = draw(st.sampled_from(improvable))
    answers.setdefault(qid, NOT_MET)
    if answers[qid] not in BETTER:
        answers[qid] = NOT_MET
    exemplary = draw(st.sets(st.sampled_from([s.id for s in template.sections])))
    return template, answers, qid, exemplary


@settings(max_examples=300, deadline=None)
@given(shipped_cases())
def test_a_better_answer_never_lowers_a_grade_under_v1_or_v2_rules(
    case: tuple[Template, dict[str, Rating], str, set[str]],
) -> None:
    template, answers, qid, exemplary = case
    before = suggest_grades(template, answers, exemplary)
    after = suggest_grades(template, {**answers, qid: BETTER[answers[qid]]}, exemplary)
    scale = template.scale
    for sid, grade in before.sections.items():
        improved = after.sections[sid]
        assert (grade is None) == (improved is None)
        if grade is not None and improved is not None:
            assert scale.rank(improved) >= scale.rank(grade)
    assert before.overall is not None and after.overall is not None
    assert scale.rank(after.overall) >= scale.rank(before.overall)


# --- the §2.2 scenarios --------------------------------------------------------------------------------


def v2_of(template_id: str) -> Template:
    """The shipped version 2 of a checklist, which is graded with plan-quality v2."""
    template = next(t for t in SHIPPED.templates if t.id == template_id and t.version == 2)
    assert template.grading.rule is not None and template.grading.rule.key == "plan-quality.v2"
    return template


Scenario = Callable[[Template], dict[str, Rating]]


def sections_not_met(*section_ids: str) -> Scenario:
    """Every question in these sections Not met, everything else Met."""

    def answers(template: Template) -> dict[str, Rating]:
        missing = set(section_ids) - {s.id for s in template.sections}
        assert not missing, f"{template.key} has no section(s) {missing}"
        return {q.id: NOT_MET if s.id in section_ids else MET for s in template.sections for q in s.questions}

    return answers


def only_met(*section_ids: str) -> Scenario:
    """Every question Not met except those in these sections."""

    def answers(template: Template) -> dict[str, Rating]:
        return {q.id: MET if s.id in section_ids else NOT_MET for s in template.sections for q in s.questions}

    return answers


SCENARIOS: dict[str, tuple[str, Scenario]] = {
    "T1: A, I, J, K, whole plan, process and peer challenge all Not met": (
        "t1-coordinator-plan-check",
        sections_not_met(
            "a-views", "i-placement", "j-personal-budget", "k-advice", "whole-plan", "process", "peer-challenge"
        ),
    ),
    "T3 new plan: voice, co-production, timeliness, advice, whole plan, I/J all Not met": (
        "t3-multi-agency-new-plan",
        sections_not_met("voice-and-co-production", "timeliness", "advice", "whole-plan", "placement-and-budget"),
    ),
    "T3 annual review: late, no notice, no views, no 4-week decision, phase transfer missed": (
        "t3-annual-review",
        only_met("progress-and-provision"),
    ),
}


def suggestion(template: Template, scenario: Scenario) -> GradeSuggestion:
    return suggest_grades(template, scenario(template))


@pytest.mark.parametrize("name", SCENARIOS)
def test_a_statutory_failure_is_good_under_v1_and_never_good_under_v2(name: str) -> None:
    template_id, scenario = SCENARIOS[name]
    v1, v2 = suggestion(V1[template_id], scenario), suggestion(v2_of(template_id), scenario)
    assert v1.overall == "good"  # the defect the review found
    assert v2.overall not in GOOD_OR_BETTER
    statutory_cap = [f for f in v2.held_by if f.rule.rating == "not_met" and f.rule.statutory]
    assert statutory_cap and statutory_cap[0].count > 0


def test_no_views_no_advice_issued_at_week_30_is_not_good_under_v2() -> None:
    """The review's board example: no child's views, advice not appended, issued at week 30."""
    v1, v2 = V1["t1-coordinator-plan-check"], v2_of("t1-coordinator-plan-check")

    def answers(template: Template) -> dict[str, Rating]:
        failing = {"T1-A-01", "T1-K-02", "T1-P-03"}
        return {q.id: NOT_MET if q.id in failing else MET for q in template.questions()}

    assert suggest_grades(v1, answers(v1)).overall == "good"
    assert suggest_grades(v2, answers(v2)).overall in {"requires_improvement", "inadequate"}


def one_partial(question_id: str) -> Scenario:
    def answers(template: Template) -> dict[str, Rating]:
        return {q.id: PARTIAL if q.id == question_id else MET for q in template.questions()}

    return answers


def partials(*question_ids: str) -> Scenario:
    def answers(template: Template) -> dict[str, Rating]:
        return {q.id: PARTIAL if q.id in question_ids else MET for q in template.questions()}

    return answers


def test_one_statutory_partially_met_alone_no_longer_makes_a_plan_requires_improvement() -> None:
    """T1-B-02 (needs described functionally) is statutory and not limiting."""
    v1, v2 = V1["t1-coordinator-plan-check"], v2_of("t1-coordinator-plan-check")
    assert v2.question("T1-B-02").statutory and not v2.question("T1-B-02").limiting
    assert suggestion(v1, one_partial("T1-B-02")).overall == "requires_improvement"
    assert suggestion(v2, one_partial("T1-B-02")).overall == "good"
    two = partials("T1-B-02", "T1-E-04")
    assert suggestion(v1, two).overall == "requires_improvement"
    assert suggestion(v2, two).overall == "good"
    three = partials("T1-B-02", "T1-E-04", "T1-J-01")
    result = suggestion(v2, three)
    assert result.overall == "requires_improvement"
    assert [(f.rule.at_least, f.count) for f in result.held_by] == [(3, 3)]


def test_a_partially_met_on_a_limiting_question_still_requires_improvement() -> None:
    """The review's fourth row, T1-F-02 (quantified provision), is limiting: partly unquantified
    provision is partly unenforceable, so the agreed v2 rule keeps it at Requires improvement."""
    v1, v2 = V1["t1-coordinator-plan-check"], v2_of("t1-coordinator-plan-check")
    assert v2.question("T1-F-02").limiting
    assert suggestion(v1, one_partial("T1-F-02")).overall == "requires_improvement"
    assert suggestion(v2, one_partial("T1-F-02")).overall == "requires_improvement"
    assert suggestion(v2, one_partial("T1-F-02")).sections["f-provision"] == "requires_improvement"


def test_the_v2_grade_is_explained_by_the_cap_that_held_it() -> None:
    v2 = v2_of("t1-coordinator-plan-check")
    held = suggestion(v2, sections_not_met("process")).held_by
    process = next(s for s in v2.sections if s.id == "process")
    statutory = sum(q.statutory for q in process.questions)
    assert statutory >= 2
    assert [f.describe(v2.scale) for f in held] == [
        f"{statutory} statutory questions Not met: overall at most Requires improvement"
    ]
