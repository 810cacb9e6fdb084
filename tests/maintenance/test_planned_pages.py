"""Schedules' pages (list, new, history with cost) and the planned-against-reactive report."""

from datetime import date

import pytest
from django.urls import reverse

from maintenance import planned_reports, preventive
from maintenance.models import Schedule, Ticket
from maintenance.reports import Period
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_a_dispatcher_creates_a_schedule_for_a_room(client, dispatcher, campus, room):
    from apartments.models import AssetType

    heaters = AssetType.objects.create(
        code="heater", name="热水器", repair_cost="50.00", replacement_cost="800.00"
    )
    client.force_login(dispatcher)
    response = client.post(
        reverse("maintenance:schedule_new"),
        {
            "campus": campus.pk,
            "name": "Water heater",
            "room": "S01-101",
            "tasks": "Descale",
            "unit": "months",
            "every": 6,
            "next_due": "2026-07-01",
            "asset_type": heaters.pk,
        },
    )
    schedule = Schedule.objects.get()
    assert schedule.asset_type == heaters
    assert response.status_code == 302
    assert (schedule.room, schedule.owner, schedule.category.code) == (
        room,
        dispatcher,
        "preventive",
    )


def test_an_unknown_room_is_refused_with_the_form_kept(client, dispatcher, campus, room):
    client.force_login(dispatcher)
    response = client.post(
        reverse("maintenance:schedule_new"),
        {
            "campus": campus.pk,
            "name": "Water heater",
            "room": "S09-999",
            "tasks": "Descale",
            "unit": "months",
            "every": 6,
            "next_due": "2026-07-01",
        },
    )
    assert response.status_code == 200
    assert "S09-999" in response.content.decode()
    assert not Schedule.objects.exists()


def test_others_get_404(client, student, other_dispatcher, dispatcher, campus, room):
    s = preventive.schedule_create(
        actor=dispatcher,
        campus=campus,
        name="x",
        tasks="y",
        unit="days",
        every=1,
        next_due=date(2026, 7, 1),
        room=room,
    )
    client.force_login(student)
    assert client.get(reverse("maintenance:schedules")).status_code == 404
    client.force_login(other_dispatcher)
    assert client.get(reverse("maintenance:schedule", args=[s.pk])).status_code == 404


def test_history_shows_each_job_and_its_cost(client, dispatcher, campus, room, plumber):
    s = preventive.schedule_create(
        actor=dispatcher,
        campus=campus,
        name="Heater",
        tasks="Descale",
        unit="days",
        every=1,
        next_due=date(2026, 7, 1),
        room=room,
    )
    preventive.generate([s.pk], for_date=date(2026, 7, 2))
    job = Ticket.objects.filter(schedule=s).order_by("due_on").first()
    Ticket.objects.filter(pk=job.pk).update(
        status=Ticket.Status.DONE, technician=plumber, labour_minutes=45
    )
    client.force_login(dispatcher)
    html = client.get(reverse("maintenance:schedule", args=[s.pk])).content.decode()
    assert f'data-testid="job-{job.pk}"' in html
    assert "2026-07-02" in html and "45" in html


def test_planned_against_reactive_per_building(dispatcher, campus, room, student, plumber):
    s = preventive.schedule_create(
        actor=dispatcher,
        campus=campus,
        name="Heater",
        tasks="Descale",
        unit="days",
        every=1,
        next_due=date.today(),
        room=room,
    )
    preventive.generate([s.pk], for_date=date.today())
    Ticket.objects.filter(schedule=s).update(technician=plumber, labour_minutes=60)
    f.ticket(room=room, reporter=student, technician=plumber, labour_minutes=30)
    f.ticket(room=room, reporter=student)
    (row,) = planned_reports.by_building(Period.this_month(), {campus.pk})
    assert (row.planned.jobs, row.reactive.jobs) == (1, 2)
    assert (row.planned.labour_minutes, row.reactive.labour_minutes) == (60, 30)
    assert row.planned_share == 33
    (tech,) = planned_reports.by_technician(Period.this_month(), {campus.pk})
    assert (tech.planned.jobs, tech.reactive.jobs) == (1, 1)


def test_the_report_page(client, dispatcher, campus, room, student):
    f.ticket(room=room, reporter=student)
    client.force_login(dispatcher)
    response = client.get(reverse("maintenance:planned_report"))
    assert response.status_code == 200
    assert 'data-testid="by-building"' in response.content.decode()


@pytest.mark.parametrize("n", [1, 6])
def test_the_schedule_list_query_count(
    client, dispatcher, campus, room, n, django_assert_num_queries
):
    for i in range(n):
        preventive.schedule_create(
            actor=dispatcher,
            campus=campus,
            name=f"s{i}",
            tasks="y",
            unit="days",
            every=1,
            next_due=date(2026, 7, 1),
            room=room,
        )
    client.force_login(dispatcher)
    url = reverse("maintenance:schedules")
    client.get(url)
    # session, user with grants, the schedules with their place and job counts
    with django_assert_num_queries(3):
        client.get(url)
