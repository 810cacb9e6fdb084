"""Writes the kernel owns: the audit trail, role grants and background job runs."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from datetime import date

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from logistics.models import AuditEvent, JobRun, RoleGrant, User


def audit_record(
    *,
    actor: User | None,
    action: str,
    target: models.Model | None = None,
    changes: dict | None = None,
) -> AuditEvent:
    """Record that `actor` did `action` to `target`. Call it inside the service's transaction
    so the record and the change commit or roll back together."""
    return AuditEvent.objects.create(
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


def job_run(
    *, job: str, for_date: date, work: Callable[[date], int], trigger: str = ""
) -> JobRun | None:
    """Run `work(for_date)` once per job and date, recording the run.

    Returns None, doing nothing, when the job already succeeded for that date. The work runs
    in its own transaction: a failure rolls its changes back and is recorded with the error.
    """
    if JobRun.objects.filter(job=job, for_date=for_date, status=JobRun.Status.SUCCEEDED).exists():
        return None
    run = JobRun.objects.create(
        job=job,
        for_date=for_date,
        status=JobRun.Status.RUNNING,
        trigger=trigger,
        started_at=timezone.now(),
    )
    try:
        with transaction.atomic():
            items = work(for_date)
            run.items = int(items or 0)
            run.status = JobRun.Status.SUCCEEDED
            run.finished_at = timezone.now()
            try:
                # Inside the work's transaction: if another runner succeeded meanwhile, the
                # unique constraint refuses this save and the work is rolled back with it.
                with transaction.atomic():
                    run.save(update_fields=["items", "status", "finished_at"])
            except IntegrityError as exc:
                raise _AlreadyDone from exc
    except _AlreadyDone:
        _fail(run, "Another run of this job for this date succeeded first; this one was undone.")
    except Exception:
        _fail(run, traceback.format_exc()[-4000:])
    return run


class _AlreadyDone(Exception):
    """Another run of the same job for the same date succeeded while this one worked."""


def _fail(run: JobRun, error: str) -> None:
    run.status = JobRun.Status.FAILED
    run.error = error
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "error", "finished_at"])
