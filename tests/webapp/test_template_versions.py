"""Starting an audit offers the newest version of each checklist; audits already started keep theirs."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from qaframework.framework import Role
from qaframework.operations.audits import start_audit
from qaframework.store import Audit, TemplateVersion
from tests.support import T1, ClientAs, MakeCase
from tests.webapp.journey import T1_TITLE, check_page, start_via_pages


def _version(session: Session, template_id: str, version: int) -> TemplateVersion:
    tv = session.scalar(
        select(TemplateVersion).where(TemplateVersion.template_id == template_id, TemplateVersion.version == version)
    )
    assert tv is not None, (template_id, version)
    return tv


def test_the_start_page_offers_version_2_and_the_new_tier1_checks(
    client_as: ClientAs, make_case: MakeCase, session: Session
) -> None:
    client, _ = client_as(Role.AUDITOR, agency="send_service", team="North")
    make_case("VER-1")
    soup = check_page(client.get("/audits/new?case_ref=VER-1&subject=final_plan"))
    offered = {radio["value"] for radio in soup.select("input[name=template_version_id]")}
    assert str(_version(session, T1, 2).id) in offered
    assert str(_version(session, T1, 1).id) not in offered
    titles = [label.get_text(strip=True) for label in soup.select("form label.govuk-radios__label")]
    assert T1_TITLE in titles and "EHC co-ordinator pre-issue check" in titles

    audit_id = start_via_pages(client, "VER-1")
    tv = session.get(Audit, audit_id).template_version
    assert (tv.template_id, tv.version) == (T1, 2)
    assert len(tv.template.questions()) == 64


def test_annual_reviews_offer_the_coordinators_review_check(client_as: ClientAs, make_case: MakeCase) -> None:
    client, _ = client_as(Role.AUDITOR, agency="send_service", team="North")
    make_case("VER-2")
    soup = check_page(client.get("/audits/new?case_ref=VER-2&subject=annual_review"))
    titles = [label.get_text(strip=True) for label in soup.select("form label.govuk-radios__label")]
    assert titles == ["EHC co-ordinator annual review check"]


def test_an_audit_started_on_version_1_still_opens_on_version_1(
    client_as: ClientAs, make_case: MakeCase, session: Session
) -> None:
    client, user = client_as(Role.AUDITOR, agency="send_service", team="North")
    case = make_case("VER-3")
    old = _version(session, T1, 1)
    audit = start_audit(session, user, case_id=case.id, template_version_id=old.id, subject="final_plan")
    session.commit()
    soup = check_page(client.get(f"/audits/{audit.id}"))
    assert T1_TITLE in soup.get_text()
    assert session.get(Audit, audit.id).template_version.version == 1
    text = check_page(client.get(f"/audits/{audit.id}/checklist")).get_text()
    assert "Are the parents' views recorded, separately from the child's where they differ?" in text  # T1-A-02, v1 only
    assert "what their child gets each week" not in text  # T1-F-11 is new in version 2
