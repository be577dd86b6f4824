"""Admin pages: erase a case after a confirmation page; the case retention report and bulk deletion."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from qaframework.framework import Role
from qaframework.store import Audit, Case, Response, TrailEntry
from tests.support import ClientAs, MakeCase, TemplateVersionOf, submitted_check
from tests.webapp.journey import form_values, page


def test_admin_erases_a_case_after_confirming(
    client_as: ClientAs, session: Session, make_case: MakeCase, template_version: TemplateVersionOf
) -> None:
    auditor_client, auditor = client_as(Role.AUDITOR)
    case = make_case("ERASE-01")
    audit = submitted_check(session, auditor, case.id, template_version("t1-coordinator-plan-check").id)
    case_id, audit_id, answers = case.id, audit.id, len(audit.template.questions())
    assert auditor_client.get(f"/admin/erase-case/{case.id}").status_code == 403
    client, _ = client_as(Role.ADMIN)
    find = page(client.get("/admin/erase-case"))
    hint = find.select_one("#case_ref-hint")
    assert hint is not None and "everything that will be deleted" in hint.get_text()
    missing = page(client.post("/admin/erase-case", data={"case_ref": "NOPE-9"}))
    assert "There is no case NOPE-9" in missing.select_one(".govuk-error-summary").get_text()
    found = client.post("/admin/erase-case", data={"case_ref": "erase-01"})
    assert found.status_code == 302 and found.headers["Location"] == f"/admin/erase-case/{case.id}"
    confirm = page(client.get(found.headers["Location"]))
    assert confirm.h1.get_text(strip=True) == "Are you sure you want to erase case ERASE-01?"
    listed = [li.get_text(strip=True) for li in confirm.select("ul.govuk-list--bullet li")]
    assert "1 audit" in listed and f"{answers} answers" in listed and "1 request for assessment" in listed
    assert session.get(Case, case.id) is not None  # nothing deleted by looking
    done = client.post(f"/admin/erase-case/{case.id}", data=form_values(confirm.select_one("form[method=post]")))
    assert done.status_code == 302 and done.headers["Location"] == "/admin"
    assert "Case ERASE-01 and everything about it has been erased." in page(client.get("/admin")).get_text()
    session.expire_all()
    assert session.get(Case, case_id) is None and session.get(Audit, audit_id) is None
    assert session.scalar(select(Response.id).where(Response.audit_id == audit_id)) is None
    erased = session.scalars(select(TrailEntry).where(TrailEntry.action == "case.erase")).all()
    assert erased and all("ERASE-01" not in str(e.after) for e in erased)
    assert client.get(f"/admin/erase-case/{case_id}").status_code == 404


def test_retention_report_lists_old_cases_and_deletes_them_after_confirming(
    client_as: ClientAs, session: Session, make_case: MakeCase
) -> None:
    client, _ = client_as(Role.ADMIN)
    old, recent = make_case("OLD-RET-1"), make_case("NEW-RET-1")
    old_id, recent_id = old.id, recent.id
    session.execute(update(Case).where(Case.id == old.id).values(updated_at=datetime(2001, 1, 1, tzinfo=UTC)))
    session.commit()
    bad = page(client.post("/admin/case-retention", data={"months": "2"}))
    assert "between 6 and 600" in bad.select_one(".govuk-error-summary").get_text()
    saved = client.post("/admin/case-retention", data={"months": "24"})
    assert saved.status_code == 302
    report = page(client.get("/admin/case-retention"))
    cells = [td.get_text(strip=True) for td in report.select("table td")]
    assert "OLD-RET-1" in cells and "NEW-RET-1" not in cells
    assert "24 months" in report.get_text()
    confirm = page(client.get("/admin/case-retention/delete"))
    assert "OLD-RET-1" in [li.get_text(strip=True) for li in confirm.select("ul.govuk-list--bullet li")]
    form = confirm.select_one("form[method=post]")
    values = form_values(form)
    assert str(old_id) in (values["case_id"] if isinstance(values["case_id"], list) else [values["case_id"]])
    done = client.post("/admin/case-retention/delete", data={**values, "case_id": [str(old_id), str(recent_id)]})
    assert done.status_code == 302
    session.expire_all()
    assert session.get(Case, old_id) is None
    assert session.get(Case, recent_id) is not None  # posted, but not past retention: kept
