"""The kernel's own nightly jobs. (The engine that runs every app's jobs is logistics.nightly;
`nightly_job` and `NIGHTLY_JOBS` are re-exported here for the apps' `jobs.py` modules.)"""

from __future__ import annotations

from django.contrib.sessions.models import Session
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from logistics.nightly import NIGHTLY_JOBS, JobContext, nightly_job

__all__ = ["NIGHTLY_JOBS", "JobContext", "clear_expired_sessions", "nightly_job"]


@nightly_job(
    "kernel.clear_expired_sessions",
    description=_("Deletes the login sessions that have expired."),
)
def clear_expired_sessions(run: JobContext) -> None:
    """Expired login sessions pile up in the database; delete them (Django's clearsessions),
    a batch at a time."""
    now = timezone.now()

    def delete(keys):
        deleted, _ = Session.objects.filter(session_key__in=keys, expire_date__lt=now).delete()
        return deleted

    run.each_batch(Session.objects.filter(expire_date__lt=now), delete, size=2000)
