"""Suggested grades follow the template's rules, and responses only ever move grades the right way."""

from __future__ import annotations

from typing import Any, Literal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from qaframework.checklists.model import (
    Basis,
    CapRule,
    Grading,
    NotApplicable,
    OverallCapRule,
    Question,
    Section,
    Template,
)
from qaframework.framework import GRADE_SCALES, OFSTED4, Rating, Subject, Tier
from qaframework.scoring import (
    Answer,
    GradeSuggestion,
    MissingItem,
    completeness,
    overall_grade,
    rating_counts,
    suggest_grades,
)

MET, PARTIAL, NOT_MET, NA = Rating.MET, Rating.PARTIALLY_MET, Rating.NOT_MET, Rating.NOT_APPLICABLE
TEXT = "Some words long enough for the model."

#: The rule set proposed in docs/domain-notes.md §1.
DOMAIN_GRADING = Grading(
    caps=[
        CapRule(rating="not_met", statutory=True, cap="requires_improvement"),
        CapRule(rating="not_met", limiting=True, cap="inadequate"),
        CapRule(rating="partially_met", limiting=True, cap="requires_improvement"),
    ]
)


def regrade(**changes: object) -> Grading:
    """DOMAIN_GRADING with some fields changed, validated by the model as a YAML file would be."""
    return Grading.model_validate({**DOMAIN_GRADING.model_dump(), **changes})


def question(qid: str, *, statutory: bool = False, limiting: bool = False, na: bool = False) -> Question:
    return Question(
        id=qid,
        text=TEXT,
        guidance=TEXT,
        what_good_looks_like=TEXT,
        basis=Basis.STATUTORY if statutory else Basis.GOOD_PRACTICE,
        plan_sections=["whole_plan"],
        limiting=limiting,
        not_applicable=NotApplicable(allowed=na, when="the condition is absent" if na else None),
    )


def section(sid: str, *questions: Question, limiting: bool = False) -> Section:
    return Section(
        id=sid, title=f"Section {sid}", plan_sections=["whole_plan"], limiting=limiting, questions=list(questions)
    )


def template(*sections: Section, grading: Grading = DOMAIN_GRADING) -> Template:
    return Template(
        id="t1-plan-check",
        version=1,
        title="Plan check",
        description="A hand-built template for tests.",
        tier=Tier.AGENCY_CHECK,
        subjects=[Subject.FINAL_PLAN],
        grading=grading,
        sections=list(sections),
    )


# A plan check: B and F limiting, A not.
PLAN = template(
    section("A", question("A-01"), question("A-02", statutory=True)),
    section("B", question("B-01", statutory=True), question("B-02", statutory=True, limiting=True), limiting=True),
    section("F", question("F-01", statutory=True, limiting=True), question("F-02", na=True), limiting=True),
)
ALL_MET = {q.id: MET for q in PLAN.questions()}


def with_(**changes: Rating | Answer) -> dict[str, Rating | Answer]:
    answers: dict[str, Rating | Answer] = dict(ALL_MET)
    answers.update({k.replace("_", "-"): v for k, v in changes.items()})
    return answers


class TestExamples:
    def test_all_met_is_good(self) -> None:
        assert suggest_grades(PLAN, ALL_MET) == GradeSuggestion({"A": "good", "B": "good", "F": "good"}, "good")

    def test_statutory_not_met_requires_improvement(self) -> None:
        result = suggest_grades(PLAN, with_(A_02=NOT_MET))
        assert result.sections["A"] == "requires_improvement"

    def test_good_practice_not_met_does_not_cap_below_uncapped(self) -> None:
        assert suggest_grades(PLAN, with_(A_01=NOT_MET)).sections["A"] == "good"

    def test_limiting_not_met_is_inadequate(self) -> None:
        result = suggest_grades(PLAN, with_(B_02=NOT_MET))
        assert result.sections["B"] == "inadequate"
        assert result.overall == "inadequate"

    def test_limiting_partially_met(self) -> None:
        assert suggest_grades(PLAN, with_(F_01=PARTIAL)).sections["F"] == "requires_improvement"

    def test_all_met_and_exemplary_is_outstanding(self) -> None:
        result = suggest_grades(PLAN, ALL_MET, exemplary_sections={"A", "B", "F"})
        assert result == GradeSuggestion({"A": "outstanding", "B": "outstanding", "F": "outstanding"}, "outstanding")

    def test_exemplary_allows_na_but_needs_every_question_answered(self) -> None:
        assert suggest_grades(PLAN, with_(F_02=NA), exemplary_sections={"F"}).sections["F"] == "outstanding"
        unanswered = with_()
        del unanswered["F-02"]
        assert suggest_grades(PLAN, unanswered, exemplary_sections={"F"}).sections["F"] == "good"

    def test_exemplary_flag_ignored_unless_all_met(self) -> None:
        assert suggest_grades(PLAN, with_(A_01=PARTIAL), exemplary_sections={"A"}).sections["A"] == "good"

    def test_exemplary_worse_than_uncapped_is_rejected_by_the_model(self) -> None:
        with pytest.raises(ValidationError, match="never lower its grade"):
            regrade(exemplary="requires_improvement")

    def test_exemplary_none_in_template_keeps_uncapped(self) -> None:
        plain = template(*PLAN.sections, grading=regrade(exemplary=None))
        assert suggest_grades(plain, ALL_MET, exemplary_sections={"A"}).sections["A"] == "good"

    def test_overall_is_lowest_limiting_section(self) -> None:
        # B requires improvement (statutory not met), F good, A good → overall RI.
        result = suggest_grades(PLAN, with_(B_01=NOT_MET))
        assert result.sections == {"A": "good", "B": "requires_improvement", "F": "good"}
        assert result.overall == "requires_improvement"

    def test_overall_at_most_one_band_above_lowest_other(self) -> None:
        # Limiting B and F outstanding, other section A requires improvement → overall good, not outstanding.
        result = suggest_grades(PLAN, with_(A_02=NOT_MET), exemplary_sections={"B", "F"})
        assert result.sections == {"A": "requires_improvement", "B": "outstanding", "F": "outstanding"}
        assert result.overall == "good"

    def test_others_bands_above_zero_means_lowest_of_all(self) -> None:
        strict = template(*PLAN.sections, grading=regrade(others_max_bands_above=0))
        assert suggest_grades(strict, with_(A_02=NOT_MET)).overall == "requires_improvement"

    def test_without_limiting_sections_overall_is_lowest(self) -> None:
        flat = template(section("A", question("A-01", statutory=True)), section("C", question("C-01")))
        assert suggest_grades(flat, {"A-01": NOT_MET, "C-01": MET}).overall == "requires_improvement"

    def test_nothing_gradable(self) -> None:
        assert suggest_grades(PLAN, {}) == GradeSuggestion({"A": None, "B": None, "F": None}, None)
        only_na = suggest_grades(PLAN, {"F-02": Answer(NA, na_reason="No personal budget requested")})
        assert only_na.overall is None

    def test_ungraded_section_is_left_out_of_overall(self) -> None:
        result = suggest_grades(PLAN, {"A-01": MET, "A-02": MET})
        assert result.sections == {"A": "good", "B": None, "F": None}
        assert result.overall == "good"

    def test_judgement_mode_suggests_nothing(self) -> None:
        tier4 = template(*PLAN.sections, grading=Grading(mode="judgement"))
        assert suggest_grades(tier4, with_(B_02=NOT_MET)) == GradeSuggestion({"A": None, "B": None, "F": None}, None)

    def test_answers_and_bare_ratings_and_strings_mean_the_same(self) -> None:
        as_answers = {k: Answer(v, evidence="seen") for k, v in with_(A_02=NOT_MET).items() if isinstance(v, Rating)}
        as_strings = {k: str(v) for k, v in with_(A_02=NOT_MET).items()}
        expected = suggest_grades(PLAN, with_(A_02=NOT_MET))
        assert suggest_grades(PLAN, as_answers) == expected
        # Strings are outside the declared type on purpose: callers holding form data pass them.
        assert suggest_grades(PLAN, as_strings) == expected  # type: ignore[arg-type]

    def test_unknown_question_ids_are_ignored(self) -> None:
        assert suggest_grades(PLAN, {**ALL_MET, "Z-99": NOT_MET}) == suggest_grades(PLAN, ALL_MET)

    def test_other_scale(self) -> None:
        family = Grading(
            scale="family_experience3",
            uncapped="positive",
            exemplary=None,
            caps=[CapRule(rating="not_met", cap="negative"), CapRule(rating="partially_met", cap="mixed")],
        )
        t = template(section("X", question("X-01"), question("X-02")), grading=family)
        assert suggest_grades(t, {"X-01": MET, "X-02": PARTIAL}).overall == "mixed"


def test_overall_grade_helper() -> None:
    assert overall_grade(OFSTED4, [], [], 1) is None
    assert overall_grade(OFSTED4, ["good"], [], 1) == "good"
    assert overall_grade(OFSTED4, ["outstanding"], ["inadequate"], 1) == "requires_improvement"
    assert overall_grade(OFSTED4, ["outstanding"], ["inadequate"], 3) == "outstanding"
    assert overall_grade(OFSTED4, ["inadequate"], ["outstanding"], 1) == "inadequate"


