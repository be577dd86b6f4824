"""Shared, versioned grading rule files: loading, references from templates, overall caps, the
same-test check and immutability once published."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy.orm import Session

from qaframework.checklists.loader import (
    DEFAULT_TEMPLATE_DIR,
    GRADING_DIR_NAME,
    TemplateError,
    check_folder,
    load_rule_text,
    load_template_text,
    shipped_rules,
    template_checksum,
)
from qaframework.checklists.model import GradingRules, OverallCapRule, Question
from qaframework.framework import Breach
from qaframework.operations.base import InvalidInput
from qaframework.operations.templates import sync_templates

BASE_FILE = Path(__file__).parent / "data" / "templates" / "valid.v1.yaml"
BASE = BASE_FILE.read_text(encoding="utf-8")
RULES_DIR = DEFAULT_TEMPLATE_DIR / GRADING_DIR_NAME
INLINE_GRADING = BASE[BASE.index("grading:\n") : BASE.index("sections:\n")]


def with_rule(reference: str, text: str = BASE) -> str:
    """The base template with its inline rules replaced by a reference to a rule file."""
    return text.replace(INLINE_GRADING, f"grading: {reference}\n")


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def line_containing(text: str, fragment: str, start: int = 0) -> int:
    lines = text.splitlines()
    return next(i for i, line in enumerate(lines) if i >= start and fragment in line) + 1


# --- the published rule files ------------------------------------------------------------------------


def test_the_two_published_rules_say_what_the_agreed_interface_says() -> None:
    rules = shipped_rules()
    assert set(rules) == {"plan-quality.v2", "family-experience.v2"}
    plan = rules["plan-quality.v2"]
    assert plan is not None
    assert (plan.scale, plan.mode, plan.uncapped, plan.exemplary, plan.others_max_bands_above) == (
        "ofsted4",
        "rules",
        "good",
        "outstanding",
        1,
    )
    assert [(c.rating, c.statutory, c.limiting, c.cap) for c in plan.caps] == [
        ("not_met", None, True, "inadequate"),
        ("not_met", None, None, "requires_improvement"),
        ("partially_met", None, True, "requires_improvement"),
        ("partially_met", None, None, "good"),
    ]
    assert [(c.rating, c.statutory, c.at_least, c.cap) for c in plan.overall_caps] == [
        ("not_met", True, 1, "requires_improvement"),
        ("partially_met", True, 3, "requires_improvement"),
    ]
    family = rules["family-experience.v2"]
    assert family is not None
    assert (family.mode, family.scale) == ("judgement", "family_experience_area3")
    for rule in (plan, family):
        assert rule.summary and "\n" not in rule.summary
        assert len(rule.description) > 200


def test_a_reference_copies_the_rule_in_with_where_it_came_from() -> None:
    template = load_template_text(with_rule("plan-quality.v2"), "t.yaml")
    rule = template.grading.rule
    assert rule is not None and (rule.id, rule.version, rule.key) == ("plan-quality", 2, "plan-quality.v2")
    published = shipped_rules()["plan-quality.v2"]
    assert published is not None
    assert template.grading.overall_caps == published.overall_caps
    assert template.grading.caps == published.caps
    assert rule.summary == published.summary and rule.description == published.description


def test_a_stored_template_revalidates_without_any_rule_files() -> None:
    from qaframework.checklists.model import Template

    template = load_template_text(with_rule("plan-quality.v2"), "t.yaml")
    again = Template.model_validate(template.model_dump(mode="json"))
    assert again == template
    assert template_checksum(again) == template_checksum(template)


def test_inline_rules_carry_no_rule_identity() -> None:
    template = load_template_text(BASE, "t.yaml")
    assert template.grading.rule is None and template.grading.overall_caps == []


@pytest.mark.parametrize(
    ("reference", "fragment"),
    [
        ("plan-quality.v9", "there is no grading rule 'plan-quality.v9' in the grading folder (published rules: "),
        ("plan-quality", "is not a grading rule reference: write '<rule-id>.v<N>'"),
        ("Plan Quality v2", "is not a grading rule reference"),
    ],
)
def test_a_bad_reference_names_the_grading_line(reference: str, fragment: str) -> None:
    text = with_rule(f'"{reference}"')
    with pytest.raises(TemplateError) as caught:
        load_template_text(text, "t.yaml")
    [problem] = caught.value.problems
    assert (problem.file, problem.path, problem.line) == ("t.yaml", "grading", line_containing(text, "grading:"))
    assert fragment in problem.message


def test_rule_key_written_inline_is_refused() -> None:
    text = BASE.replace("  scale: ofsted4\n", "  scale: ofsted4\n  rule: {id: x, version: 1}\n")
    with pytest.raises(TemplateError, match="'rule' is filled in from a rule file"):
        load_template_text(text, "t.yaml")


def rule_text(**changes: str) -> str:
    text = (RULES_DIR / "plan-quality.v2.yaml").read_text(encoding="utf-8")
    for old, new in changes.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def test_a_broken_rule_file_is_reported_at_its_line_and_its_users_are_told_to_fix_it(tmp_path: Path) -> None:
    broken = rule_text(**{"cap: inadequate}": "cap: dreadful}"})
    rule_file = write(tmp_path / "grading", "plan-quality.v2.yaml", broken)
    template_file = write(tmp_path, "valid.v1.yaml", with_rule("plan-quality.v2"))
    result = check_folder([tmp_path])
    messages = {(p.file, p.path, p.line): p.message for p in result.problems}
    at_rule = (str(rule_file), "caps[0].cap", line_containing(broken, "cap: dreadful"))
    assert "'dreadful' is not a grade on the ofsted4 scale" in messages[at_rule]
    at_template = (str(template_file), "grading", line_containing(with_rule("plan-quality.v2"), "grading:"))
    assert "has problems (listed with its file); fix them first" in messages[at_template]
    assert result.templates == [] and result.rules == [shipped_rules()["family-experience.v2"]]


def test_a_folders_own_rules_win_over_the_shipped_ones(tmp_path: Path) -> None:
    stricter = rule_text(**{"others_max_bands_above: 1": "others_max_bands_above: 0"})
    write(tmp_path / "grading", "plan-quality.v2.yaml", stricter)
    write(tmp_path, "valid.v1.yaml", with_rule("plan-quality.v2"))
    result = check_folder([tmp_path])
    assert result.problems == []
    [template] = result.templates
    assert template.grading.others_max_bands_above == 0


def test_rule_file_name_must_match_id_and_version(tmp_path: Path) -> None:
    write(tmp_path / "grading", "plan-quality.v3.yaml", rule_text())
    write(tmp_path, "valid.v1.yaml", BASE)
    result = check_folder([tmp_path])
    [problem] = result.problems
    assert problem.path == "version" and "file name says version 3 but the file has version 2" in problem.message


def test_unknown_key_in_a_rule_file_lists_the_allowed_keys() -> None:
    with pytest.raises(TemplateError) as caught:
        load_rule_text(rule_text(**{"summary:": "sumary:"}), "r.yaml")
    messages = [p.message for p in caught.value.problems]
    assert any("unknown key 'sumary' (did you mean 'summary'?)" in m and "overall_caps" in m for m in messages)
    assert "required key 'summary' is missing" in messages


def test_checking_the_grading_folder_itself_checks_the_rules() -> None:
    result = check_folder([RULES_DIR])
    assert result.problems == [] and result.templates == []
    assert sorted(r.key for r in result.rules) == ["family-experience.v2", "plan-quality.v2"]


# --- overall caps and monotonicity -------------------------------------------------------------------


def test_overall_partial_cap_without_a_matching_not_met_cap_is_refused_at_its_index() -> None:
    text = rule_text(**{"  - {rating: not_met, statutory: true, cap: requires_improvement}\n": ""})
    with pytest.raises(TemplateError) as caught:
        load_rule_text(text, "r.yaml")
    [problem] = caught.value.problems
    assert problem.path == "overall_caps[0]"
    assert problem.line == line_containing(text, "at_least: 3")
    assert "would lift the cap at 'requires_improvement'" in problem.message


def test_not_met_cap_needing_two_answers_does_not_cover_a_partial_rule() -> None:
    with pytest.raises(ValidationError, match="would lift the cap"):
        GradingRules(
            overall_caps=[
                OverallCapRule(rating="not_met", statutory=True, at_least=2, cap="requires_improvement"),
                OverallCapRule(rating="partially_met", statutory=True, at_least=3, cap="requires_improvement"),
            ]
        )


def test_a_narrower_not_met_cap_does_not_cover_a_broader_partial_rule() -> None:
    with pytest.raises(ValidationError, match="good-practice"):
        GradingRules(
            overall_caps=[
                OverallCapRule(rating="not_met", statutory=True, cap="requires_improvement"),
                OverallCapRule(rating="partially_met", at_least=3, cap="requires_improvement"),
            ]
        )


def test_a_kinder_not_met_cap_is_refused_and_an_equal_or_harsher_one_is_accepted() -> None:
    with pytest.raises(ValidationError, match="would lift the cap"):
        GradingRules(
            overall_caps=[
                OverallCapRule(rating="not_met", cap="good"),
                OverallCapRule(rating="partially_met", at_least=2, cap="requires_improvement"),
            ]
        )
    accepted = GradingRules(
        overall_caps=[
            OverallCapRule(rating="not_met", statutory=True, cap="inadequate"),
            OverallCapRule(rating="not_met", statutory=False, cap="requires_improvement"),
            OverallCapRule(rating="partially_met", at_least=2, cap="requires_improvement"),
        ]
    )
    assert len(accepted.overall_caps) == 3


def test_overall_caps_need_rules_mode_and_grades_on_the_scale() -> None:
    with pytest.raises(ValidationError, match="judgement mode suggests no grade"):
        GradingRules(
            mode="judgement",
            uncapped=None,
            exemplary=None,
            overall_caps=[OverallCapRule(rating="not_met", cap="requires_improvement")],
        )
    with pytest.raises(ValidationError, match=r"overall_caps\[0\].cap: 'bad'"):
        GradingRules(overall_caps=[OverallCapRule(rating="not_met", cap="bad")])
    with pytest.raises(ValidationError, match="greater than or equal to 1"):
        OverallCapRule(rating="not_met", at_least=0, cap="good")


# --- question keys: breach and test ------------------------------------------------------------------


def test_breach_codes_come_from_the_enum_and_only_on_statutory_questions() -> None:
    text = BASE.replace(
        "        references: [SEND Regs 2014 reg 12]\n",
        "        references: [SEND Regs 2014 reg 12]\n        breach: views_missing\n",
    )
    assert load_template_text(text, "t.yaml").question("Q-A-01").breach is Breach.VIEWS_MISSING
    with pytest.raises(TemplateError) as caught:
        load_template_text(text.replace("breach: views_missing", "breach: no_views"), "t.yaml")
    [problem] = caught.value.problems
    assert problem.path == "sections[0].questions[0].breach" and "views_missing" in problem.message
    good_practice = text.replace(
        "        basis: statutory\n        references: [SEND", "        basis: good_practice\n        references: [SEND"
    )
    with pytest.raises(TemplateError, match="only a statutory question can record a statutory breach"):
        load_template_text(good_practice, "t.yaml")


def test_every_breach_has_a_label_and_a_legal_reference() -> None:
    for breach in Breach:
        assert breach.label and breach.reference
        assert any(word in breach.reference for word in ("Reg", "CFA"))
    assert Breach.SETTING_NAMED_AT_DRAFT.reference == "CFA 2014 s38(5)"


def shared_test_file(tid: str, version: int, basis: str, limiting: bool, test: str = "golden-thread") -> str:
    text = BASE.replace("id: valid\nversion: 1\n", f"id: {tid}\nversion: {version}\n")
    return text.replace("      - id: Q-A-01\n", f"      - id: {tid.upper()}-01\n        test: {test}\n").replace(
        "        basis: statutory\n        references: [SEND",
        f"        basis: {basis}\n        limiting: {str(limiting).lower()}\n        references: [SEND",
    )


def test_same_test_with_different_basis_or_limiting_names_both_files_lines_and_ids(tmp_path: Path) -> None:
    first = write(tmp_path, "tone.v1.yaml", shared_test_file("tone", 1, "statutory", False))
    second = write(tmp_path, "ttwo.v1.yaml", shared_test_file("ttwo", 1, "good_practice", True))
    write(tmp_path, "tthree.v1.yaml", shared_test_file("tthree", 1, "statutory", False))
    result = check_folder([tmp_path])
    [problem] = result.problems
    line = line_containing(second.read_text(), "test: golden-thread")
    assert (problem.file, problem.line, problem.path) == (str(second), line, "sections[0].questions[0].test")
    first_line = line_containing(first.read_text(), "test: golden-thread")
    assert problem.message == (
        "test 'golden-thread': TTWO-01 is good practice, limiting but TONE-01 "
        f"({first}:{first_line}) is statutory, not limiting; the same test needs the same basis and "
        "limiting flag on every tier"
    )


def test_same_test_check_looks_only_at_the_newest_version(tmp_path: Path) -> None:
    write(tmp_path, "tone.v1.yaml", shared_test_file("tone", 1, "good_practice", False))
    write(tmp_path, "tone.v2.yaml", shared_test_file("tone", 2, "statutory", True))
    write(tmp_path, "ttwo.v1.yaml", shared_test_file("ttwo", 1, "statutory", True))
    assert check_folder([tmp_path]).problems == []


# --- published means immutable -----------------------------------------------------------------------


def test_the_published_v1_checksums_are_unchanged_by_the_new_keys() -> None:
    """The checksums databases stored for the v1 templates before rule files existed."""
    published = {
        "t1-agency-advice-self-check@v1": "48475e5b1852c16e0fa85dcf39d6ad341621b8bb4b1ff100cb1d0dd19fbc09b6",
        "t1-coordinator-plan-check@v1": "4895228d2e6b08de690672dba9105855a4260258ad444a20c4705b40705905e4",
        "t3-annual-review@v1": "4419ac47bff54cf40da0fddb8dd3a663c1f65fb700d3d8747e94d9e4bfe6bb8f",
        "t4-system-leader-review@v1": "0704dbf977923af40775360bdc3b278aa45d650b1a008d0fe49baaf655a721d5",
    }
    templates = {t.key: t for t in check_folder([DEFAULT_TEMPLATE_DIR]).templates}
    assert {key: template_checksum(templates[key]) for key in published} == published


def test_a_published_rule_edited_without_a_new_version_is_refused_by_name(session: Session, tmp_path: Path) -> None:
    write(tmp_path, "ruled-check.v1.yaml", with_rule("plan-quality.v2", BASE.replace("id: valid", "id: ruled-check")))
    write(tmp_path, "ruled-other.v1.yaml", with_rule("plan-quality.v2", BASE.replace("id: valid", "id: ruled-other")))
    shutil.copytree(RULES_DIR, tmp_path / "grading")
    first = check_folder([tmp_path])
    assert first.problems == []
    assert sorted(sync_templates(session, None, first.templates).added) == ["ruled-check@v1", "ruled-other@v1"]
    edited = rule_text(**{"at_least: 3": "at_least: 2"})
    (tmp_path / "grading" / "plan-quality.v2.yaml").write_text(edited, encoding="utf-8")
    second = check_folder([tmp_path])
    assert second.problems == []
    with pytest.raises(InvalidInput) as refused:
        sync_templates(session, None, second.templates)
    [error] = refused.value.errors
    assert error.field == "plan-quality.v2"
    assert error.message == (
        "grading rule plan-quality version 2 is already in use (by ruled-check@v1) and its content has changed; "
        "save the change as plan-quality.v3 and publish new template versions that use it"
    )


def test_question_model_defaults_keep_old_content_valid() -> None:
    old = {
        "id": "Q-1",
        "text": "A question long enough.",
        "guidance": "Guidance long enough.",
        "what_good_looks_like": "Good practice long enough.",
        "basis": "statutory",
        "plan_sections": ["A"],
    }
    question = Question.model_validate(old)
    assert (question.test, question.breach) == (None, None)


def test_qa_templates_check_reports_the_same_test_mismatch_and_lists_the_rules(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from qaframework.cli import main

    write(tmp_path, "tone.v1.yaml", shared_test_file("tone", 1, "statutory", False))
    second = write(tmp_path, "ttwo.v1.yaml", shared_test_file("ttwo", 1, "statutory", True))
    result = CliRunner().invoke(main, ["templates", "check", str(tmp_path)])
    assert result.exit_code == 1
    line = line_containing(second.read_text(), "test: golden-thread")
    assert (
        f"ERROR {second}:{line}: sections[0].questions[0].test: test 'golden-thread': TTWO-01 is statutory, limiting"
        in result.output
    )
    assert "ok  grading rule plan-quality.v2  Plan quality with statutory ceilings" in result.output
    assert "ok  tone@v1  tier 1  3 questions  inline rules  Test checklist" in result.output
