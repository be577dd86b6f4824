"""Every text field has a length limit, told by the form and enforced by the library (security
review, finding 5: a 15,000,000-character override rationale was stored, and copied into the trail).

The limits live once in ``qaframework.limits``; these tests find every field in the templates and
every WTForms text field, so a new box without a limit fails here.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
from flask_wtf import FlaskForm
from sqlalchemy import Connection, String, Text, select
from sqlalchemy.orm import Session
from wtforms import EmailField, PasswordField, SearchField, StringField, TextAreaField
from wtforms.validators import Length

import webapp
from qaframework import limits
from qaframework.framework import AuditStatus, Role
from qaframework.operations.audits import return_audit
from qaframework.operations.base import InvalidInput
from qaframework.store import Audit, Base, TrailEntry
from tests.db_snapshot import changed_tables, table_fingerprints
from tests.support import CheckFor, ClientAs
from tests.webapp.journey import error_links, page

TEMPLATES = Path(webapp.__file__).parent / "templates"
#: A GOV.UK macro call's parameters, up to the brace that closes them.
_MACRO_CALL = re.compile(r"(govukTextarea|govukInput|govukCharacterCount|govukDateInput)\(\{")
_RAW_FIELD = re.compile(r"<(textarea|input)\b[^>]*>", re.S)
_TYPED = re.compile(r'type="(hidden|radio|checkbox|submit|button|file)"')


def _macro_calls(text: str) -> list[tuple[str, str]]:
    calls = []
    for match in _MACRO_CALL.finditer(text):
        depth, start = 0, match.end() - 1
        for end in range(start, len(text)):
            depth += {"{": 1, "}": -1}.get(text[end], 0)
            if depth == 0:
                break
        calls.append((match.group(1), text[start:end + 1]))
    return calls


def _date_items(text: str) -> list[str]:
    """The ``items.append({...})`` dicts that feed a date input's day, month and year boxes."""
    return re.findall(r"(?:date_items|items)\.append\(\{[^}]*\"name\": part[^}]*\}", text)


def test_every_text_box_in_the_templates_has_a_limit() -> None:
    checked, missing = 0, []
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text()
        where = path.relative_to(TEMPLATES)
        for macro, params in _macro_calls(text):
            checked += 1
            if macro == "govukTextarea":
                missing.append(f"{where}: a plain govukTextarea (use govukCharacterCount with maxlength)")
            elif macro == "govukDateInput":
                continue  # its boxes are checked below
            elif macro == "govukCharacterCount" and '"maxlength": limits.' not in params:
                missing.append(f"{where}: a character count without maxlength from limits")
            elif macro == "govukInput" and '"maxlength": limits.' not in params:
                missing.append(f"{where}: {params[:80]}")
        if "govukDateInput(" in text:
            items = _date_items(text)
            checked += len(items)
            if not items or any('"maxlength": limits.' not in item for item in items):
                missing.append(f"{where}: a date input box without maxlength")
        for field in _RAW_FIELD.finditer(text):
            if field.group(1) == "input" and _TYPED.search(field.group(0)):
                continue
            checked += 1
            if "maxlength=" not in field.group(0):
                missing.append(f"{where}: {field.group(0)[:80]}")
    assert checked >= 40
    assert missing == []


def test_the_checklist_boxes_written_in_python_carry_the_limits() -> None:
    from webapp.audits import rendering

    source = inspect.getsource(rendering)
    assert 'maxlength="{limit}"' in source
    assert "limits.EVIDENCE" in source and "limits.NOT_APPLICABLE_REASON" in source


def _form_classes() -> list[type[FlaskForm]]:
    import webapp.admin.term_dates
    import webapp.admin.users
    import webapp.auth  # noqa: F401  (the modules that define forms)

    found: list[type[FlaskForm]] = []
    pending = list(FlaskForm.__subclasses__())
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return [cls for cls in found if cls.__module__.startswith("webapp")]


