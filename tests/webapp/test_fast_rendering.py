"""The shortcuts that make the checklist page fast give exactly the markup of the slow way.

Question markup is built once per question and rating and then filled in; GOV.UK components are
rendered once per set of parameters; the page template, static URLs and navigation links are
kept rather than rebuilt. Each test compares the shortcut with what it replaces.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask, render_template_string
from markupsafe import Markup
from sqlalchemy import event
from sqlalchemy.orm import Session

from qaframework.checklists.model import Question
from qaframework.framework import Role
from qaframework.operations.audits import ResponseInput, save_answers, start_audit
from tests.support import ClientAs, MakeCase, TemplateVersionOf
from tests.webapp.pagecheck import check_page
from webapp import _asset_url
from webapp.audits import rendering
from webapp.audits.checklist_form import QuestionState
from webapp.components import govuk_component, macro_template

TRICKY = "<b>A & B</b> \"quoted\" 'single' \x00evidence\x00"


def _questions(template_version: TemplateVersionOf) -> tuple[Question, Question]:
    """One question that allows N/A and one that does not, from a shipped checklist."""
    questions = template_version("t1-coordinator-plan-check").template.questions()
    with_na = next(q for q in questions if q.not_applicable.allowed)
    without_na = next(q for q in questions if not q.not_applicable.allowed)
    return with_na, without_na


@pytest.mark.parametrize("rating", [None, "met", "partially_met", "not_met", "not_applicable", "tampered"])
@pytest.mark.parametrize("action_href", [None, "", "/actions/new?audit=1&question_id=<x>"])
def test_reused_question_markup_is_the_markup_built_from_scratch(
    app: Flask, template_version: TemplateVersionOf, rating: str | None, action_href: str | None
) -> None:
    rendering._layouts.clear()
    with app.test_request_context():
        for question in _questions(template_version):
            for evidence, reason in (("", ""), (TRICKY, TRICKY + " reason"), ("Plain evidence", "")):
                state = QuestionState(
                    question=question, rating=rating, evidence=evidence, na_reason=reason, base="0123456789abcdef"
                )
                built = rendering._question_fields_markup(state, action_href)
                assert rendering.question_fields_html(state, action_href) == built
                assert TRICKY not in built and (evidence != TRICKY or "&lt;b&gt;A &amp; B&lt;/b&gt;" in built)
    # The shortcut was taken: one layout per question and rating, not one per request.
    known = None if rating == "tampered" else rating
    assert {(key[1], key[2]) for key in rendering._layouts} == {(known, bool(action_href))}


def test_questions_with_errors_are_built_each_time(app: Flask, template_version: TemplateVersionOf) -> None:
    rendering._layouts.clear()
    question = _questions(template_version)[0]
    state = QuestionState(question=question, rating="not_met", evidence="", errors={"evidence": "Enter evidence"})
    with app.test_request_context():
        html = rendering.question_fields_html(state)
    assert html == rendering._question_fields_markup(state, None)
    assert 'id="evidence-' + question.id + '-error"' in html and "govuk-textarea--error" in html
    assert rendering._layouts == {}


def test_a_placeholder_in_the_checklist_text_falls_back_to_building(
    app: Flask, template_version: TemplateVersionOf
) -> None:
    rendering._layouts.clear()
    question = _questions(template_version)[0]
    odd = question.model_copy(update={"text": "Is it \x00base\x00 or \x00evidence\x00?"})
    state = QuestionState(question=odd, rating="met", evidence="Some", base="0123456789abcdef")
    with app.test_request_context():
        assert rendering.question_fields_html(state) == rendering._question_fields_markup(state, None)
    assert rendering._layouts == {}


GOVUK_CALLS = [
    ("govukBackLink", {"text": "Back to the audit", "href": "/audits/7"}),
    ("govukButton", {"text": "Save as draft", "name": "next", "value": "stay", "classes": "govuk-button--secondary"}),
    ("govukButton", {"text": "Start", "href": "/start", "isStartButton": True}),
    ("govukTag", {"text": "Requires improvement", "classes": "govuk-tag--orange"}),
    ("govukErrorSummary", {"titleText": "There is a problem", "errorList": [{"text": "Enter a <date>", "href": "#d"}]}),
]


@pytest.mark.parametrize(("name", "params"), GOVUK_CALLS)
def test_govuk_component_is_the_macro_output(app: Flask, name: str, params: dict[str, object]) -> None:
    direct = f'{{% from "{macro_template(name)}" import {name} %}}{{{{ {name}(params) }}}}'
    with app.test_request_context():
        expected = render_template_string(direct, params=params)
        assert govuk_component(name, params) == expected
        assert govuk_component(name, params) == expected  # the kept copy
        assert render_template_string(f'{{{{ govuk_component("{name}", params) }}}}', params=params) == expected


def test_govuk_component_keeps_markup_apart_from_text_and_true_apart_from_1(app: Flask) -> None:
    with app.test_request_context():
        trusted = govuk_component("govukTag", {"text": Markup("<b>Good</b>")})
        typed = govuk_component("govukTag", {"text": "<b>Good</b>"})
        assert "<b>Good</b>" in trusted and "&lt;b&gt;Good&lt;/b&gt;" in typed
        assert 'data-prevent-double-click="true"' in govuk_component(
            "govukButton", {"text": "Go", "preventDoubleClick": True}
        )
        assert 'data-prevent-double-click="1"' in govuk_component(
            "govukButton", {"text": "Go", "preventDoubleClick": 1}
        )


def test_govuk_component_renders_unusual_parameters_without_keeping_them(app: Flask) -> None:
    class Odd:
        def __str__(self) -> str:
            return "Odd text"

    with app.test_request_context():
        assert "Odd text" in govuk_component("govukTag", {"text": Odd()})
    assert not any("Odd" in repr(key) for key in app.extensions["qa_govuk_components"])
    with pytest.raises(ValueError, match=r"not a GOV\.UK Frontend component"):
        macro_template("button")
    assert macro_template("govukErrorSummary") == "govuk_frontend_jinja/components/error-summary/macro.html"


#: Every block the service's base.html fills, with a marker, as GOV.UK's template and ours.
LAYOUT_BLOCKS = (
    "pageTitle",
    "head",
    "headIcons",
    "skipLink",
    "govukHeader",
    "govukServiceNavigation",
    "headerEnd",
    "beforeContent",
    "main",
    "govukFooter",
    "bodyEnd",
)


def _normalised(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", html)).strip()


def test_written_out_page_template_matches_govuk_frontends(app: Flask) -> None:
    blocks = "".join(f"{{% block {name} %}}[{name}]{{% endblock %}}" for name in LAYOUT_BLOCKS)
    with app.test_request_context():
        govuk = render_template_string(
            '{% extends "govuk_frontend_jinja/template.html" %}{% set themeColor = "#0b0c0c" %}' + blocks,
            cspNonce=Markup("nonce-1"),
        )
        ours = render_template_string(
            '{% extends "base.html" %}{% set cspNonce = "nonce-1" %}' + blocks, csp_nonce=lambda: "nonce-1"
        )
    assert "[main]" in govuk and 'nonce="nonce-1"' in govuk
    assert _normalised(ours) == _normalised(govuk)


def test_asset_url_follows_a_changed_file(app: Flask, tmp_path: Path) -> None:
    app.static_folder = str(tmp_path)
    asset = tmp_path / "app.css"
    asset.write_text("body { color: black }")
    with app.test_request_context():
        first = _asset_url("app.css")
        assert first.startswith("/static/app.css?v=") and _asset_url("app.css") == first
        asset.write_text("body { color: #0b0c0c }")  # another size, so another key even within one mtime tick
        changed = _asset_url("app.css")
        assert changed != first and changed.startswith("/static/app.css?v=")
        assert _asset_url("missing.css") == "/static/missing.css"
    with app.test_request_context(base_url="http://localhost/qa/"):
        assert _asset_url("app.css") == "/qa" + changed


def test_navigation_links_follow_the_script_root(client_as: ClientAs) -> None:
    client, _ = client_as(Role.AUDITOR)
    at_root = check_page(client.get("/")).select(".govuk-service-navigation__link")
    mounted = check_page(client.get("/", base_url="http://localhost/qa/")).select(".govuk-service-navigation__link")
    assert [a["href"] for a in at_root][:3] == ["/", "/cases", "/audits"]
    assert [a["href"] for a in mounted] == [f"/qa{a['href']}" for a in at_root]


def test_the_one_page_checklist_reads_the_audit_in_a_few_queries(
    client_as: ClientAs, session: Session, make_case: MakeCase, template_version: TemplateVersionOf
) -> None:
    """Every answer shown, without a query per question (the load the benchmark measures)."""
    client, auditor = client_as(Role.AUDITOR)
    audit = start_audit(
        session,
        auditor,
        case_id=make_case().id,
        template_version_id=template_version("t1-coordinator-plan-check").id,
        subject="final_plan",
    )
    questions = audit.template.questions()
    save_answers(
        session,
        auditor,
        audit.id,
        audit.version_id,
        {q.id: ResponseInput("partially_met", f"Evidence for {q.id} & <more>") for q in questions},
    )
    url = f"/audits/{audit.id}/checklist"
    client.get(url)  # parse the template once
    statements: list[str] = []
    connection = session.connection()
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(connection, "before_cursor_execute", listener)
    try:
        response = client.get(url)
    finally:
        event.remove(connection, "before_cursor_execute", listener)
    soup = check_page(response)
    assert len(soup.select("input[checked][value=partially_met]")) == len(questions) >= 60
    assert soup.select_one(f"#evidence-{questions[-1].id}").get_text() == f"Evidence for {questions[-1].id} & <more>"
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    # The user, the audit with its case and checklist version, its responses, its section grades.
    assert len(selects) <= 4, selects
