"""The residents' reminders, sent by the nightly job `apartments.resident_reminders`: a
condition report still to answer when its last day is near, and keys still to hand back
after the move-out inspection when the planned date is near or past.

The check-in and the inspection tell the resident at once (apartments.notifications
CONDITION_REPORT_DUE, KEYS_DUE); these are the reminders that follow, each sent **exactly
once per resident per due item**: the item's row carries the night it was reminded
(`ConditionReport.reminded_on`, `MoveOutRequest.keys_reminded_on`), set in the batch that
sends the reminder, after the batch re-read its items under a row lock. A second run, a
concurrent one or one after a crash finds them reminded and sends nothing.

For the night D (the day ending when the run starts), the reminder is read on D+1:
- a pending condition report of a current stay whose last day is D+1 … D+1+REMINDER_DAYS;
- keys not back from an inspected move-out whose planned date is at most D+1+REMINDER_DAYS
  (overdue ones included: they are reminded once too).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse

from apartments import notifications
from apartments.models import ConditionReport, MoveOutRequest, Stay
from logistics.notifications import notify_many

# Items a batch (each batch one transaction of three statements).
BATCH = 500


def _last_day(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=1 + settings.RESIDENT_REMINDER_DAYS)


def condition_reports_to_remind(day: dt.date) -> QuerySet:
    """The condition reports the run for night `day` reminds: pending, of a current stay,
    due on the morning after `day` or within RESIDENT_REMINDER_DAYS after it, not reminded."""
    return ConditionReport.objects.filter(
        status=ConditionReport.Status.PENDING,
        reminded_on__isnull=True,
        due_by__gte=day + dt.timedelta(days=1),
        due_by__lte=_last_day(day),
        stay__status=Stay.Status.ACTIVE,
    )


def condition_reports_remind(day: dt.date, keys: list[int]) -> int:
    """Remind the residents of the reports `keys` still due a reminder (re-read under a row
    lock: a concurrent run waits, then finds them reminded). Three statements."""
    due = list(
        condition_reports_to_remind(day)
        .filter(pk__in=keys)
        .select_for_update(of=("self",))
        .select_related("stay__resident__user", "stay__bed__room__building")
    )
    if not due:
        return 0
    ConditionReport.objects.filter(pk__in=[r.pk for r in due]).update(reminded_on=day)
    url = reverse("apartments:my_room") + "#condition-report"
    notify_many(
        [
            (
                [report.stay.resident.user],
                notifications.CONDITION_REPORT_REMINDER,
                url,
                {"room": str(report.stay.bed.room), "date": report.due_by.isoformat()},
            )
            for report in due
        ]
    )
    return len(due)


def keys_to_remind(day: dt.date) -> QuerySet:
    """The move-outs the run for night `day` reminds of their keys: inspected, keys not back,
    planned for at most RESIDENT_REMINDER_DAYS after the morning after `day`, not reminded."""
    return MoveOutRequest.objects.filter(
        status=MoveOutRequest.Status.INSPECTED,
        keys_returned_at__isnull=True,
        keys_reminded_on__isnull=True,
        planned_date__lte=_last_day(day),
    )


def keys_remind(day: dt.date, keys: list[int]) -> int:
    """Remind the movers of `keys` still due a reminder (re-read under a row lock)."""
    due = list(
        keys_to_remind(day)
        .filter(pk__in=keys)
        .select_for_update(of=("self",))
        .select_related("resident__user", "stay__bed__room__building")
    )
    if not due:
        return 0
    MoveOutRequest.objects.filter(pk__in=[r.pk for r in due]).update(keys_reminded_on=day)
    notify_many(
        [
            (
                [request.resident.user],
                notifications.KEYS_REMINDER,
                reverse("apartments:move_out_request", args=[request.pk]),
                {"room": str(request.stay.bed.room), "date": request.planned_date.isoformat()},
            )
            for request in due
        ]
    )
    return len(due)
