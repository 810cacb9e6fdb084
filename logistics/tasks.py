"""Celery tasks of the kernel: thin, taking plain values and calling services."""

from datetime import date, timedelta

from celery import shared_task
from django.utils import timezone

from logistics.jobs import run_nightly_jobs as run_all_nightly_jobs

# The nightly run starts at 23:30 (CELERY_BEAT_SCHEDULE); one delayed past midnight, by a
# worker restart say, must still do the day that ended, not start on the new one.
DAY_ENDS_AT = timedelta(hours=6)


@shared_task(name="logistics.tasks.run_nightly_jobs", time_limit=60 * 60, soft_time_limit=55 * 60)
def run_nightly_jobs(for_date: str | None = None, trigger: str = "schedule") -> dict:
    """Run the nightly jobs for `for_date` (YYYY-MM-DD); by default for the day that is
    ending, which until 06:00 is yesterday."""
    day = (
        date.fromisoformat(for_date)
        if for_date
        else (timezone.localtime(timezone.now()) - DAY_ENDS_AT).date()
    )
    runs = run_all_nightly_jobs(day, trigger=trigger)
    return {run.job: run.status for run in runs}


@shared_task(name="logistics.tasks.send_notification_emails")
def send_notification_emails(notification_ids: list[int]) -> int:
    """E-mail the given notifications to recipients who have an address, once each."""
    from django.core.mail import send_mail

    from logistics.models import Notification
    from logistics.notifications import email_content

    sent = 0
    pending = Notification.objects.filter(
        pk__in=notification_ids, emailed_at__isnull=True
    ).select_related("recipient")
    for notification in pending:
        if not notification.recipient.email:
            continue
        subject, body = email_content(notification)
        send_mail(subject, body, None, [notification.recipient.email])
        Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
        sent += 1
    return sent
