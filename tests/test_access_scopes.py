"""Need to know, through the library against the real database (docs/access.md): for every role,
which audits and cases it may open. The rules themselves are tested as pure functions in
tests/test_permissions.py; this checks the operations ask them."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from qaframework.framework import Role
from qaframework.operations.audits import get_audit
from qaframework.operations.base import PermissionDenied
from qaframework.operations.cases import audits_of_case, get_case
from tests.support import MakeCase, MakeUser, TemplateVersionOf, submitted_check

T1 = "t1-coordinator-plan-check"

#: role, agency -> may open (an audit of its own agency, another agency's audit, the case itself)
SCOPES = [
    (Role.AUDITOR, "send_service", True, False, True),
    (Role.AUDITOR, "health", False, False, True),  # "own agency" below is the SEND service's
    (Role.PANEL_MEMBER, None, True, True, True),
    (Role.SYSTEM_LEADER, None, True, True, True),
    (Role.ADMIN, None, True, True, True),
    (Role.PARENT_CARER_FORUM, None, False, False, False),  # nothing assigned to them
    (Role.BOARD_VIEWER, None, False, False, False),
]


def _opens(action: object) -> bool:
    try:
        action()  # type: ignore[operator]
    except PermissionDenied:
        return False
    return True


@pytest.mark.parametrize(("role", "agency", "own_agency", "other_agency", "case"), SCOPES)
def test_who_opens_which_audit_and_case(
    session: Session, make_user: MakeUser, make_case: MakeCase, template_version: TemplateVersionOf,
    role: Role, agency: str | None, own_agency: bool, other_agency: bool, case: bool,
) -> None:
    coordinator = make_user(Role.AUDITOR, agency="send_service")
    t1_case = make_case()
    send_audit = submitted_check(session, coordinator, t1_case.id, template_version(T1).id)
    educator = make_user(Role.AUDITOR, agency="education")
    education_case = make_case()
    education_audit = submitted_check(session, educator, education_case.id,
                                      template_version("t2-education-advice-audit").id)
    actor = make_user(role, agency=agency)
    assert _opens(lambda: get_audit(session, actor, send_audit.id)) is own_agency
    assert _opens(lambda: get_audit(session, actor, education_audit.id)) is other_agency
    assert _opens(lambda: get_case(session, actor, t1_case.id)) is case
    if case:  # the audits listed on a case page are the ones the role may open
        listed = {a.id for a in audits_of_case(session, actor, education_case)}
        assert (education_audit.id in listed) is other_agency
