"""Which cases a person who sees only their assignments may open (a parent carer forum representative).

Worked out from the database each time, so an assignment that ends takes effect at once: the cases
of the Tier 4 reviews they carry out, and of the samples they are assigned to. Everyone else is
not limited this way, and asking costs them no query.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from qaframework.permissions import sees_assigned_cases_only
from qaframework.store import Audit, User


def assigned_case_ids(session: Session, user: User) -> frozenset[int]:
    """The cases ``user`` is assigned to, or an empty set for anyone not limited to assignments."""
    if not sees_assigned_cases_only(user):
        return frozenset()
    # Imported here: samples reads the clocks, whose queries are themselves scoped by this module.
    from qaframework.operations.samples import case_ids_assigned_to

    ids = set(session.scalars(select(Audit.case_id).where(Audit.auditor_id == user.id)))
    return frozenset(ids | case_ids_assigned_to(session, user.id))
