"""Persistence: SQLAlchemy 2 typed models, the engine, and Alembic migrations."""

from qaframework.store.audits import Audit, PeerChallenge, PeerComment, Response, SectionGrade, TemplateVersion
from qaframework.store.base import Base, utcnow
from qaframework.store.cases import AdviceRequest, Case, CaseNeed, Placement, Request, Review
from qaframework.store.jobs import Job
from qaframework.store.learning import Exemplar
from qaframework.store.panel import (
    Action,
    ConsentRecord,
    ModerationRating,
    ModerationRecord,
    ModerationSectionGrade,
    Sample,
    SampleAssignment,
    SampleItem,
)
from qaframework.store.panel_audits import AgencyContribution, AuditParticipant
from qaframework.store.people import Agency, User
from qaframework.store.reviews import ReviewConversation
from qaframework.store.sessions import UserSession
from qaframework.store.settings import AreaSetting
from qaframework.store.submissions import FormSubmission
from qaframework.store.throttle import ThrottleCounter
from qaframework.store.trail import TrailEntry, TrailIsAppendOnly

__all__ = [
    "Action",
    "AdviceRequest",
    "Agency",
    "AgencyContribution",
    "AreaSetting",
    "Audit",
    "AuditParticipant",
    "Base",
    "Case",
    "CaseNeed",
    "ConsentRecord",
    "Exemplar",
    "FormSubmission",
    "Job",
    "ModerationRating",
    "ModerationRecord",
    "ModerationSectionGrade",
    "PeerChallenge",
    "PeerComment",
    "Placement",
    "Request",
    "Response",
    "Review",
    "ReviewConversation",
    "Sample",
    "SampleAssignment",
    "SampleItem",
    "SectionGrade",
    "TemplateVersion",
    "ThrottleCounter",
    "TrailEntry",
    "TrailIsAppendOnly",
    "User",
    "UserSession",
    "utcnow",
]
