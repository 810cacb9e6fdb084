"""The maintenance app's nightly jobs (run by logistics.jobs.run_nightly_jobs)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from logistics.jobs import nightly_job
from maintenance import services


def end_of_day(for_date: date) -> datetime:
    """The last instant of `for_date` in the local time zone (Asia/Shanghai): the job's "now",
    so a run for a past date, or a second run, decides the same way whenever it happens."""
    midnight = datetime.combine(for_date + timedelta(days=1), time.min)
    return timezone.make_aware(midnight, timezone.get_current_timezone()) - timedelta(
        microseconds=1
    )


@nightly_job("maintenance.auto_confirm")
def auto_confirm(for_date: date) -> int:
    """Close the finished repairs whose reporter did not confirm or reopen them within
    REPAIR_CONFIRM_DAYS by the end of `for_date`; they can still rate them afterwards.

    The scheduled run (23:30) takes the present instead, so no ticket is stamped closed at a
    time still to come; what it leaves is due, and closed, the next night."""
    return services.auto_confirm_due(min(end_of_day(for_date), timezone.now()))
