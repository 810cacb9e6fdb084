"""The e-mail outbox: notifications wait as rows until their e-mail is sent; a mail server that
refuses, a sender that dies and two senders at once lose nothing and send nothing twice."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from logistics import outbox
from logistics.models import Notification
from logistics.notifications import notification_kind, notify
from tests.conftest import requires_postgres
from tests.factories import UserFactory
from tests.processes import free_port

HELLO = notification_kind("test.outbox", "Repair %(number)s is done.")


@pytest.fixture
def closed_smtp(settings):
    """A mail server that is not there: connections to it are refused."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    settings.EMAIL_TIMEOUT = 2


def _due(user, **fields):
    return Notification.objects.create(
        recipient=user,
        kind=HELLO.key,
        params={"number": "#1"},
        email_due_at=timezone.now(),
        **fields,
    )


@pytest.mark.django_db
def test_notify_puts_the_email_in_the_outbox_and_sends_it_after_the_commit(
    django_capture_on_commit_callbacks, mailoutbox
):
    user = UserFactory(email="a@example.edu.cn")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        (notification,) = notify([user], HELLO, number="#7")
        # Before the commit: due, not sent
        assert notification.email_due_at is not None and notification.emailed_at is None
    assert mailoutbox == []
    for callback in callbacks:
        callback()
    notification.refresh_from_db()
    assert notification.emailed_at is not None and notification.email_due_at is None
    assert [m.to for m in mailoutbox] == [["a@example.edu.cn"]]


@pytest.mark.django_db
def test_a_refusing_mail_server_delays_the_email_with_backoff_and_loses_nothing(
    closed_smtp, settings, mailoutbox
):
    # Given an e-mail due while the mail server refuses connections
    notification = _due(UserFactory(email="b@example.edu.cn"))

    # When the outbox tries
    assert outbox.send_due_emails() == 0

    # Then it is kept, with the error, due again in a minute
    notification.refresh_from_db()
    assert notification.emailed_at is None
    assert notification.email_attempts == 1
    assert "Connection refused" in notification.email_error or "111" in notification.email_error
    wait = notification.email_due_at - timezone.now()
    assert timedelta(seconds=50) < wait <= timedelta(minutes=1)
    # and is not tried again before then
    assert outbox.send_due_emails() == 0
    notification.refresh_from_db()
    assert notification.email_attempts == 1

    # When the mail server is back and the time has come, it goes, once
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert outbox.send_due_emails(now=timezone.now() + timedelta(minutes=2)) == 1
    assert outbox.send_due_emails(now=timezone.now() + timedelta(hours=1)) == 0
    assert len(mailoutbox) == 1
    notification.refresh_from_db()
    assert notification.emailed_at and notification.email_due_at is None
    assert notification.email_error == ""


@pytest.mark.django_db
def test_after_its_last_attempt_an_email_is_given_up_and_logged(closed_smtp, settings, caplog):
    settings.EMAIL_MAX_ATTEMPTS = 3
    notification = _due(UserFactory(email="c@example.edu.cn"), email_attempts=2)
    with caplog.at_level(logging.ERROR, logger="logistics.outbox"):
        outbox.send_due_emails()
    notification.refresh_from_db()
    assert notification.email_attempts == 3
    assert notification.email_due_at is None and notification.emailed_at is None
    assert any("giving up" in r.getMessage() for r in caplog.records)


def test_the_backoff_doubles_up_to_four_hours():
    assert [outbox.backoff(n) for n in (1, 2, 3)] == [
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
    ]
    assert outbox.backoff(30) == timedelta(hours=4)


@pytest.mark.django_db
def test_a_claim_left_by_a_sender_that_died_expires_and_the_email_goes(mailoutbox):
    notification = _due(UserFactory(email="d@example.edu.cn"))
    # A sender claimed it and died before sending
    Notification.objects.filter(pk=notification.pk).update(
        email_due_at=timezone.now() + outbox.LEASE
    )
    assert outbox.send_due_emails() == 0
    assert outbox.send_due_emails(now=timezone.now() + outbox.LEASE + timedelta(seconds=1)) == 1
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_a_recipient_who_lost_their_address_is_skipped_not_retried(mailoutbox):
    user = UserFactory(email="e@example.edu.cn")
    notification = _due(user)
    user.email = ""
    user.save()
    assert outbox.send_due_emails() == 0
    notification.refresh_from_db()
    assert notification.email_due_at is None and notification.emailed_at is None
    assert mailoutbox == []


@pytest.mark.django_db
def test_the_outbox_works_in_batches_with_a_fixed_number_of_queries(
    mailoutbox, django_assert_num_queries
):
    users = [UserFactory(email=f"u{n}@example.edu.cn") for n in range(12)]
    for user in users:
        _due(user)
    # Per batch of 5: the claim (savepoint, select, update, release), the batch with its
    # recipients, one update per e-mail sent; then the empty claim that ends the loop.
    with django_assert_num_queries(3 * 5 + 12 + 3):
        assert outbox.send_due_emails(limit=5) == 12
    assert len(mailoutbox) == 12


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_senders_at_once_send_each_email_once(mailoutbox):
    users = [UserFactory(email=f"v{n}@example.edu.cn") for n in range(40)]
    for user in users:
        _due(user)
    barrier = threading.Barrier(2)
    counts = []

    def sender():
        try:
            barrier.wait(timeout=10)
            counts.append(outbox.send_due_emails(limit=5))
        finally:
            connection.close()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sum(counts) == 40
    assert sorted(m.to[0] for m in mailoutbox) == sorted(u.email for u in users)
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()
