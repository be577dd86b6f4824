"""The shape of a checklist template, validated when a YAML file is loaded.

Templates are data edited by QA leads, so the model is strict (unknown keys are errors) and every
rule that a careless edit could break is checked here, with the failing field's path reported by
the loader.
"""

from __future__ import annotations

import enum
import re
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from qaframework.framework import GRADE_SCALES, Breach, GradeScale, Rating, Subject, Tier

#: Plan sections of an EHC plan (Reg 12(1), CoP 9.62), plus the non-section parts audits cover.
PLAN_SECTIONS: dict[str, str] = {
    "A": "Views, interests and aspirations",
    "B": "Special educational needs",
    "C": "Health needs",
    "D": "Social care needs",
    "E": "Outcomes",
    "F": "Special educational provision",
    "G": "Health provision",
    "H1": "Social care provision (CSDPA s2)",
    "H2": "Other social care provision",
    "I": "Placement",
    "J": "Personal budget",
    "K": "Advice and information",
    "whole_plan": "The plan as a whole",
    "process": "Process and timeliness",
    "advice": "The agency's advice",
    "conversation": "Conversation with the family",
}

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
#: Ids of templates, grading rules and shared tests: lower case, digits and hyphens.
SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
#: How a template refers to a published grading rule file: ``<rule-id>.v<N>``.
RULE_REFERENCE = re.compile(r"^(?P<id>[a-z0-9][a-z0-9-]*)\.v(?P<version>[1-9][0-9]*)$")


def _known_plan_sections(value: list[str]) -> list[str]:
    unknown = [s for s in value if s not in PLAN_SECTIONS]
    if unknown:
        raise ValueError(f"unknown plan section(s) {unknown}; use {sorted(PLAN_SECTIONS)}")
    return value


def _not_a_bool(value: object) -> object:
    """YAML reads ``yes``/``true`` as booleans, which would quietly become tier 1."""
    if isinstance(value, bool):
        raise ValueError(f"expected a tier number 1 to 4, got {value!r} (put text in quotes)")
    return value


PlanSections = Annotated[list[str], Field(min_length=1), AfterValidator(_known_plan_sections)]


class Basis(enum.StrEnum):
    """Whether a check enforces the law or the area's good practice."""

    STATUTORY = "statutory"
    GOOD_PRACTICE = "good_practice"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class NotApplicable(Strict):
    """When a question may be answered N/A. A reason is always required with N/A."""

    allowed: bool = False
    when: str | None = Field(default=None, description="The condition in which N/A is right, shown to auditors.")

    @model_validator(mode="after")
    def _when_needed(self) -> NotApplicable:
        if self.allowed and not self.when:
            raise ValueError("say 'when' N/A is allowed, so auditors know the condition")
        return self


class Question(Strict):
    id: Annotated[str, Field(pattern=ID_PATTERN, max_length=40)]
    text: Annotated[str, Field(min_length=10)]
    guidance: Annotated[str, Field(min_length=10)]
    what_good_looks_like: Annotated[str, Field(min_length=10)]
    basis: Basis
    references: list[str] = Field(default_factory=list)
    plan_sections: PlanSections
    #: A "Not met" here makes the plan unenforceable: it caps the section at the worst grade.
    limiting: bool = False
    not_applicable: NotApplicable = NotApplicable()
    #: The shared test this question applies (e.g. ``golden-thread``); the same test must have the
    #: same basis and limiting flag on every tier, so grades from different tiers compare.
    test: Annotated[str | None, Field(pattern=SLUG_PATTERN, max_length=60)] = None
    #: A Not met here is a statutory-compliance breach of this kind, reported beside the grade.
    breach: Breach | None = None

    @model_validator(mode="after")
    def _breach_is_statutory(self) -> Question:
        if self.breach is not None and self.basis is not Basis.STATUTORY:
            raise ValueError(
                f"breach: only a statutory question can record a statutory breach ({self.breach.value!r}); "
                "set 'basis: statutory' or remove 'breach'"
            )
        return self

    @property
    def statutory(self) -> bool:
        return self.basis is Basis.STATUTORY


class Section(Strict):
    id: Annotated[str, Field(pattern=ID_PATTERN, max_length=40)]
    title: Annotated[str, Field(min_length=3)]
    plan_sections: PlanSections
    #: Limiting sections bound the overall grade (B, E, F and C/G, D/H where needs exist).
    limiting: bool = False
    description: str | None = None
    questions: list[Question] = Field(min_length=1)


class CapRule(Strict):
    """One grading rule: a response matching ``when`` caps its section's grade at ``cap``."""

    rating: Literal["partially_met", "not_met"]
    statutory: bool | None = None
    limiting: bool | None = None
    cap: str

    def matches(self, rating: Rating, statutory: bool, limiting: bool) -> bool:
        return (
            rating.value == self.rating
            and (self.statutory is None or self.statutory == statutory)
            and (self.limiting is None or self.limiting == limiting)
        )


class OverallCapRule(CapRule):
    """A whole-audit ceiling: ``at_least`` matching answers, counted across every section, hold the
    overall grade at most at ``cap`` (so a statutory failure anywhere is seen in the headline)."""

    at_least: Annotated[int, Field(ge=1, le=1000, strict=True)] = 1


