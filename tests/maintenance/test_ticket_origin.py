"""Tickets show where they came from — the preventive schedule and the due date (or meter
reading) that generated them, or the readiness campaign that found the fault — on the ticket's
page, the dispatcher's page and queue row, the technician's job page and the API; linked only
for those who may open the schedule or the campaign."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from maintenance.models import Campaign, Schedule, Ticket
from maintenance.reference import preventive_category_ensure
from tests import factories as f

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def schedule(campus, room, dispatcher):
    return Schedule.objects.create(
        campus=campus,
        name="Heater service",
        room=room,
        category=preventive_category_ensure(),
        tasks="Descale",
        unit="months",
        every=6,
        next_due=date(2027, 1, 1),
        owner=dispatcher,
    )


@pytest.fixture
def job(schedule, room, dispatcher, plumber):
    return f.ticket(
        room=room,
        reporter=dispatcher,
        schedule=schedule,
        due_on=date(2026, 7, 1),
        technician=plumber,
        status=Ticket.Status.ASSIGNED,
        assigned_at=timezone.now(),
    )


@pytest.fixture
def campaign(campus, building, dispatcher):
    c = Campaign.objects.create(
        campus=campus,
        name="Summer readiness",
        checklist=["Clean"],
        move_in_date=date(2026, 9, 1),
        created_by=dispatcher,
    )
    c.buildings.set([building])
    return c


def test_the_ticket_page_shows_and_links_the_schedule_and_due_date(client, job, dispatcher):
    client.force_login(dispatcher)
    page = client.get(reverse("maintenance:ticket_detail", args=[job.pk]), **EN).content.decode()
    assert "Preventive schedule" in page and "Heater service" in page and "2026-07-01" in page
    assert reverse("maintenance:schedule", args=[job.schedule_id]) in page
    page = client.get(reverse("maintenance:dispatch_ticket", args=[job.pk]), **EN).content.decode()
    assert 'data-testid="origin-schedule"' in page


def test_the_technician_sees_the_schedule_without_a_link(client, job, plumber):
    client.force_login(plumber)
    page = client.get(reverse("maintenance:job", args=[job.pk]), **EN).content.decode()
    assert "Heater service" in page and "due 2026-07-01" in page
    assert reverse("maintenance:schedule", args=[job.schedule_id]) not in page
    page = client.get(reverse("maintenance:my_jobs"), **EN).content.decode()
    assert "Heater service" in page


def test_a_campaign_fault_names_its_campaign(client, campaign, room, dispatcher, student):
    fault = f.ticket(room=room, reporter=student, campaign=campaign)
    client.force_login(dispatcher)
    page = client.get(reverse("maintenance:ticket_detail", args=[fault.pk]), **EN)
    assert reverse("maintenance:campaign", args=[campaign.pk]) in page.content.decode()
    client.force_login(student)  # the resident sees the name, not a link to the board
    page = client.get(reverse("maintenance:ticket_detail", args=[fault.pk]), **EN)
    text = page.content.decode()
    assert "Summer readiness" in text
    assert reverse("maintenance:campaign", args=[campaign.pk]) not in text


def test_the_queue_row_links_the_origin_in_constant_queries(
    client, job, campaign, room, dispatcher, student, schedule
):
    f.ticket(room=room, reporter=student, campaign=campaign)
    client.force_login(dispatcher)
    url = reverse("maintenance:dispatch_queue")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        page = client.get(url, **EN).content.decode()
    assert reverse("maintenance:schedule", args=[schedule.pk]) in page
    assert reverse("maintenance:campaign", args=[campaign.pk]) in page
    for n in range(5):
        f.ticket(room=room, reporter=student, campaign=campaign)
        f.ticket(
            room=room,
            reporter=dispatcher,
            schedule=schedule,
            due_on=date(2026, 8, 1 + n),
        )
    with CaptureQueriesContext(connection) as many:
        client.get(url, **EN)
    assert len(many) == len(few)


def test_the_api_gives_the_origin(job, campaign, room, dispatcher, student, plumber):
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(dispatcher)
    body = api.get(f"/api/v1/tickets/{job.pk}/").json()
    assert body["origin"] == {
        "kind": "schedule",
        "id": job.schedule_id,
        "name": "Heater service",
        "due_on": "2026-07-01",
        "due_reading": None,
    }
    metered = f.ticket(
        room=room,
        reporter=dispatcher,
        schedule=job.schedule,
        due_on=date(2026, 7, 2),
        due_reading=Decimal("1500"),
    )
    assert api.get(f"/api/v1/tickets/{metered.pk}/").json()["origin"]["due_reading"] == "1500.0"
    fault = f.ticket(room=room, reporter=student, campaign=campaign)
    listed = api.get("/api/v1/tickets/").json()
    rows = {row["id"]: row for row in listed["results"]}
    assert rows[fault.pk]["origin"]["kind"] == "campaign"
    assert rows[fault.pk]["origin"]["name"] == "Summer readiness"
    api.force_authenticate(plumber)
    today = api.get("/api/v1/jobs/today/").json()
    assert all(row["origin"]["kind"] == "schedule" for row in today["results"])
