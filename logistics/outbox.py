"""The e-mail outbox: notifications are rows; e-mails go out from them, with retries.

`notify()` marks a notification for e-mail (`email_due_at`) in the transaction of the change it
reports, then, after the commit, asks a worker to send it at once. Whatever that message's
fate (the broker down, a worker killed), the periodic task `send_due_emails` (every few
minutes, on beat) sends every e-mail that is due, so an outage delays e-mails and loses none.

A sender claims a batch by moving its rows' `email_due_at` a lease ahead (under FOR UPDATE
SKIP LOCKED: two senders never take the same rows), sends them over one SMTP connection
(EMAIL_TIMEOUT bounds every step), and marks each sent. A failed e-mail is due again after a
backoff that doubles, up to EMAIL_MAX_ATTEMPTS; then it is given up, logged at ERROR. A sender
that dies leaves its claim to expire: the next one sends those (at least once, rarely twice).
"""

from __future__ import annotations

import contextlib
import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone

from logistics.models import Notification
from logistics.notifications import email_content

logger = logging.getLogger("logistics.outbox")

BATCH = 100
LEASE = timedelta(minutes=5)


def backoff(attempts: int) -> timedelta:
    """The wait before attempt `attempts + 1`: 1, 2, 4, … minutes, at most 4 hours."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 240))


def _claim(now, ids=None, limit=BATCH) -> list[int]:
    with transaction.atomic():
        due = Notification.objects.filter(email_due_at__lte=now)
        if ids is not None:
            due = due.filter(pk__in=ids)
        claimed = list(
            due.order_by("email_due_at", "pk")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:limit]
        )
        if claimed:
            Notification.objects.filter(pk__in=claimed).update(email_due_at=now + LEASE)
    return claimed


def send_due_emails(*, ids=None, now=None, limit: int = BATCH) -> int:
    """Send the e-mails that are due (only those of `ids`, if given), at most `limit` per
    batch, batch after batch until none is due; returns how many were sent."""
    sent = 0
    while True:
        now_ = now or timezone.now()
        claimed = _claim(now_, ids, limit)
        if not claimed:
            return sent
        sent += _send(claimed)
        if ids is not None:
            return sent


def _send(claimed: list[int]) -> int:
    sent = 0
    notifications = list(Notification.objects.filter(pk__in=claimed).select_related("recipient"))
    connection = get_connection(timeout=settings.EMAIL_TIMEOUT)
    try:
        connection.open()
    except Exception as error:
        # The mail server is not there: every claimed e-mail waits for its next attempt.
        for notification in notifications:
            _failed(notification, error)
        return 0
    try:
        for notification in notifications:
            recipient = notification.recipient
            if not recipient.email or not recipient.is_active:
                Notification.objects.filter(pk=notification.pk).update(email_due_at=None)
                continue
            subject, body = email_content(notification)
            message = EmailMessage(subject, body, None, [recipient.email], connection=connection)
            try:
                message.send()
            except Exception as error:
                _failed(notification, error)
                continue
            Notification.objects.filter(pk=notification.pk).update(
                emailed_at=timezone.now(), email_due_at=None, email_error=""
            )
            sent += 1
    finally:
        # Closing a broken SMTP session must not lose the count of what was sent.
        with contextlib.suppress(Exception):
            connection.close()
    return sent


def _failed(notification: Notification, error: Exception) -> None:
    attempts = notification.email_attempts + 1
    description = f"{type(error).__name__}: {error}"[:1000]
    if attempts >= settings.EMAIL_MAX_ATTEMPTS:
        logger.error(
            "giving up e-mailing notification %s to %s after %s attempts: %s",
            notification.pk,
            notification.recipient.email,
            attempts,
            description,
        )
        due = None
    else:
        logger.warning(
            "e-mail of notification %s failed (attempt %s): %s",
            notification.pk,
            attempts,
            description,
        )
        due = timezone.now() + backoff(attempts)
    Notification.objects.filter(pk=notification.pk).update(
        email_attempts=attempts, email_due_at=due, email_error=description
    )