_KINDS = [(statutory, limiting) for statutory in (True, False) for limiting in (True, False)]


class GradingRules(Strict):
    """Declarative rules that turn responses into a suggested grade (docs/domain-notes.md §1).

    ``mode: rules`` suggests grades; ``mode: judgement`` (Tier 4) leaves the grade to the reviewer.
    The keys are the same whether written inline in a template (v1) or in a shared rule file.
    """

    scale: str = "ofsted4"
    mode: Literal["rules", "judgement"] = "rules"
    #: A section with no cap gets this grade ...
    uncapped: str | None = "good"
    #: ... or this one when every response is Met and the auditor marks the section exemplary.
    exemplary: str | None = "outstanding"
    caps: list[CapRule] = Field(default_factory=list)
    #: The overall grade is at most this many bands above the lowest non-limiting section.
    others_max_bands_above: Annotated[int, Field(ge=0, le=3)] = 1
    #: Ceilings on the overall grade from answers counted across the whole audit.
    overall_caps: list[OverallCapRule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _grades_on_scale(self) -> GradingRules:
        if self.scale not in GRADE_SCALES:
            raise ValueError(f"unknown grade scale {self.scale!r}; use one of {sorted(GRADE_SCALES)}")
        scale = GRADE_SCALES[self.scale]
        named = (
            [("uncapped", self.uncapped), ("exemplary", self.exemplary)]
            + [(f"caps[{i}].cap", rule.cap) for i, rule in enumerate(self.caps)]
            + [(f"overall_caps[{i}].cap", rule.cap) for i, rule in enumerate(self.overall_caps)]
        )
        for where, grade in named:
            if grade is not None and grade not in scale.codes:
                raise ValueError(f"{where}: {grade!r} is not a grade on the {self.scale} scale {list(scale.codes)}")
        if self.mode == "rules" and self.uncapped is None:
            raise ValueError("rules mode needs an 'uncapped' grade")
        if self.mode == "judgement" and self.overall_caps:
            raise ValueError("overall_caps: judgement mode suggests no grade, so it cannot cap one; remove them")
        if self.uncapped and self.exemplary and scale.rank(self.exemplary) < scale.rank(self.uncapped):
            raise ValueError(
                f"exemplary: {self.exemplary!r} is worse than uncapped {self.uncapped!r}; marking a section "
                "exemplary must never lower its grade"
            )
        # A worse response must never earn a better grade: for the same question kind, the cap
        # for Not met must be no better than the cap for Partially met.
        for statutory, limiting in _KINDS:
            partial = self.cap_for(Rating.PARTIALLY_MET, statutory, limiting)
            not_met = self.cap_for(Rating.NOT_MET, statutory, limiting)
            if scale.rank(not_met) > scale.rank(partial):
                raise ValueError(
                    "caps: 'not_met' would grade better than 'partially_met' for "
                    f"statutory={statutory}, limiting={limiting}; a worse response must never raise a grade"
                )
        self._check_overall_caps_monotone(scale)
        return self

    def _check_overall_caps_monotone(self, scale: GradeScale) -> None:
        """Turning a counted Partially met into Not met lowers that rule's count; a rule for a single
        Not met on the same kind of question must then hold the grade at least as low, or a worse
        answer would lift the cap (a Partially met rule's count only rises as answers get worse)."""
        for index, rule in enumerate(self.overall_caps):
            if rule.rating != Rating.PARTIALLY_MET.value:
                continue
            for statutory, limiting in _KINDS:
                if not rule.matches(Rating.PARTIALLY_MET, statutory, limiting):
                    continue
                single = [
                    r.cap
                    for r in self.overall_caps
                    if r.at_least == 1 and r.matches(Rating.NOT_MET, statutory, limiting)
                ]
                if not single or scale.rank(scale.worst(single)) > scale.rank(rule.cap):
                    kind = f"{'statutory' if statutory else 'good-practice'}, {'' if limiting else 'not '}limiting"
                    raise ValueError(
                        f"overall_caps[{index}]: turning one of these Partially met answers ({kind} questions) "
                        f"into Not met would lift the cap at {rule.cap!r}; add an overall cap "
                        f"{{rating: not_met, ..., cap: {rule.cap}}} (at_least 1) covering the same questions, "
                        "so a worse answer never raises a grade"
                    )

    def cap_for(self, rating: Rating, statutory: bool, limiting: bool) -> str:
        """The grade ceiling a single response imposes on its section (the scale's best if none)."""
        scale = GRADE_SCALES[self.scale]
        caps = [r.cap for r in self.caps if r.matches(rating, statutory, limiting)]
        return scale.worst(caps) if caps else scale.codes[0]


class RuleInfo(Strict):
    """Which published rule file a template's grading came from, and how to explain it."""

    id: Annotated[str, Field(pattern=SLUG_PATTERN, max_length=60)]
    version: Annotated[int, Field(ge=1, strict=True)]
    title: Annotated[str, Field(min_length=3)]
    #: One line, shown beside the grade: "Graded with rule plan-quality v2: <summary>".
    summary: Annotated[str, Field(min_length=10, max_length=300)]
    #: Plain English, shown on the guidance page auditors read.
    description: Annotated[str, Field(min_length=10)]

    @property
    def key(self) -> str:
        return f"{self.id}.v{self.version}"


class Grading(GradingRules):
    """A template's grading: its own inline rules (``rule`` None) or a copy of a shared rule file.

    The rule file's content is copied in when the template is loaded, so a stored template version
    keeps the exact rules its audits were graded with even if the folder changes later.
    """

    rule: RuleInfo | None = None


class GradingRuleFile(GradingRules):
    """One published, versioned grading rule file (``audit_templates/grading/<id>.v<N>.yaml``)."""

    id: Annotated[str, Field(pattern=SLUG_PATTERN, max_length=60)]
    version: Annotated[int, Field(ge=1, strict=True)]
    title: Annotated[str, Field(min_length=3)]
    summary: Annotated[str, Field(min_length=10, max_length=300)]
    description: Annotated[str, Field(min_length=10)]

    @property
    def key(self) -> str:
        return f"{self.id}.v{self.version}"

    def as_grading(self) -> Grading:
        """The rules as a template carries them, stamped with where they came from."""
        identity = {"id", "version", "title", "summary", "description"}
        rules = self.model_dump(exclude=identity)
        info = RuleInfo(**self.model_dump(include=identity))
        return Grading.model_validate({**rules, "rule": info.model_dump()})


#: Passed as validation context when loading template files: the published rule files by key.
GRADING_RULES_CONTEXT = "grading_rules"


class Template(Strict):
    """One version of one checklist. An audit pins ``(id, version)`` for ever."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=60)]
    version: Annotated[int, Field(ge=1, strict=True)]
    title: Annotated[str, Field(min_length=5)]
    description: Annotated[str, Field(min_length=10)]
    tier: Annotated[Tier, BeforeValidator(_not_a_bool)]
    #: The agencies whose auditors use it; empty for templates any agency (or a panel) may use.
    agencies: list[str] = Field(default_factory=list)
    subjects: list[Subject] = Field(min_length=1)
    grading: Grading = Grading()
    #: Tier 4 conversational audits need recorded consent before they start.
    requires_consent: bool = False
    sections: list[Section] = Field(min_length=1)

    @field_validator("grading", mode="before")
    @classmethod
    def _resolve_rule_reference(cls, value: object, info: ValidationInfo) -> object:
        """``grading: plan-quality.v2`` names a published rule file; copy its rules in.

        Rule files are passed as validation context by the loader. Stored templates hold the
        copied rules (with ``rule``), so they validate without any files.
        """
        context = info.context if isinstance(info.context, dict) else {}
        rules = context.get(GRADING_RULES_CONTEXT)
        if isinstance(value, str):
            reference = value.strip()
            if RULE_REFERENCE.match(reference) is None:
                raise ValueError(
                    f"{reference!r} is not a grading rule reference: write '<rule-id>.v<N>' "
                    "(e.g. 'plan-quality.v2') or the rules as a mapping"
                )
            if rules is None:
                raise ValueError(f"grading rule {reference!r} can only be used when loading template files")
            if reference not in rules:
                known = ", ".join(sorted(rules)) or "none"
                raise ValueError(
                    f"there is no grading rule {reference!r} in the grading folder (published rules: {known})"
                )
            rule = rules[reference]
            if not isinstance(rule, GradingRuleFile):
                raise ValueError(f"grading rule {reference!r} has problems (listed with its file); fix them first")
            return rule.as_grading()
        if isinstance(value, dict) and rules is not None and "rule" in value:
            raise ValueError(
                "'rule' is filled in from a rule file: write 'grading: <rule-id>.v<N>' to use one, "
                "or leave 'rule' out of rules written in the template"
            )
        return value

    @model_validator(mode="after")
    def _unique_ids(self) -> Template:
        seen_sections: set[str] = set()
        seen_questions: set[str] = set()
        for s_index, section in enumerate(self.sections):
            if section.id in seen_sections:
                raise ValueError(f"sections[{s_index}].id: duplicate section id {section.id!r}")
            seen_sections.add(section.id)
            for q_index, question in enumerate(section.questions):
                if question.id in seen_questions:
                    raise ValueError(
                        f"sections[{s_index}].questions[{q_index}].id: duplicate question id {question.id!r}"
                    )
                seen_questions.add(question.id)
        return self

    @property
    def key(self) -> str:
        return f"{self.id}@v{self.version}"

    @property
    def scale(self) -> GradeScale:
        return GRADE_SCALES[self.grading.scale]

    def questions(self) -> list[Question]:
        return [q for s in self.sections for q in s.questions]

    def question(self, question_id: str) -> Question:
        for q in self.questions():
            if q.id == question_id:
                return q
        raise KeyError(question_id)

    def section_of(self, question_id: str) -> Section:
        for s in self.sections:
            if any(q.id == question_id for q in s.questions):
                return s
        raise KeyError(question_id)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