class TestCompleteness:
    def test_complete_audit_has_nothing_missing(self) -> None:
        answers = {q.id: Answer(MET) for q in PLAN.questions()}
        assert completeness(PLAN, answers) == []

    def test_messages_in_template_order(self) -> None:
        answers = {
            "A-01": Answer(PARTIAL, evidence="   "),
            # A-02 not answered
            "B-01": Answer(NA, na_reason="n/a"),
            "B-02": Answer(NOT_MET, evidence="Provision in F is not quantified."),
            "F-01": Answer(NOT_MET),
            "F-02": Answer(NA),
        }
        assert completeness(PLAN, answers) == [
            MissingItem("A-01", "A", "Give the evidence for rating A-01 as partially met"),
            MissingItem("A-02", "A", "Select a rating for A-02"),
            MissingItem("B-01", "B", "B-01 cannot be marked not applicable: select Met, Partially met or Not met"),
            MissingItem("F-01", "F", "Give the evidence for rating F-01 as not met"),
            MissingItem("F-02", "F", "Give a reason why F-02 is not applicable"),
        ]

    def test_na_with_reason_where_allowed_is_complete(self) -> None:
        answers: dict[str, Answer | Rating] = dict(ALL_MET)
        answers["F-02"] = Answer(NA, na_reason="No personal budget was requested")
        assert completeness(PLAN, answers) == []

    def test_bare_rating_needing_evidence_is_flagged(self) -> None:
        assert [m.question_id for m in completeness(PLAN, with_(A_01=NOT_MET))] == ["A-01"]


def test_rating_counts() -> None:
    answers: dict[str, Answer | Rating] = {
        "a": MET,
        "b": Answer(MET),
        "c": Answer(None),
        "d": Answer(NA, na_reason="x"),
        "e": NOT_MET,
    }
    counts = rating_counts(answers)
    assert counts == {MET: 2, PARTIAL: 0, NOT_MET: 1, NA: 1}
    assert rating_counts([MET, PARTIAL]) == {MET: 1, PARTIAL: 1, NOT_MET: 0, NA: 0}


# --- properties over random templates ------------------------------------------------------------

CHOICES: list[Rating | None] = [None, NA, NOT_MET, PARTIAL, MET]
BETTER = {NOT_MET: PARTIAL, PARTIAL: MET}


@st.composite
def gradings(draw: st.DrawFn) -> Grading:
    scale_code = draw(st.sampled_from(sorted(GRADE_SCALES)))
    scale = GRADE_SCALES[scale_code]
    grade = st.sampled_from(scale.codes)
    caps: list[CapRule] = []
    for _ in range(draw(st.integers(0, 4))):
        filters: dict[str, Any] = {
            "statutory": draw(st.sampled_from([None, True, False])),
            "limiting": draw(st.sampled_from([None, True, False])),
        }
        rating: Literal["partially_met", "not_met"] = draw(st.sampled_from(["partially_met", "not_met"]))
        cap = draw(grade)
        caps.append(CapRule(rating=rating, cap=cap, **filters))
        if rating == "partially_met":
            # Mirror each partial rule with a no-better not-met rule so the template stays valid.
            worse = [c for c in scale.codes if scale.rank(c) <= scale.rank(cap)]
            caps.append(CapRule(rating="not_met", cap=draw(st.sampled_from(worse)), **filters))
    overall_caps: list[OverallCapRule] = []
    for _ in range(draw(st.integers(0, 3))):
        filters = {
            "statutory": draw(st.sampled_from([None, True, False])),
            "limiting": draw(st.sampled_from([None, True, False])),
        }
        rating = draw(st.sampled_from(["partially_met", "not_met"]))
        cap = draw(grade)
        overall_caps.append(OverallCapRule(rating=rating, cap=cap, at_least=draw(st.integers(1, 4)), **filters))
        if rating == "partially_met":
            # The loader demands a single-Not-met cap at least as low over the same questions.
            worse = [c for c in scale.codes if scale.rank(c) <= scale.rank(cap)]
            overall_caps.append(OverallCapRule(rating="not_met", cap=draw(st.sampled_from(worse)), **filters))
    uncapped = draw(grade)
    no_worse = [c for c in scale.codes if scale.rank(c) >= scale.rank(uncapped)]
    return Grading(
        scale=scale_code,
        uncapped=uncapped,
        exemplary=draw(st.one_of(st.none(), st.sampled_from(no_worse))),
        caps=caps,
        overall_caps=overall_caps,
        others_max_bands_above=draw(st.integers(0, 3)),
    )


@st.composite
def templates(draw: st.DrawFn) -> Template:
    sections = []
    n = 0
    for s in range(draw(st.integers(1, 4))):
        questions = []
        for _ in range(draw(st.integers(1, 4))):
            n += 1
            questions.append(
                question(f"Q{n}", statutory=draw(st.booleans()), limiting=draw(st.booleans()), na=draw(st.booleans()))
            )
        sections.append(section(f"S{s}", *questions, limiting=draw(st.booleans())))
    return template(*sections, grading=draw(gradings()))


