"""The maintenance app's nightly jobs (run by the kernel's engine, logistics.nightly)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from logistics.nightly import JobContext, nightly_job
from maintenance import services

BATCH = 1000


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
