"""Celery tasks of the kernel: thin, taking plain values and calling services."""

from datetime import date

from celery import shared_task
from django.utils import timezone

from logistics.jobs import run_nightly_jobs as run_all_nightly_jobs


@shared_task(name="logistics.tasks.run_nightly_jobs", time_limit=60 * 60, soft_time_limit=55 * 60)
def run_nightly_jobs(for_date: str | None = None, trigger: str = "schedule") -> dict:
    day = date.fromisoformat(for_date) if for_date else timezone.localdate()
    runs = run_all_nightly_jobs(day, trigger=trigger)
    return {run.job: run.status for run in runs}
