"""The hand-written GOV.UK markup matches what the GOV.UK Frontend macros produce for the same field.

`webapp/audits/rendering.py` writes each question's radios, N/A reason and evidence box as
f-strings, and `webapp/templates/base.html` writes the header, service navigation and phase
banner out by hand, because the macros cost tens of milliseconds a page. These tests render both
for representative states and compare the DOM after normalising it (elements in order, classes as
sets, every other attribute exactly, text with whitespace collapsed), so a class, id or aria
attribute changed by hand, or a macro that changes in an upgrade, fails here with a diff.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from bs4.element import NavigableString, Tag
from flask import Flask, render_template_string
from markupsafe import Markup

from qaframework.checklists.loader import DEFAULT_TEMPLATE_DIR, load_template_file
from qaframework.checklists.model import Question
from webapp.audits.rendering import EVIDENCE_HINT, NA_REASON_HINT, question_fields_html

ROOT = Path(__file__).resolve().parents[2]

#: The GOV.UK Frontend release the hand-written markup was last compared with, and the
#: govuk-frontend-jinja release that ports exactly that release's macros. When either changes,
#: re-read the components' changelogs and these tests' diffs, update rendering.py and the
#: header, navigation and phase banner blocks of base.html, then these two constants.
COPIED_FROM_GOVUK_FRONTEND = "6.3.0"
GOVUK_FRONTEND_JINJA_FOR_IT = "4.1.0"


# --- Normalising the DOM ------------------------------------------------------------------------


Node = tuple[Any, ...]


def _node(element: Tag) -> Node:
    attributes: dict[str, Any] = {}
    for name, value in element.attrs.items():
        if name == "class":
            attributes[name] = sorted(set(value))
        else:  # aria-describedby keeps its order: screen readers read the ids in turn
            attributes[name] = " ".join(value.split()) if isinstance(value, str) else " ".join(value)
    children: list[Node | str] = []
    for child in element.children:
        if isinstance(child, Tag):
            children.append(_node(child))
        elif isinstance(child, NavigableString) and type(child) is NavigableString:
            text = " ".join(child.split())
            if not text:
                continue
            if children and isinstance(children[-1], str):
                children[-1] = f"{children[-1]} {text}"
            else:
                children.append(text)
    return (element.name, tuple(sorted(attributes.items())), tuple(children))


def _lines(node: Node | str, depth: int = 0) -> list[str]:
    pad = "  " * depth
    if isinstance(node, str):
        return [f"{pad}{node!r}"]
    name, attributes, children = node
    shown = " ".join(f'{k}="{" ".join(v) if isinstance(v, list) else v}"' for k, v in attributes)
    lines = [f"{pad}<{name}{' ' + shown if shown else ''}>"]
    for child in children:
        lines += _lines(child, depth + 1)
    return lines


def elements(html: str) -> list[Node]:
    """The top-level elements of an HTML fragment, normalised, parsed as a browser would."""
    body = BeautifulSoup(html, "html5lib").body
    assert body is not None
    return [_node(child) for child in body.children if isinstance(child, Tag)]


def assert_same_dom(hand_written: str, from_macro: str) -> None:
    ours, theirs = elements(hand_written), elements(from_macro)
    if ours != theirs:
        diff = difflib.unified_diff(
            [line for node in theirs for line in _lines(node)],
            [line for node in ours for line in _lines(node)],
            "GOV.UK Frontend macro",
            "hand-written",
            lineterm="",
        )
        pytest.fail("hand-written markup differs from the GOV.UK macro's:\n" + "\n".join(diff))


# --- The question fields ------------------------------------------------------------------------


@dataclass
class State:
    question: Question
    rating: str | None = None
    evidence: str = ""
    na_reason: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    base: str = "base-digest"


def _questions() -> tuple[Question, Question]:
    template = load_template_file(DEFAULT_TEMPLATE_DIR / "t1-coordinator-plan-check.v1.yaml")
    questions = template.questions()
    with_na = next(q for q in questions if q.not_applicable.allowed)
    without_na = next(q for q in questions if not q.not_applicable.allowed)
    return with_na, without_na


WITH_NA, WITHOUT_NA = _questions()
AWKWARD = 'Section F says "as required" & <b>speech</b>\nsecond line'

STATES = {
    "unanswered": State(WITH_NA),
    "unanswered, no N/A": State(WITHOUT_NA),
    "met with evidence": State(WITH_NA, "met", evidence=AWKWARD),
    "partially met": State(WITHOUT_NA, "partially_met", evidence="Partly quantified."),
    "not met": State(WITH_NA, "not_met"),
    "N/A with its reason revealed": State(WITH_NA, "not_applicable", na_reason=AWKWARD),
    "every error": State(
        WITH_NA,
        "not_applicable",
        errors={
            "rating": "Select a rating",
            "evidence": "Give the evidence for rating <it> as not met",
            "na_reason": "Say why this question is not applicable",
        },
    ),
    "error on a question without N/A": State(
        WITHOUT_NA, "not_met", errors={"rating": "Select a rating", "evidence": "Give the evidence"}
    ),
}

MACROS = """
{%- from "govuk_frontend_jinja/components/radios/macro.html" import govukRadios -%}
{%- from "govuk_frontend_jinja/components/textarea/macro.html" import govukTextarea -%}
{%- from "audits/_question.html" import question_meta, question_help -%}
{%- set q = s.question -%}
{%- set rid, eid, nid = "rating-" ~ q.id, "evidence-" ~ q.id, "na_reason-" ~ q.id -%}
{%- set items = [
  {"value": "met", "text": "Met", "checked": s.rating == "met"},
  {"value": "partially_met", "text": "Partially met", "checked": s.rating == "partially_met"},
  {"value": "not_met", "text": "Not met", "checked": s.rating == "not_met"},
] -%}
{%- if q.not_applicable.allowed -%}
  {%- set reason = govukTextarea({
    "name": nid, "id": nid, "rows": 3, "value": s.na_reason,
    "label": {"text": "Why is this not applicable?"},
    "hint": {"text": na_hint},
    "errorMessage": {"text": s.errors.na_reason} if s.errors.na_reason else false,
    "attributes": {"maxlength": limits.NOT_APPLICABLE_REASON},
  }) -%}
  {%- set items = items + [
    {"divider": "or"},
    {"value": "not_applicable", "text": "Not applicable", "checked": s.rating == "not_applicable",
     "conditional": {"html": reason}},
  ] -%}
{%- endif -%}
{{ govukRadios({
  "idPrefix": rid, "name": rid, "items": items,
  "fieldset": {"legend": {
    "html": legend_html,
    "classes": "govuk-fieldset__legend--s",
  }},
  "hint": {"html": question_meta(q)},
  "errorMessage": {"text": s.errors.rating} if s.errors.rating else false,
  "formGroup": {"classes": "govuk-!-margin-bottom-4", "beforeInputs": {"html": question_help(q)}},
}) }}
{{ govukTextarea({
  "name": eid, "id": eid, "rows": 3, "value": s.evidence,
  "label": {
    "html": evidence_label_html,
    "classes": "govuk-label--s",
  },
  "hint": {"text": evidence_hint},
  "errorMessage": {"text": s.errors.evidence} if s.errors.evidence else false,
  "attributes": {"maxlength": limits.EVIDENCE},
}) }}
"""


def _from_macros(state: State) -> str:
    q = state.question
    return render_template_string(
        MACROS,
        s=state,
        legend_html=Markup('<h2 class="govuk-fieldset__heading">{}</h2>').format(q.text),
        evidence_label_html=Markup('Evidence<span class="govuk-visually-hidden"> for {}</span>').format(q.id),
        na_hint=NA_REASON_HINT.format(when=q.not_applicable.when or ""),
        evidence_hint=EVIDENCE_HINT,
    )


def _fields_of(html: Markup) -> str:
    """The GOV.UK parts of the hand-written question: its two form groups, without the app's own
    wrapper, hidden merge base and action link."""
    soup = BeautifulSoup(str(html), "html5lib")
    wrapper = soup.select_one("div.app-question")
    assert wrapper is not None
    groups = wrapper.find_all("div", class_="govuk-form-group", recursive=False)
    assert len(groups) == 2, "expected the rating and evidence form groups"
    return "".join(str(group) for group in groups)


@pytest.mark.parametrize("name", STATES)
def test_question_fields_match_govuk_radios_and_textarea(app: Flask, name: str) -> None:
    state = STATES[name]
    with app.test_request_context():
        assert_same_dom(_fields_of(question_fields_html(state)), _from_macros(state))


def test_the_comparison_notices_a_changed_class_id_or_aria_attribute(app: Flask) -> None:
    """The check itself can fail: each kind of hand edit the macros would not make is caught."""
    state = STATES["every error"]
    with app.test_request_context():
        ours, theirs = _fields_of(question_fields_html(state)), _from_macros(state)
    assert_same_dom(ours, theirs)
    for edit in (
        ("govuk-radios__input", "govuk-radio__input"),  # a class
        ('id="na_reason-', 'id="na-reason-'),  # an id
        ('aria-describedby="rating-', 'aria-labelledby="rating-'),  # an aria attribute
        ("rating-{id}-hint rating-{id}-error", "rating-{id}-error rating-{id}-hint"),  # aria order
        ('data-module="govuk-radios"', ""),  # a JavaScript hook
    ):
        old, new = (part.replace("{id}", state.question.id) for part in edit)
        assert old in ours, old
        with pytest.raises(pytest.fail.Exception):
            assert_same_dom(ours.replace(old, new, 1), theirs)


def test_every_state_tested_renders_what_it_claims() -> None:
    """The states above really cover N/A revealed, hidden and absent, and errors on every field."""
    assert STATES["N/A with its reason revealed"].question.not_applicable.allowed
    assert not STATES["unanswered, no N/A"].question.not_applicable.allowed
    assert set(STATES["every error"].errors) == {"rating", "evidence", "na_reason"}


# --- Header, service navigation, phase banner (base.html) -----------------------------------------

LAYOUT_MACROS = """
{%- from "govuk_frontend_jinja/components/generic-header/macro.html" import govukGenericHeader -%}
{%- from "govuk_frontend_jinja/components/service-navigation/macro.html" import govukServiceNavigation -%}
{%- from "govuk_frontend_jinja/components/phase-banner/macro.html" import govukPhaseBanner -%}
{{ govukGenericHeader({"url": home_url, "logoText": service_name}) }}
{% if nav_items %}{{ govukServiceNavigation({"navigation": nav_items, "navigationLabel": "Service menu"}) }}{% endif %}
{{ govukPhaseBanner({"tag": {"text": "Beta"}, "text": phase_text}) }}
"""

PAGE = '{% extends "base.html" %}{% block content %}<h1 class="govuk-heading-l">Test</h1>{% endblock %}'

NAVIGATIONS: Mapping[str, list[dict[str, Any]]] = {
    "several links, one current": [
        {"href": "/", "text": "Home", "current": True},
        {"href": "/cases", "text": "Cases"},
        {"href": "/audits", "text": "Audits & reports"},
    ],
    "a section active below its page": [
        {"href": "/", "text": "Home"},
        {"href": "/audits", "text": "Audits", "active": True},
    ],
    "a single link": [{"href": "/", "text": "Home", "current": True}],
    "signed out: none": [],
}


def _layout_of(html: str) -> str:
    soup = BeautifulSoup(html, "html5lib")
    header = soup.select_one("header.govuk-template__header")
    assert header is not None
    return "".join(str(child) for child in header.children if isinstance(child, Tag))


@pytest.mark.parametrize("name", NAVIGATIONS)
def test_header_navigation_and_phase_banner_match_the_macros(app: Flask, name: str) -> None:
    items = NAVIGATIONS[name]
    with app.test_request_context("/"):
        page = render_template_string(PAGE, nav_items=items)
        banner = BeautifulSoup(page, "html5lib").select_one(".govuk-phase-banner__text")
        assert banner is not None
        expected = render_template_string(
            LAYOUT_MACROS,
            nav_items=items,
            home_url="/",
            service_name=app.config["SERVICE_NAME"],
            phase_text=banner.get_text(" ", strip=True),
        )
    assert_same_dom(_layout_of(page), expected)


# --- Which release the markup follows --------------------------------------------------------------


def test_markup_was_compared_with_the_installed_govuk_frontend() -> None:
    """An upgrade of GOV.UK Frontend or its Jinja port fails here, naming what to re-check."""
    where = "re-check webapp/audits/rendering.py and base.html against the new macros, then update"
    declared = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))["dependencies"]["govuk-frontend"]
    locked = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    assert declared == COPIED_FROM_GOVUK_FRONTEND, f"package.json has govuk-frontend {declared}: {where}"
    installed = locked["packages"]["node_modules/govuk-frontend"]["version"]
    assert installed == COPIED_FROM_GOVUK_FRONTEND, f"package-lock.json has govuk-frontend {installed}: {where}"
    jinja = version("govuk-frontend-jinja")
    assert jinja == GOVUK_FRONTEND_JINJA_FOR_IT, f"govuk-frontend-jinja {jinja} is installed: {where}"
    pinned = re.search(r'"govuk-frontend-jinja==([^"]+)"', (ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pinned is not None and pinned.group(1) == GOVUK_FRONTEND_JINJA_FOR_IT