@st.composite
def cases(draw: st.DrawFn) -> tuple[Template, dict[str, Rating | None], set[str]]:
    t = draw(templates())
    answers = {q.id: draw(st.sampled_from(CHOICES)) for q in t.questions()}
    exemplary = draw(st.sets(st.sampled_from([s.id for s in t.sections])))
    return t, answers, exemplary


def grade(t: Template, answers: dict[str, Rating | None], exemplary: set[str]) -> GradeSuggestion:
    return suggest_grades(t, {k: v for k, v in answers.items() if v is not None}, exemplary)


def no_worse(t: Template, before: str | None, after: str | None) -> bool:
    if before is None or after is None:
        return before is None and after is None
    return t.scale.rank(after) >= t.scale.rank(before)


@settings(max_examples=200, deadline=None)
@given(cases(), st.data())
def test_improving_an_answer_never_lowers_a_grade(case: Any, data: st.DataObject) -> None:
    t, answers, exemplary = case
    improvable = [qid for qid, rating in answers.items() if rating in BETTER]
    assume(improvable)
    qid = data.draw(st.sampled_from(improvable))
    before = grade(t, answers, exemplary)
    after = grade(t, {**answers, qid: BETTER[answers[qid]]}, exemplary)
    for sid in before.sections:
        assert no_worse(t, before.sections[sid], after.sections[sid])
    assert no_worse(t, before.overall, after.overall)


@settings(max_examples=200, deadline=None)
@given(cases(), st.data())
def test_unanswered_to_na_changes_no_grade(case: Any, data: st.DataObject) -> None:
    t, answers, exemplary = case
    unanswered = [qid for qid, rating in answers.items() if rating is None]
    assume(unanswered)
    qid = data.draw(st.sampled_from(unanswered))
    changed = {**answers, qid: NA}
    before, after = grade(t, answers, exemplary), grade(t, changed, exemplary)
    sid = t.section_of(qid).id
    in_section = [changed[q.id] for q in t.section_of(qid).questions]
    completes_exemplary = (
        sid in exemplary
        and t.grading.exemplary is not None
        and None not in in_section
        and MET in in_section
        and all(r in (MET, NA) for r in in_section)
    )
    if completes_exemplary:
        # The one documented exception: answering the last question lets an exemplary flag count.
        assert after.sections[sid] == t.scale.best([t.grading.uncapped, t.grading.exemplary])
        assert {k: v for k, v in after.sections.items() if k != sid} == {
            k: v for k, v in before.sections.items() if k != sid
        }
    else:
        assert after == before


@settings(max_examples=200, deadline=None)
@given(cases(), st.data())
def test_graded_to_na_leaves_other_sections_alone(case: Any, data: st.DataObject) -> None:
    t, answers, exemplary = case
    graded = [qid for qid, rating in answers.items() if rating in (MET, PARTIAL, NOT_MET)]
    assume(graded)
    qid = data.draw(st.sampled_from(graded))
    before, after = grade(t, answers, exemplary), grade(t, {**answers, qid: NA}, exemplary)
    sid = t.section_of(qid).id
    for other in before.sections:
        if other != sid:
            assert after.sections[other] == before.sections[other]


@settings(max_examples=100, deadline=None)
@given(cases(), st.randoms(use_true_random=False))
def test_deterministic_and_order_independent(case: Any, rnd: Any) -> None:
    t, answers, exemplary = case
    first = grade(t, answers, exemplary)
    items = list(answers.items())
    rnd.shuffle(items)
    assert grade(t, dict(items), set(exemplary)) == first
    assert grade(t, answers, exemplary) == first
    assert list(first.sections) == [s.id for s in t.sections]


@settings(max_examples=200, deadline=None)
@given(cases())
def test_section_grades_are_bounded_by_uncapped_unless_exemplary(case: Any) -> None:
    t, answers, exemplary = case
    result = grade(t, answers, exemplary)
    for g in result.sections.values():
        if g is not None and g != t.grading.exemplary:
            assert t.scale.rank(g) <= t.scale.rank(t.grading.uncapped)
    if all(g is None for g in result.sections.values()):
        assert result.overall is None
    else:
        assert result.overall is not None


@pytest.mark.parametrize("rating", [PARTIAL, NOT_MET])
def test_completeness_never_flags_met_or_reasoned_na(rating: Rating) -> None:
    answers: dict[str, Answer | Rating] = {q.id: Answer(MET) for q in PLAN.questions()}
    answers["A-01"] = Answer(rating, evidence="Outcomes in E are not SMART.")
    answers["F-02"] = Answer(NA, na_reason="No personal budget was requested.")
    assert completeness(PLAN, answers) == []
