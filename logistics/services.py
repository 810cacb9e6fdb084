"""Writes the kernel owns: the audit trail and role grants. (Job runs: logistics.nightly;
alerts: logistics.alerts.)"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction

from logistics.models import AuditEvent, RoleGrant, User


def audit_record(
    *,
    actor: User | None,
    action: str,
    target: models.Model | None = None,
    changes: dict | None = None,
) -> AuditEvent:
    """Record that `actor` did `action` to `target`. Call it inside the service's transaction
    so the record and the change commit or roll back together."""
    event = audit_event(actor=actor, action=action, target=target, changes=changes)
    event.save(force_insert=True)
    return event


def audit_event(
    *,
    actor: User | None,
    action: str,
    target: models.Model | None = None,
    changes: dict | None = None,
) -> AuditEvent:
    """The audit record of audit_record, not yet saved: for a service that writes it together
    with other rows in one round trip (logistics.db.insert_together)."""
    return AuditEvent(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        target_type=ContentType.objects.get_for_model(target) if target is not None else None,
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:200] if target is not None else "",
        changes=changes or {},
    )


@transaction.atomic
def role_grant(
    *, actor: User | None, user: User, role: str, campus=None, department=None
) -> RoleGrant:
    grant, created = RoleGrant.objects.get_or_create(
        user=user, role=role, campus=campus, department=department
    )
    if created:
        audit_record(actor=actor, action="role.grant", target=user, changes={"role": role})
    return grant


@transaction.atomic
def role_revoke(*, actor: User | None, grant: RoleGrant) -> None:
    audit_record(actor=actor, action="role.revoke", target=grant.user, changes={"role": grant.role})
    grant.delete()
