"""Two nightly runs for one date started together (two beats, a redelivered task, an operator
re-running by hand): every due repair is confirmed exactly once and one success is recorded."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from logistics.models import JobRun
from logistics.nightly import run_nightly_jobs
from maintenance.models import Ticket, TicketEvent
from tests import factories as f
from tests.conftest import requires_postgres

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def test_two_runs_at_once_confirm_every_due_repair_once(settings):
    settings.REPAIR_CONFIRM_DAYS = 3
    day = timezone.localdate() - timedelta(days=20)
    room = f.RoomFactory()
    finished = timezone.now() - timedelta(days=40)
    kind = f.category("plumbing")
    reporter = f.UserFactory()
    Ticket.objects.bulk_create(
        [
            Ticket(
                campus=room.building.campus,
                building=room.building,
                room=room,
                category=kind,
                description="漏水",
                reporter=reporter,
                status=Ticket.Status.DONE,
                respond_by=finished,
                complete_by=finished,
                finished_at=finished,
            )
            for _ in range(3000)
        ]
    )
    barrier = threading.Barrier(2)

    def run():
        try:
            barrier.wait(timeout=30)
            run_nightly_jobs(day, trigger="race")
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert Ticket.objects.filter(status=Ticket.Status.DONE).count() == 0
    assert TicketEvent.objects.filter(kind=TicketEvent.Kind.AUTO_CONFIRMED).count() == 3000
    runs = JobRun.objects.filter(job="maintenance.auto_confirm", for_date=day)
    assert [r.items for r in runs if r.status == JobRun.Status.SUCCEEDED] == [3000]
