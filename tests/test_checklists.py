"""The template loader: every problem names its file, field path and line, and none is missed."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from qaframework.checklists.loader import (
    DEFAULT_TEMPLATE_DIR,
    TemplateError,
    TemplateProblem,
    check_paths,
    load_directory,
    load_template_file,
    load_template_text,
    template_checksum,
)
from qaframework.checklists.model import Grading
from qaframework.framework import Tier

BASE_FILE = Path(__file__).parent / "data" / "templates" / "valid.v1.yaml"
BASE = BASE_FILE.read_text(encoding="utf-8")


def variant(old: str, new: str, text: str = BASE) -> str:
    """The base text with one exact, unique fragment replaced, so line numbers stay predictable."""
    assert text.count(old) == 1, old
    return text.replace(old, new)


def problems_of(text: str, source: str = "t.yaml") -> list[TemplateProblem]:
    with pytest.raises(TemplateError) as caught:
        load_template_text(text, source)
    return caught.value.problems


def where(problems: list[TemplateProblem]) -> list[tuple[str, str, int | None]]:
    return [(p.file, p.path, p.line) for p in problems]


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# --- the valid base --------------------------------------------------------------------------------


def test_valid_base_loads_with_its_values() -> None:
    template = load_template_file(BASE_FILE)
    assert template.key == "valid@v1"
    assert template.tier is Tier.AGENCY_CHECK
    assert [q.id for q in template.questions()] == ["Q-A-01", "Q-B-01", "Q-B-02"]
    assert template.question("Q-B-01").limiting is True
    assert template.question("Q-B-02").not_applicable.when == "never in practice; here to test N/A parsing"
    assert isinstance(template.grading, Grading)  # the model, not a dict, came back


# --- single-file problems, located exactly ---------------------------------------------------------


def test_wrong_enum_value_names_path_line_and_the_value() -> None:
    problems = problems_of(variant("basis: good_practice", "basis: goodpractice"), "x/valid.v1.yaml")
    assert where(problems) == [("x/valid.v1.yaml", "sections[1].questions[1].basis", 47)]
    assert "'statutory' or 'good_practice'" in problems[0].message
    assert "'goodpractice'" in problems[0].message
    assert str(problems[0]).startswith("x/valid.v1.yaml:47: sections[1].questions[1].basis: Input should be")


def test_missing_required_field_points_at_its_mapping() -> None:
    text = variant("        guidance: Compare B against every piece of advice in K.\n", "")
    problems = problems_of(text)
    assert where(problems) == [("t.yaml", "sections[1].questions[0].guidance", 36)]
    assert problems[0].message == "required key 'guidance' is missing"


def test_unknown_key_is_reported_with_a_suggestion_and_the_missing_key() -> None:
    problems = problems_of(variant("guidance: Look for the child's words", "gudance: Look for the child's words"))
    assert where(problems) == [
        ("t.yaml", "sections[0].questions[0].guidance", 24),
        ("t.yaml", "sections[0].questions[0].gudance", 26),
    ]
    assert "unknown key 'gudance' (did you mean 'guidance'?)" in problems[1].message
    assert "what_good_looks_like" in problems[1].message  # lists the keys allowed there


def test_unknown_top_level_key() -> None:
    problems = problems_of(variant("tier: 1\n", "tier: 1\ntiers: 2\n"))
    assert where(problems) == [("t.yaml", "tiers", 7)]
    assert "did you mean 'tier'?" in problems[0].message


def test_duplicate_question_id_is_reported_once_at_the_second_use() -> None:
    problems = problems_of(variant("id: Q-B-02", "id: Q-A-01"))
    assert where(problems) == [("t.yaml", "sections[1].questions[1].id", 43)]
    assert problems[0].message == "duplicate question id 'Q-A-01' (first used by sections[0].questions[0])"


def test_every_duplicate_id_is_reported_even_alongside_other_errors() -> None:
    text = variant("id: Q-B-02", "id: Q-A-01", variant("id: Q-B-01", "id: Q-A-01"))
    text = variant("  - id: needs", "  - id: views", text)
    text = variant("tier: 1", "tier: 9", text)
    problems = problems_of(text)
    assert where(problems) == [
        ("t.yaml", "tier", 6),
        ("t.yaml", "sections[1].id", 31),
        ("t.yaml", "sections[1].questions[0].id", 36),
        ("t.yaml", "sections[1].questions[1].id", 43),
    ]
    assert problems[1].message == "duplicate section id 'views' (first used by sections[0])"


def test_duplicate_yaml_key_is_not_silently_overwritten() -> None:
    text = variant("title: Test checklist\n", "title: Test checklist\ntitle: Another title\n")
    text = variant(
        "        basis: statutory\n        references:",
        "        basis: statutory\n        basis: good_practice\n        references:",
        text,
    )
    problems = problems_of(text)
    assert where(problems) == [("t.yaml", "title", 5), ("t.yaml", "sections[0].questions[0].basis", 30)]
    assert problems[0].message.startswith("duplicate key 'title' (first at line 4)")
    assert "(first at line 29)" in problems[1].message


def test_yaml_syntax_error_gives_its_line() -> None:
    problems = problems_of(
        variant("text: Are all needs in the advice described in B?", "text: Are all needs: described in B?")
    )
    assert where(problems) == [("t.yaml", "", 37)]
    assert problems[0].message.startswith("YAML syntax error: mapping values are not allowed here")
    assert str(problems[0]).startswith("t.yaml:37: YAML syntax error")


def test_unclosed_bracket_is_a_syntax_error_not_a_crash() -> None:
    problems = problems_of(variant("plan_sections: [A]\n    questions:", "plan_sections: [A\n    questions:"))
    assert len(problems) == 1 and problems[0].path == ""
    assert problems[0].line is not None and 22 <= problems[0].line <= 24
    assert "YAML syntax error" in problems[0].message


def test_grade_not_on_the_scale_is_attributed_to_the_rule() -> None:
    problems = problems_of(variant("cap: inadequate", "cap: awful"))
    assert where(problems) == [("t.yaml", "grading.caps[0].cap", 16)]
    assert problems[0].message.startswith("'awful' is not a grade on the ofsted4 scale")
    problems = problems_of(variant("uncapped: good", "uncapped: great"))
    assert where(problems) == [("t.yaml", "grading.uncapped", 12)]


def test_unknown_scale_is_attributed_to_the_scale_field() -> None:
    problems = problems_of(variant("scale: ofsted4", "scale: ofsted5"))
    assert where(problems) == [("t.yaml", "grading.scale", 10)]
    assert "unknown grade scale 'ofsted5'" in problems[0].message


def test_non_monotone_caps_are_rejected_at_the_caps_list() -> None:
    text = variant(
        "{rating: partially_met, statutory: true, cap: requires_improvement}",
        "{rating: partially_met, statutory: false, cap: inadequate}",
    )
    problems = problems_of(text)
    assert where(problems) == [("t.yaml", "grading.caps", 15)]
    assert "a worse response must never raise a grade" in problems[0].message


def test_not_applicable_without_when_points_at_the_missing_condition() -> None:
    problems = problems_of(variant("          when: never in practice; here to test N/A parsing\n", ""))
    assert where(problems) == [("t.yaml", "sections[1].questions[1].not_applicable.when", 49)]


def test_yes_read_as_boolean_gets_a_quoting_hint() -> None:
    problems = problems_of(variant("title: Section B", "title: yes"))
    assert where(problems) == [("t.yaml", "sections[1].title", 32)]
    assert "put the text in quotes" in problems[0].message and "True" in problems[0].message


def test_id_patterns_are_explained_in_words() -> None:
    problems = problems_of(variant("id: Q-B-01", "id: Q B 01", variant("id: valid", "id: Valid_X")))
    assert [(p.path, p.line, p.message) for p in problems] == [
        ("id", 2, "use lower-case letters, digits and hyphens, starting with a letter or digit (got 'Valid_X')"),
        (
            "sections[1].questions[0].id",
            36,
            "use letters, digits, '-', '_' or '.', starting with a letter or digit (got 'Q B 01')",
        ),
    ]


def test_unknown_plan_section_in_a_list_entry() -> None:
    problems = problems_of(
        variant("    plan_sections: [B]\n    limiting: true", "    plan_sections: [B, Z]\n    limiting: true")
    )
    assert where(problems) == [("t.yaml", "sections[1].plan_sections", 33)]
    assert "unknown plan section(s) ['Z']" in problems[0].message


def test_a_mapping_where_a_list_belongs() -> None:
    problems = problems_of(variant("subjects: [final_plan]", "subjects: {kind: final_plan}"))
    assert where(problems) == [("t.yaml", "subjects", 8)]
    assert problems[0].message == "expected a list (one '- ' item per line), got a mapping"


def test_all_problems_in_one_file_come_back_sorted_by_line() -> None:
    text = variant("basis: good_practice", "basis: sometimes", variant("tier: 1", "tier: 0"))
    text = variant("cap: inadequate", "cap: bad", text)
    problems = problems_of(text)
    assert [p.line for p in problems] == [6, 16, 47]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("# only a comment\n", "the file is empty"),
        ("- id: x\n", "the file must hold a mapping of template keys"),
        ("just some words\n", "the file must hold a mapping of template keys"),
    ],
)
def test_files_that_are_not_templates_at_all(text: str, message: str) -> None:
    problems = problems_of(text)
    assert len(problems) == 1 and problems[0].path == ""
    assert problems[0].message.startswith(message)


def test_aliases_are_refused_before_validation() -> None:
    text = variant("title: Test checklist", "title: &name Test checklist", variant("title: Section A", "title: *name"))
    problems = problems_of(text)
    assert where(problems) == [("t.yaml", "sections[0].title", 21)]
    assert problems[0].message.startswith("anchors and aliases (&name, *name) are not supported")


def test_unsafe_yaml_tags_are_refused() -> None:
    problems = problems_of(variant("title: Test checklist", "title: !!python/object/apply:os.getcwd []"))
    assert where(problems) == [("t.yaml", "", 4)]
    assert problems[0].message.startswith("YAML value not allowed: could not determine a constructor")


# --- files -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "path", "line", "fragment"),
    [
        (
            "other.v1.yaml",
            "id",
            2,
            "file name says id 'other' but the file has id 'valid'; rename it to 'valid.v1.yaml'",
        ),
        ("valid.v2.yaml", "version", 3, "file name says version 2 but the file has version 1"),
        ("valid.v01.yaml", "version", 3, "rename it to 'valid.v1.yaml'"),
        ("valid.yaml", "id", 2, "file name 'valid.yaml' is not '<id>.v<version>.yaml'; rename it to 'valid.v1.yaml'"),
        ("valid.v1.yml", "", 2, "file name must end in '.yaml', not '.yml'"),
    ],
)
def test_file_name_must_match_id_and_version(tmp_path: Path, name: str, path: str, line: int, fragment: str) -> None:
    file = write(tmp_path, name, BASE)
    with pytest.raises(TemplateError) as caught:
        load_template_file(file)
    [problem] = caught.value.problems
    assert (problem.file, problem.path, problem.line) == (str(file), path, line)
    assert fragment in problem.message


def test_file_name_and_content_problems_are_reported_together(tmp_path: Path) -> None:
    file = write(tmp_path, "wrong.v1.yaml", variant("basis: good_practice", "basis: maybe"))
    with pytest.raises(TemplateError) as caught:
        load_template_file(file)
    assert [(p.path, p.line) for p in caught.value.problems] == [("id", 2), ("sections[1].questions[1].basis", 47)]


def test_non_utf8_file_is_a_problem_with_its_line(tmp_path: Path) -> None:
    file = tmp_path / "valid.v1.yaml"
    file.write_bytes(BASE.replace("Test checklist", "Test checklist \xe9t\xe9").encode("latin-1"))
    with pytest.raises(TemplateError) as caught:
        load_template_file(file)
    assert where(caught.value.problems) == [(str(file), "", 4)]
    assert "not UTF-8" in caught.value.problems[0].message


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    file = tmp_path / "valid.v1.yaml"
    file.write_bytes(b"\xef\xbb\xbf" + BASE.encode("utf-8"))
    assert load_template_file(file).id == "valid"


def test_missing_file_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    with pytest.raises(TemplateError) as caught:
        load_template_file(tmp_path / "nothing.v1.yaml")
    assert where(caught.value.problems) == [(str(tmp_path / "nothing.v1.yaml"), "", None)]
    assert caught.value.problems[0].message.startswith("cannot read the file")
    _, problems = check_paths([tmp_path / "absent"])
    assert [p.message for p in problems] == ["no such file or folder"]


# --- several files ---------------------------------------------------------------------------------


def test_same_id_and_version_in_two_files(tmp_path: Path) -> None:
    first = write(tmp_path / "a", "valid.v1.yaml", BASE)
    second = write(tmp_path / "b", "valid.v1.yaml", variant("Test checklist", "Test checklist, edited"))
    templates, problems = check_paths([tmp_path / "a", tmp_path / "b"])
    assert [t.title for t in templates] == ["Test checklist"]
    assert where(problems) == [(str(second), "id", 2)]
    assert problems[0].message == f"valid@v1 is already defined in {first}; bump the version"


def test_the_same_file_given_twice_is_not_a_duplicate() -> None:
    templates, problems = check_paths([BASE_FILE, BASE_FILE.parent])
    assert problems == [] and [t.key for t in templates] == ["valid@v1"]


def test_unknown_agency_points_at_the_entry(tmp_path: Path) -> None:
    text = variant("agencies: [send_service]\n", "agencies:\n  - send_service\n  - police\n")
    file = write(tmp_path, "valid.v1.yaml", text)
    templates, problems = check_paths([file])
    assert templates == []
    assert where(problems) == [(str(file), "agencies[1]", 9)]
    assert problems[0].message.startswith(
        "unknown agency 'police'; known agencies: adult_social_care, childrens_social_care"
    )
    templates, problems = check_paths([file], known_agencies={"send_service", "police"})
    assert problems == [] and templates[0].agencies == ["send_service", "police"]


def test_check_paths_collects_every_bad_file_and_keeps_the_good(tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    write(folder, "valid.v1.yaml", BASE)
    write(folder, "good-two.v3.yaml", variant("version: 1", "version: 3", variant("id: valid", "id: good-two")))
    bad_enum = write(
        folder, "bad-enum.v1.yaml", variant("basis: good_practice", "basis: no", variant("id: valid", "id: bad-enum"))
    )
    bad_yaml = write(folder, "bad-yaml.v1.yml", "id: [unclosed\n")
    bad_name = write(folder, "misnamed.v1.yaml", BASE)
    write(folder, "notes.txt", "not a template, ignored")
    templates, problems = check_paths([folder])
    assert [t.key for t in templates] == ["good-two@v3", "valid@v1"]
    assert [(p.file, p.path) for p in problems] == [
        (str(bad_enum), "sections[1].questions[1].basis"),
        (str(bad_yaml), ""),
        (str(bad_name), "id"),
    ]
    assert "got False" in problems[0].message


def test_load_directory_raises_with_every_problem(tmp_path: Path) -> None:
    write(tmp_path, "valid.v1.yaml", variant("tier: 1", "tier: 7"))
    write(tmp_path, "other.v1.yaml", variant("id: valid", "id: other", variant("title: Section A", "title: A")))
    with pytest.raises(TemplateError) as caught:
        load_directory(tmp_path)
    lines = str(caught.value).splitlines()
    assert lines == [
        f"{tmp_path / 'other.v1.yaml'}:21: sections[0].title: String should have at least 3 characters (got 'A')",
        f"{tmp_path / 'valid.v1.yaml'}:6: tier: Input should be 1, 2, 3 or 4 (got 7)",
    ]


def test_load_directory_returns_templates_when_clean(tmp_path: Path) -> None:
    write(tmp_path, "valid.v1.yaml", BASE)
    write(tmp_path, "valid.v2.yaml", variant("version: 1", "version: 2"))
    assert [t.key for t in load_directory(tmp_path)] == ["valid@v1", "valid@v2"]


def test_empty_folder_is_reported(tmp_path: Path) -> None:
    _, problems = check_paths([tmp_path])
    assert where(problems) == [(str(tmp_path), "", None)]


# --- problems, checksum, defaults ------------------------------------------------------------------


def test_problem_and_error_text() -> None:
    with_line = TemplateProblem("a.yaml", "sections[2].questions[0].basis", 14, "bad")
    without_line = TemplateProblem("a.yaml", "id", None, "worse")
    assert str(with_line) == "a.yaml:14: sections[2].questions[0].basis: bad"
    assert str(without_line) == "a.yaml: id: worse"
    error = TemplateError([with_line, without_line])
    assert error.problems == [with_line, without_line]
    assert str(error) == "a.yaml:14: sections[2].questions[0].basis: bad\na.yaml: id: worse"


def test_checksum_ignores_key_order_and_layout_but_not_content() -> None:
    base = load_template_text(BASE, "base")
    reordered = variant("id: valid\nversion: 1\n", "version: 1\nid: valid\n")
    reordered = variant("        basis: statutory\n        references:", "        references:", reordered)
    reordered = variant(
        "        plan_sections: [A]\n", "        plan_sections: [A]\n        basis: statutory\n", reordered
    )
    reordered = variant("agencies: [send_service]", "agencies:\n  - send_service   # comment", reordered)
    same = load_template_text(reordered, "reordered")
    assert same.question("Q-A-01").basis == base.question("Q-A-01").basis
    assert template_checksum(same) == template_checksum(base)
    # Keys added to the model later (test, breach, rule, overall_caps) are left out while at their
    # default, so versions stored before they existed keep their checksum.
    dumped = base.model_dump(mode="json")
    dumped["grading"] = {k: v for k, v in dumped["grading"].items() if k not in {"rule", "overall_caps"}}
    for section in dumped["sections"]:
        new_keys = {"test", "breach"}
        section["questions"] = [{k: v for k, v in q.items() if k not in new_keys} for q in section["questions"]]
    canonical = json.dumps(dumped, sort_keys=True, separators=(",", ":"))
    assert template_checksum(base) == hashlib.sha256(canonical.encode()).hexdigest()
    edited = load_template_text(
        variant("Look for what the child can do.", "Look for what the child can do well."), "edited"
    )
    assert template_checksum(edited) != template_checksum(base)
    swapped = variant("limiting: true\n    questions:", "limiting: false\n    questions:")
    assert template_checksum(load_template_text(swapped, "swapped")) != template_checksum(base)


def test_default_template_dir_is_the_projects_audit_templates() -> None:
    assert DEFAULT_TEMPLATE_DIR.name == "audit_templates"
    assert (DEFAULT_TEMPLATE_DIR / "README.md").is_file()
    assert DEFAULT_TEMPLATE_DIR.parent == Path(__file__).resolve().parent.parent


def test_yaml_booleans_are_not_taken_for_numbers() -> None:
    from qaframework.checklists.loader import TemplateError, load_template_text

    base = (Path(__file__).parent / "data" / "templates" / "valid.v1.yaml").read_text()
    for field, bad in (("version: 1", "version: true"), ("tier: 1", "tier: yes")):
        with pytest.raises(TemplateError) as raised:
            load_template_text(base.replace(field, bad, 1), "x.v1.yaml")
        assert raised.value.problems[0].path == field.split(":")[0]
