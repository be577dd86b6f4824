"""Loading checklist templates into the database as immutable, versioned records."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from qaframework.checklists.loader import template_checksum
from qaframework.checklists.model import Template
from qaframework.operations.base import FieldError, InvalidInput, NotFound, operation, record, require
from qaframework.permissions import can_administer, can_use_template
from qaframework.store import TemplateVersion, User


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


@operation
def sync_templates(session: Session, actor: User | None, templates: list[Template]) -> SyncReport:
    """Store new template versions. A stored version whose file changed is refused, all-or-nothing:
    published versions are never edited, because finished audits must keep saying what they said."""
    require(actor is None or can_administer(actor), "Only an administrator can load templates.")
    report, errors = SyncReport(), []
    rule_errors: set[str] = set()
    existing = {(tv.template_id, tv.version): tv for tv in session.scalars(select(TemplateVersion))}
    for template in templates:
        checksum = template_checksum(template)
        stored = existing.get((template.id, template.version))
        if stored is None:
            tv = TemplateVersion(
                template_id=template.id,
                version=template.version,
                title=template.title,
                tier=int(template.tier),
                agencies=list(template.agencies),
                subjects=[s.value for s in template.subjects],
                content=template.model_dump(mode="json"),
                checksum=checksum,
            )
            session.add(tv)
            existing[(template.id, template.version)] = tv
            report.added.append(template.key)
        elif stored.checksum != checksum:
            changed_rule = _changed_rule(stored, template)
            if changed_rule is not None:
                if changed_rule not in rule_errors:
                    rule_errors.add(changed_rule)
                    rule_id, _, version = changed_rule.rpartition(".v")
                    errors.append(
                        FieldError(
                            changed_rule,
                            f"grading rule {rule_id} version {version} is already in use (by {template.key}) and "
                            f"its content has changed; save the change as {rule_id}.v{int(version) + 1} and "
                            "publish new template versions that use it",
                        )
                    )
                continue
            errors.append(
                FieldError(
                    template.key,
                    f"version {template.version} of {template.id} is already in use and its content has "
                    f"changed; save the change as version {template.version + 1} instead",
                )
            )
        else:
            report.unchanged.append(template.key)
    if errors:
        raise InvalidInput(errors)
    session.flush()
    if report.added:
        record(session, actor, "templates.load", "template_version", None, after={"added": report.added})
    return report


def _changed_rule(stored: TemplateVersion, template: Template) -> str | None:
    """The shared rule (``id.vN``) whose published content differs from what ``stored`` was loaded
    with, or None when the change is elsewhere in the template."""
    rule = template.grading.rule
    stored_grading = stored.content.get("grading")
    stored_rule = stored_grading.get("rule") if isinstance(stored_grading, dict) else None
    if rule is None or not isinstance(stored_rule, dict):
        return None
    if (stored_rule.get("id"), stored_rule.get("version")) != (rule.id, rule.version):
        return None
    if stored_grading == template.grading.model_dump(mode="json"):
        return None
    return rule.key


def current_versions(session: Session) -> list[TemplateVersion]:
    """The newest non-retired version of each template: the ones new audits use."""
    newest: dict[str, TemplateVersion] = {}
    for tv in session.scalars(select(TemplateVersion).where(TemplateVersion.retired.is_(False))):
        if tv.template_id not in newest or tv.version > newest[tv.template_id].version:
            newest[tv.template_id] = tv
    return sorted(newest.values(), key=lambda tv: (tv.tier, tv.title))


def all_versions(session: Session) -> list[TemplateVersion]:
    return list(
        session.scalars(
            select(TemplateVersion).order_by(
                TemplateVersion.tier, TemplateVersion.template_id, TemplateVersion.version.desc()
            )
        )
    )


def templates_for(session: Session, user: User, subject: str | None = None) -> list[TemplateVersion]:
    """Current templates this user may start an audit with (by tier, agency and subject)."""
    return [
        tv
        for tv in current_versions(session)
        if can_use_template(user, tv.template) and (subject is None or subject in tv.subjects)
    ]


def get_version(session: Session, template_version_id: int) -> TemplateVersion:
    tv = session.get(TemplateVersion, template_version_id)
    if tv is None:
        raise NotFound(f"There is no template version {template_version_id}")
    return tv


@operation
def set_retired(session: Session, actor: User | None, template_version_id: int, retired: bool) -> TemplateVersion:
    require(actor is None or can_administer(actor), "Only an administrator can retire templates.")
    tv = get_version(session, template_version_id)
    before = {"retired": tv.retired}
    tv.retired = retired
    record(
        session,
        actor,
        "template.retire" if retired else "template.restore",
        "template_version",
        tv.id,
        before,
        {"retired": retired},
    )
    return tv
