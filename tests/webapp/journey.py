"""Driving the audit pages from tests as a browser would: forms read back from the served HTML."""

from __future__ import annotations

import re
from typing import Any

from bs4 import BeautifulSoup, Tag
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from qaframework.checklists.model import Section
from qaframework.store import Audit
from tests.webapp.pagecheck import check_page as _check_page

T1_TITLE = "EHC co-ordinator plan quality check"


def check_page(response: Any) -> BeautifulSoup:
    """The shared page checks, plus: no markup escaped into the visible text (a macro misuse)."""
    soup = _check_page(response)
    assert "</" not in soup.get_text(), "escaped HTML in the page text"
    return soup



def page(response: Any, status: int = 200) -> BeautifulSoup:
    """Check the page (every page a test fetches) and its HTTP status."""
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    return check_page(response)


def error_links(soup: BeautifulSoup) -> dict[str, str]:
    """The error summary's messages by the element id each links to."""
    box = soup.select_one(".govuk-error-summary")
    assert box is not None, "no error summary"
    return {str(a["href"]): a.get_text(strip=True) for a in box.select("a")}


def form_values(form: Tag | None) -> dict[str, Any]:
    """What a browser sends for this form as served (no submit button pressed)."""
    assert form is not None, "no such form on the page"
    data: dict[str, Any] = {}
    for field in form.find_all(["input", "textarea", "select"]):
        name = field.get("name")
        if not name or (field.name == "input" and field.get("type") in ("submit", "button")):
            continue
        if field.name == "textarea":
            data[name] = field.get_text()
        elif field.name == "select":
            chosen = field.find("option", selected=True) or field.find("option")
            data[name] = chosen["value"] if chosen else ""
        elif field.get("type") == "radio":
            if field.has_attr("checked"):
                data[name] = field.get("value", "on")
        elif field.get("type") == "checkbox":
            if field.has_attr("checked"):
                data.setdefault(str(name), []).append(field.get("value", "on"))
        else:
            data[name] = field.get("value", "")
    return data


def start_via_pages(client: FlaskClient, case_ref: str, subject: str = "final_plan", title: str = T1_TITLE) -> int:
    soup = check_page(client.get(f"/audits/new?case_ref={case_ref}&subject={subject}"))
    label = soup.find("label", string=lambda s: s is not None and s.strip() == title)
    assert label is not None, f"checklist {title!r} not offered"
    form = soup.select_one("form[method=post]")
    data = {**form_values(form), "template_version_id": soup.find(id=label["for"])["value"]}
    response = client.post(form["action"], data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    match = re.fullmatch(r"/audits/(\d+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def answers_for(section: Section, rating: str = "met", evidence: str = "Clear and specific.") -> dict[str, str]:
    data: dict[str, str] = {}
    for q in section.questions:
        data[f"rating-{q.id}"] = rating
        data[f"evidence-{q.id}"] = evidence
    return data


def open_form(
    client: FlaskClient, url: str, selector: str = "form[method=post]"
) -> tuple[BeautifulSoup, dict[str, Any], str]:
    soup = check_page(client.get(url))
    form = soup.select_one(selector)
    assert form is not None, f"no form on {url}"
    return soup, form_values(form), str(form["action"])


def error_summary(soup: BeautifulSoup) -> list[tuple[str, str]]:
    """The error summary as (message, link) pairs, in the order shown."""
    return [(a.get_text(" ", strip=True), str(a["href"])) for a in soup.select(".govuk-error-summary a")]


def audit_row(session: Session, audit_id: int) -> Audit:
    session.expire_all()
    audit = session.get(Audit, audit_id)
    assert audit is not None
    return audit
