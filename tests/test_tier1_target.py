"""The Tier 1 target: a team total or a per-person figure, counting plan checks only (domain review §1.4)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.orm import Session

from qaframework.framework import Role, Subject
from qaframework.operations.audits import save_answers, start_audit, submit_audit
from qaframework.operations.base import InvalidInput, PermissionDenied
from qaframework.operations.dashboard import my_target, team_oversight
from qaframework.operations.settings import (
    TERM_DATES,
    TIER1_MONTHLY_TARGET,
    TargetBasis,
    configured_cycles,
    set_setting,
    set_term_dates,
    set_tier1_target,
    tier1_target,
)
from qaframework.store import Audit, User
from tests.support import T1, MakeCase, MakeUser, TemplateVersionOf, all_met, submitted_check

ADVICE_CHECK = "t1-agency-advice-self-check"


def _check(
    session: Session,
    author: User,
    make_case: MakeCase,
    template_version: TemplateVersionOf,
    template: str = T1,
    subject: Subject = Subject.FINAL_PLAN,
    submit: bool = True,
) -> Audit:
    audit = start_audit(
        session,
        author,
        case_id=make_case().id,
        template_version_id=template_version(template).id,
        subject=subject.value,
    )
    save_answers(session, author, audit.id, audit.version_id, all_met(audit.template))
    if submit:
        submit_audit(session, author, audit.id, audit.version_id)
    return audit


def test_the_default_is_a_team_total_of_25(session: Session) -> None:
    rule = tier1_target(session)
    assert (rule.checks, rule.basis, rule.per_person) == (25, TargetBasis.TEAM, False)
    assert rule.description == "25 plan checks a month for each team, between its co-ordinators"
    assert rule.for_group(people=6, teams=2) == 50


@pytest.mark.parametrize(
    ("checks", "basis", "fields"),
    [
        (0, "team", ["target"]),
        (201, "per_person", ["target"]),
        (True, "team", ["target"]),
        (25, "everyone", ["basis"]),
        (-1, "nobody", ["target", "basis"]),
    ],
)
def test_the_target_is_checked_in_the_library(
    session: Session, make_user: MakeUser, checks: int, basis: str, fields: list[str]
) -> None:
    admin = make_user(Role.ADMIN)
    with pytest.raises(InvalidInput) as refused:
        set_tier1_target(session, admin, checks, basis)
    assert [e.field for e in refused.value.errors] == fields
    with pytest.raises(InvalidInput):  # the general setter applies the same rule
        set_setting(session, admin, TIER1_MONTHLY_TARGET, checks if "target" in fields else 500)
    assert tier1_target(session).checks == 25


def test_only_admins_set_the_target(session: Session, make_user: MakeUser) -> None:
    with pytest.raises(PermissionDenied):
        set_tier1_target(session, make_user(manager=True), 30, "per_person")
    rule = set_tier1_target(session, make_user(Role.ADMIN), 30, "per_person")
    assert rule == tier1_target(session) and rule.description == "30 plan checks a month for each co-ordinator"


def test_term_dates_are_checked_whoever_sets_them(session: Session, make_user: MakeUser) -> None:
    admin = make_user(Role.ADMIN)
    with pytest.raises(InvalidInput):
        set_setting(session, admin, TERM_DATES, [])
    overlapping = [
        (date(2031, 9, 1), date(2031, 10, 20)),
        (date(2031, 10, 15), date(2031, 12, 19)),
        (date(2032, 1, 5), date(2032, 2, 13)),
        (date(2032, 2, 23), date(2032, 3, 27)),
        (date(2032, 4, 13), date(2032, 5, 22)),
        (date(2032, 6, 1), date(2032, 7, 21)),
    ]
    with pytest.raises(InvalidInput) as refused:
        set_term_dates(session, admin, "2031-32", overlapping)
    assert [e.field for e in refused.value.errors] == ["half_term_2"]
    assert not [c for c in configured_cycles(session) if c.academic_year == "2031-32"]
    fixed = [overlapping[0], (date(2031, 10, 27), date(2031, 12, 19)), *overlapping[2:]]
    cycles = set_term_dates(session, admin, "2031-32", fixed)
    assert [c.half_term for c in cycles][:2] == ["Autumn 1", "Autumn 2"]
    assert [c for c in configured_cycles(session) if c.academic_year == "2031-32"] == cycles


def test_team_total_counts_the_teams_plan_checks_only(
    session: Session, make_user: MakeUser, make_case: MakeCase, template_version: TemplateVersionOf
) -> None:
    me, colleague, other_team = make_user(team="North"), make_user(team="North"), make_user(team="South")
    health = make_user(agency="health", team="North")  # not a co-ordinator: never counted
    _check(session, me, make_case, template_version)
    _check(session, colleague, make_case, template_version, subject=Subject.DRAFT_PLAN)
    _check(session, colleague, make_case, template_version)
    _check(session, colleague, make_case, template_version, submit=False)  # a draft does not count
    _check(session, me, make_case, template_version, ADVICE_CHECK, Subject.ADVICE)  # advice self-check: not counted
    _check(session, other_team, make_case, template_version)
    _check(session, health, make_case, template_version, ADVICE_CHECK, Subject.ADVICE)
    today = datetime.now(UTC).date()

    progress = my_target(session, me, today)
    assert progress is not None
    assert (progress.done, progress.own, progress.target, progress.team) == (3, 1, 25, "North")
    assert (progress.remaining, progress.percent) == (22, 12)
    assert my_target(session, health, today) is None

    set_tier1_target(session, None, 2, TargetBasis.PER_PERSON)
    progress = my_target(session, colleague, today)
    assert progress is not None
    assert (progress.done, progress.own, progress.target, progress.remaining, progress.percent) == (2, 2, 2, 0, 100)


def test_oversight_totals_follow_the_basis(
    session: Session, make_user: MakeUser, make_case: MakeCase, template_version: TemplateVersionOf
) -> None:
    manager = make_user(team="North", manager=True)
    member = make_user(team="North")
    south = make_user(team="South")
    for author in (member, member, south):
        submitted_check(session, author, make_case().id, template_version(T1).id)
    _check(session, member, make_case, template_version, ADVICE_CHECK, Subject.ADVICE)
    admin = make_user(Role.ADMIN)
    today = datetime.now(UTC).date()

    north = team_oversight(session, manager, today)
    assert (north.done, north.target, north.percent) == (2, 25, 8)  # one team: the team total
    assert {m.user.id: (m.checks_this_month, m.target) for m in north.members} == {
        manager.id: (0, None),
        member.id: (2, None),
    }
    everyone = team_oversight(session, admin, today)
    assert everyone.target == 25 * len({m.user.team for m in everyone.members})

    set_tier1_target(session, None, 4, TargetBasis.PER_PERSON)
    north = team_oversight(session, manager, today)
    assert (north.done, north.target, north.percent) == (2, 8, 25)
    assert {m.user.id: (m.target, m.percent) for m in north.members} == {manager.id: (4, 0), member.id: (4, 50)}
