"""The nightly jobs. Each app declares its own in `<app>/jobs.py` with @nightly_job; the kernel
runs them all, in declaration order, each recorded as a JobRun and safe to run twice."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.contrib.sessions.models import Session
from django.utils import timezone

NightlyWork = Callable[[date], int]
NIGHTLY_JOBS: dict[str, NightlyWork] = {}


def nightly_job(name: str):
    """Register `work(for_date) -> number of items handled` as the nightly job `name`."""

    def register(work: NightlyWork) -> NightlyWork:
        if name in NIGHTLY_JOBS and NIGHTLY_JOBS[name] is not work:
            raise ValueError(f"Nightly job {name!r} is declared twice.")
        NIGHTLY_JOBS[name] = work
        return work

    return register


def run_nightly_jobs(for_date: date, *, trigger: str):
    """Run every nightly job for `for_date`; returns the JobRuns made (skipped jobs, already
    done for that date, make none)."""
    from logistics.services import job_run

    runs = []
    for name, work in NIGHTLY_JOBS.items():
        run = job_run(job=name, for_date=for_date, work=work, trigger=trigger)
        if run is not None:
            runs.append(run)
    return runs


@nightly_job("kernel.clear_expired_sessions")
def clear_expired_sessions(for_date: date) -> int:
    """Expired login sessions pile up in the database; delete them (Django's clearsessions)."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted
