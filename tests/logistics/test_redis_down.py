"""Redis is not a single point of failure: the portal (gunicorn, in a process of its own) keeps
serving signed-in users while its Redis (cache and broker) is stopped, an e-mail it could not
hand to the broker waits in the outbox, and a worker sends it once Redis is back."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from celery import Celery
from django.test import Client
from django.utils import timezone

from logistics.models import Notification
from maintenance.models import Ticket
from tests import factories as f
from tests.conftest import requires_postgres
from tests.processes import (
    Browser,
    RedisServer,
    needs_processes,
    start_portal,
    start_worker,
    wait_until,
)

pytestmark = [requires_postgres, *needs_processes, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def redis(tmp_path, transactional_db):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mail_dir(tmp_path) -> Path:
    folder = tmp_path / "mail"
    folder.mkdir()
    return folder


@pytest.fixture
def portal(redis, tmp_path, mail_dir, transactional_db):
    child, base = start_portal(redis, tmp_path / "portal.log", EMAIL_URL=f"filemail:///{mail_dir}")
    yield base
    child.stop()
    print(child.output()[-6000:])


def signed_in(base: str, user) -> Browser:
    """A browser with `user`'s session (made in the database the portal reads)."""
    client = Client()
    client.force_login(user)
    browser = Browser(base)
    browser.set_cookie("sessionid", client.cookies["sessionid"].value)
    return browser


def sent_mail(folder: Path) -> str:
    return "".join(p.read_text(errors="replace") for p in folder.glob("*.log"))


def test_the_portal_keeps_working_without_redis_and_no_email_is_lost(
    redis, portal, mail_dir, tmp_path, password
):
    # Given a dispatcher, a technician with an e-mail address and a repair to assign
    campus = f.CampusFactory()
    room = f.RoomFactory(building=f.BuildingFactory(campus=campus))
    dispatcher = f.dispatcher(campus, username="dispatcher-r")
    technician = f.technician(
        campus, skills=["plumbing"], username="tech-r", email="tech@example.edu.cn"
    )
    technician.set_password(password)
    technician.save()
    ticket = f.ticket(room=room)
    browser = signed_in(portal, dispatcher)
    status, _, _ = browser.request("GET", "/")
    assert status == 200

    # When Redis stops
    redis.stop()

    # Then signed-in pages still answer, and quickly
    for path in ("/", "/repairs/dispatch/", f"/repairs/dispatch/{ticket.pk}/", "/notifications/"):
        status, body, seconds = browser.request("GET", path)
        assert status == 200, (path, body[:500])
        assert seconds < 3, (path, seconds)
    # /healthz tells the load balancer "up, but degraded", and what is missing
    status, body, _ = Browser(portal).request("GET", "/healthz")
    assert status == 200
    assert json.loads(body) == {
        "status": "degraded",
        "checks": {"database": "ok", "cache": "down", "broker": "down"},
    }
    # a client can still get an API token (its throttle cannot count: it lets it through)
    status, body, _ = Browser(portal).request(
        "POST", "/api/v1/auth/token/", json_body={"username": "tech-r", "password": password}
    )
    assert status == 200, body
    assert json.loads(body)["token"]

    # When the dispatcher assigns the repair (the technician is notified, by e-mail too)
    page = browser.request("GET", f"/repairs/dispatch/{ticket.pk}/")[1].decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    status, body, seconds = browser.request(
        "POST",
        f"/repairs/dispatch/{ticket.pk}/assign/",
        {"csrfmiddlewaretoken": token, "technician": technician.pk, "note": ""},
    )

    # Then the step is done, without waiting for the broker
    assert status == 302, body[:500]
    assert seconds < 2.5
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.ASSIGNED and ticket.technician == technician
    # and the e-mail waits in the outbox: not sent, not lost
    notification = Notification.objects.get(recipient=technician)
    assert notification.emailed_at is None
    assert notification.email_due_at is not None
    assert sent_mail(mail_dir) == ""

    # When Redis is back and a worker runs the outbox (as beat has it do every two minutes)
    redis.start()
    worker = start_worker(redis, tmp_path / "worker.log", EMAIL_URL=f"filemail:///{mail_dir}")
    try:
        sender = Celery("test-beat", broker=redis.url)
        sender.send_task("logistics.tasks.send_due_emails")
        wait_until(
            lambda: Notification.objects.filter(
                pk=notification.pk, emailed_at__isnull=False
            ).exists(),
            timeout=60,
            what="the outbox to send the e-mail",
        )
        sender.close()
    finally:
        worker.stop()
        print(worker.output()[-4000:])

    # Then it went out, once, to the technician
    mail = sent_mail(mail_dir)
    assert mail.count("To: tech@example.edu.cn") == 1
    assert ticket.number in mail or str(ticket.pk) in mail
    notification.refresh_from_db()
    assert notification.email_due_at is None and notification.email_attempts == 0
    assert notification.emailed_at > timezone.now() - timedelta(minutes=5)
