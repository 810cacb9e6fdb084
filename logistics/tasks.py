"""Celery tasks of the kernel: thin, taking plain values and calling the engine and services.

The nightly run is a fan-out: `nightly` (sent by beat at 23:30 with its date fixed at sending)
sends one `run_nightly_job` per job and date, each with the job's own time limits, so one job's
kill or failure costs no other job its night. `nightly_watchdog` (every few minutes) marks dead
runs abandoned and retries unfinished dates; `send_due_emails` empties the e-mail outbox.
Every task is acknowledged late and given back to the queue if its worker process dies.
"""

from __future__ import annotations

import logging
from datetime import date

from celery import shared_task
from celery.contrib.django.task import DjangoTask

from logistics import nightly, outbox
from logistics.publishing import publish
from logistics.schedule import nightly_date

logger = logging.getLogger("logistics.tasks")


class DatedWhenSent(DjangoTask):
    """A task whose `for_date`, when the sender gives none, is the nightly date at sending
    (not when a worker gets round to it: a late or repeated delivery does the same date)."""

    def apply_async(self, args=None, kwargs=None, **options):
        if not args and not (kwargs or {}).get("for_date"):
            kwargs = {**(kwargs or {}), "for_date": nightly_date()}
        return super().apply_async(args, kwargs, **options)


def enqueue_job(name: str, for_date: date, trigger: str) -> bool:
    """Send one job's task for one date, with the job's own time limits."""
    job = nightly.NIGHTLY_JOBS[name]
    return publish(
        "logistics.tasks.run_nightly_job",
        args=(name, for_date.isoformat(), trigger),
        time_limit=job.time_limit,
        soft_time_limit=job.soft_time_limit,
    )


@shared_task(base=DatedWhenSent, name="logistics.tasks.nightly", acks_late=True)
def run_nightly(for_date: str | None = None, trigger: str = "schedule") -> dict:
    """Send every nightly job's task for `for_date`, after those for the dates it missed since
    its last success (at most NIGHTLY_CATCH_UP_DAYS), oldest first, jobs in declaration order.
    Returns {job: [dates sent]}; a date the broker did not take is left to the watchdog."""
    day = date.fromisoformat(for_date) if for_date else date.fromisoformat(nightly_date())
    sent: dict[str, list[str]] = {}
    for name in nightly.NIGHTLY_JOBS:
        for catch_up in nightly.catch_up_dates(name, day):
            if enqueue_job(name, catch_up, trigger if catch_up == day else "catch-up"):
                sent.setdefault(name, []).append(catch_up.isoformat())
    return sent


@shared_task(
    bind=True,
    name="logistics.tasks.run_nightly_job",
    acks_late=True,
    reject_on_worker_lost=True,
)
def run_nightly_job(
    self, job: str, for_date: str, trigger: str = "schedule", automatic: bool = True
) -> dict:
    """Run one nightly job for one date (see logistics.nightly). Fails (JobIncomplete, logged
    at ERROR by Celery) when the date is not done; the watchdog retries it. An operator's run
    (`automatic=False`, from the job page) is tried even after the date used up its attempts."""
    if job not in nightly.NIGHTLY_JOBS:
        logger.error("unknown nightly job %s (not in this code version)", job)
        raise nightly.JobIncomplete(f"unknown nightly job {job}")
    if (self.request.delivery_info or {}).get("redelivered"):
        trigger = "redelivery"
    outcome = nightly.run_job(
        job, date.fromisoformat(for_date), trigger=trigger, automatic=automatic
    )
    result = {
        "job": job,
        "date": for_date,
        "state": outcome.state,
        "items": outcome.run.items if outcome.run else 0,
        "failures": outcome.run.failures if outcome.run else 0,
    }
    if not outcome.done:
        raise nightly.JobIncomplete(f"{job} for {for_date}: {outcome.state} {result}")
    return result


@shared_task(name="logistics.tasks.nightly_watchdog", acks_late=True, ignore_result=True)
def nightly_watchdog() -> dict:
    """Mark dead runs abandoned; retry unfinished dates whose backoff has passed."""
    report = nightly.watchdog(enqueue=lambda name, day: enqueue_job(name, day, "retry"))
    return {
        "abandoned": [run.pk for run in report.abandoned],
        "retries": [f"{name} {day}" for name, day in report.retries],
        "gave_up": [f"{name} {day}" for name, day in report.gave_up],
    }


@shared_task(
    name="logistics.tasks.send_due_emails",
    acks_late=True,
    ignore_result=True,
    soft_time_limit=4 * 60,
    time_limit=5 * 60,
)
def send_due_emails(ids: list[int] | None = None) -> int:
    """Send the e-mails that are due (those of `ids`, or all)."""
    return outbox.send_due_emails(ids=ids)


# The names of an earlier version, kept so that messages already queued when it is replaced are
# still understood.
@shared_task(base=DatedWhenSent, name="logistics.tasks.run_nightly_jobs", acks_late=True)
def run_nightly_jobs(for_date: str | None = None, trigger: str = "schedule") -> dict:
    return run_nightly(for_date, trigger)


@shared_task(name="logistics.tasks.send_notification_emails", acks_late=True, ignore_result=True)
def send_notification_emails(notification_ids: list[int]) -> int:
    return outbox.send_due_emails(ids=notification_ids)