def test_every_wtforms_text_field_has_a_length_and_a_maxlength() -> None:
    text_fields = (StringField, TextAreaField, PasswordField, EmailField, SearchField)
    checked, missing = 0, []
    for form in _form_classes():
        for name in dir(form):
            unbound = getattr(form, name)
            field_class = getattr(unbound, "field_class", None)
            if field_class is None or not issubclass(field_class, text_fields):
                continue
            checked += 1
            maxima = [v.max for v in unbound.kwargs.get("validators", []) if isinstance(v, Length) and v.max >= 0]
            render_kw = unbound.kwargs.get("render_kw") or {}
            if not maxima or render_kw.get("maxlength") != min(maxima):
                missing.append(f"{form.__name__}.{name}")
    assert checked >= 10
    assert missing == []


def _length(table: str, column: str) -> int | None:
    kind = Base.metadata.tables[table].c[column].type
    return kind.length if isinstance(kind, String) else None


def test_bounded_columns_agree_with_the_limits() -> None:
    assert _length("users", "email") == limits.EMAIL
    assert _length("users", "display_name") == limits.DISPLAY_NAME
    assert _length("users", "team") == limits.TEAM
    assert _length("agencies", "name") == limits.AGENCY_NAME
    assert _length("actions", "theme") == limits.ACTION_THEME
    assert _length("actions", "training_area") == limits.TRAINING_AREA
    assert _length("consent_records", "method") == limits.CONSENT_METHOD
    assert _length("cases", "case_ref") == limits.CASE_REF
    # the long ones are Text: the limit is the library's, not the column's
    assert isinstance(Base.metadata.tables["audits"].c.override_rationale.type, Text)


def _trail_rows(connection: Connection) -> int:
    return len(connection.execute(select(TrailEntry.id)).all())


def test_a_15_million_character_rationale_is_refused_and_nothing_is_stored(
    client_as: ClientAs, check_for: CheckFor, session: Session, connection: Connection
) -> None:
    client, author = client_as(Role.AUDITOR, agency="send_service")
    audit = check_for(author, submit=False)
    url = f"/audits/{audit.id}/judgement"
    before = table_fingerprints(connection)
    trail_before = _trail_rows(connection)

    response = client.post(url, data={
        "version": str(audit.version_id), "auditor_grade": audit.template.scale.codes[0],
        "override_rationale": "x" * 15_000_000, "summary": "fine",
    })

    assert response.status_code == 400  # the form again, with the error
    soup_text = response.get_data(as_text=True)
    assert f"Keep the reasons to {limits.OVERRIDE_RATIONALE:,} characters or fewer" in soup_text
    assert "#override_rationale" in error_links(page(response, 400))
    assert changed_tables(before, table_fingerprints(connection)) == []
    assert _trail_rows(connection) == trail_before
    session.expire_all()
    assert session.get(Audit, audit.id).override_rationale is None


def test_the_judgement_page_tells_the_limit(client_as: ClientAs, check_for: CheckFor) -> None:
    client, author = client_as(Role.AUDITOR, agency="send_service")
    audit = check_for(author, submit=False)
    html = client.get(f"/audits/{audit.id}/judgement").get_data(as_text=True)
    assert 'data-module="govuk-character-count"' in html
    assert f'data-maxlength="{limits.OVERRIDE_RATIONALE}"' in html
    assert f"You can enter up to {limits.OVERRIDE_RATIONALE} characters" in html


def test_an_over_long_return_comment_is_refused_by_the_library_and_the_page(
    client_as: ClientAs, check_for: CheckFor, session: Session, connection: Connection
) -> None:
    _, author = client_as(Role.AUDITOR, agency="send_service")
    panel, member = client_as(Role.PANEL_MEMBER)
    audit = check_for(author)
    too_long = "y" * (limits.RETURN_COMMENT + 1)
    with pytest.raises(InvalidInput) as refused:
        return_audit(session, member, audit.id, too_long)
    assert refused.value.errors[0].field == "comment"

    before = table_fingerprints(connection)
    response = panel.post(f"/audits/{audit.id}/return", data={"comment": too_long})
    assert response.status_code in (200, 400) and "govuk-error-summary" in response.get_data(as_text=True)
    assert f"Keep your comments to {limits.RETURN_COMMENT:,} characters or fewer" in response.get_data(as_text=True)
    assert changed_tables(before, table_fingerprints(connection)) == []
    session.expire_all()
    assert session.get(Audit, audit.id).status == AuditStatus.SUBMITTED
    # exactly at the limit is fine
    assert panel.post(f"/audits/{audit.id}/return", data={"comment": "y" * limits.RETURN_COMMENT}).status_code == 302
