"""The maintenance app's nightly jobs (run by the kernel's engine, logistics.nightly)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from logistics.nightly import JobContext, nightly_job
from maintenance import preventive, services

BATCH = 1000
# Schedules a batch of the preventive job (a few dates each at most, usually one).
PREVENTIVE_BATCH = 500


def end_of_day(for_date: date) -> datetime:
    """The last instant of `for_date` in the local time zone (Asia/Shanghai): the job's "now",
    so a run for a past date, or a second run, decides the same way whenever it happens."""
    midnight = datetime.combine(for_date + timedelta(days=1), time.min)
    return timezone.make_aware(midnight, timezone.get_current_timezone()) - timedelta(
        microseconds=1
    )


@nightly_job(
    "maintenance.auto_confirm",
    description=_(
        "Closes the finished repairs whose reporter neither confirmed nor reopened them in "
        "time; they may still rate them."
    ),
    time_limit=timedelta(minutes=30),
)
def auto_confirm(run: JobContext) -> None:
    """Close the finished repairs whose reporter did not confirm or reopen them within
    REPAIR_CONFIRM_DAYS by the end of the run's date; they can still rate them afterwards.

    The scheduled run (23:30) takes the present instead, so no ticket is stamped closed at a
    time still to come; what it leaves is due, and closed, the next night."""
    now = min(end_of_day(run.for_date), timezone.now())
    run.each_batch(
        services.tickets_due_for_auto_confirm(now),
        lambda ids: services.auto_confirm_tickets(ids, now=now),
        size=BATCH,
    )


@nightly_job(
    "maintenance.preventive",
    description=_(
        "Files the jobs of the preventive schedules that fall due, as tickets in the repair "
        "queue: one per schedule and due date, missed nights included."
    ),
    time_limit=timedelta(minutes=30),
)
def preventive_jobs(run: JobContext) -> None:
    """Generate every job due by the run's date (maintenance.preventive.generate), in committed
    batches of schedules. A date done twice generates nothing the second time: the schedules
    have moved on, and the database refuses a second ticket for a schedule and date."""
    run.each_batch(
        preventive.due_schedules(run.for_date),
        lambda ids: preventive.generate(ids, for_date=run.for_date),
        size=PREVENTIVE_BATCH,
    )
