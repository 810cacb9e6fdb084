"""The job ticket as the source (维修项目计票制, issue 18): the center's points table, the items
done recorded on the job (the technician's page and the staff API's finish), labour in
points and in yuan at the labour rate, a job's cost as labour plus materials, recovered parts
shown, and the technician's month in points in the reports and on their card."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from logistics.models import AuditEvent
from maintenance import points, reports, services, stores
from maintenance.models import RepairItem, Ticket, TicketItem
from quality import scorecards
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_english(client, settings):
    settings.REPAIR_YUAN_PER_POINT = Decimal("12.50")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def table():
    plumbing = f.category("plumbing")
    locks = f.category("doors_locks")
    return {
        "washer": RepairItem.objects.create(
            code="washer", name="更换垫圈", name_en="Washer", category=plumbing, points=1
        ),
        "tap": RepairItem.objects.create(
            code="tap", name="更换水龙头", name_en="Tap", category=plumbing, points=3
        ),
        "lock": RepairItem.objects.create(
            code="lock", name="更换锁芯", name_en="Lock cylinder", category=locks, points=4
        ),
        "visit": RepairItem.objects.create(
            code="visit", name="上门检查", name_en="Site visit", points=Decimal("0.5")
        ),
        "old": RepairItem.objects.create(
            code="old", name="旧项目", name_en="Retired item", points=9, is_active=False
        ),
    }


@pytest.fixture
def started(room, student, plumber):
    return f.ticket(
        room=room,
        reporter=student,
        technician=plumber,
        status=Ticket.Status.IN_PROGRESS,
        assigned_at=timezone.now(),
        started_at=timezone.now(),
    )


@pytest.fixture
def washers(campus):
    store = f.StoreroomFactory(campus=campus, code="KF1", name="库房", name_en="Store")
    material = f.MaterialFactory(code="washer-part", name_en="Washer", unit_cost="2.50")
    return f.stock(store, material, balance=10)


def finish(ticket, items, minutes=30):
    return services.ticket_finish(
        actor=ticket.technician, ticket=ticket, labour_minutes=minutes, items=items
    )


# --- The service -------------------------------------------------------------------------------


def test_finishing_records_the_items_and_adds_their_points(started, table):
    finish(started, [{"item": "tap", "quantity": 1}, {"item": "washer", "quantity": 2}])
    started.refresh_from_db()
    assert started.labour_points == Decimal("5.0")
    lines = {line.item.code: (line.quantity, line.points) for line in started.items.all()}
    assert lines == {"tap": (1, Decimal("3.0")), "washer": (2, Decimal("1.0"))}
    event = AuditEvent.objects.get(action="repair.finish", target_id=str(started.pk))
    assert event.changes["items"] == {"tap": 1, "washer": 2} and event.changes["points"] == "5.0"
    assert points.labour_yuan(started.labour_points) == Decimal("62.50")


def test_the_same_item_twice_is_added_up_and_a_reopened_job_adds_its_visits(started, table):
    finish(started, [("washer", 1), ("washer", 2)])
    started.refresh_from_db()
    assert started.labour_points == 3
    Ticket.objects.filter(pk=started.pk).update(status=Ticket.Status.IN_PROGRESS)
    finish(started, [("visit", 1)])
    started.refresh_from_db()
    assert started.labour_points == Decimal("3.5")
    assert started.labour_minutes == 60


@pytest.mark.parametrize(
    "items, message",
    [
        ([("nonsense", 1)], "not an item of the repair items table"),
        ([("old", 1)], "not an item of the repair items table"),
        ([("tap", 0)], "whole number from 1 to 99"),
        ([("tap", "two")], "whole number from 1 to 99"),
        ([("tap", 60), ("tap", 60)], "whole number from 1 to 99"),
    ],
)
def test_bad_items_are_refused_and_nothing_is_finished(started, table, items, message):
    with pytest.raises(services.RepairInvalid, match=message):
        finish(started, items)
    started.refresh_from_db()
    assert started.status == Ticket.Status.IN_PROGRESS and started.labour_points == 0
    assert not TicketItem.objects.exists()


def test_a_past_job_keeps_the_points_it_was_counted_at(started, table):
    finish(started, [("tap", 2)])
    RepairItem.objects.filter(code="tap").update(points=5)
    line = TicketItem.objects.get()
    assert line.total_points == 6
    started.refresh_from_db()
    assert started.labour_points == 6


def test_items_of_the_jobs_category_are_offered_first(started, table):
    offered = [item.code for item in points.items_offered(started)]
    assert offered[:2] == ["washer", "tap"] or offered[:2] == ["tap", "washer"]
    assert offered.index("visit") < offered.index("lock")
    assert "old" not in offered


# --- The technician's job page -----------------------------------------------------------------


def test_the_job_page_records_the_items_and_shows_the_cost(client, started, table, washers):
    stores.stock_issue(actor=started.technician, stock=washers, ticket=started, quantity=2)
    stores.stock_return(
        actor=started.technician, stock=washers, ticket=started, quantity=1, recovered=True
    )
    client.force_login(started.technician)
    page = client.get(reverse("maintenance:job", args=[started.pk])).content.decode()
    assert 'data-testid="repair-items"' in page and "Lock cylinder" in page
    assert "Retired item" not in page
    response = client.post(
        reverse("maintenance:job_finish", args=[started.pk]),
        {"hours": "", "minutes": "20", "work_note": "换龙头", "item__tap": "1", "item__washer": ""},
    )
    assert response.status_code == 302
    started.refresh_from_db()
    assert started.labour_points == 3
    body = client.get(reverse("maintenance:job", args=[started.pk])).content.decode()
    # labour 3 points × ¥12.50 = ¥37.50; materials 2 × ¥2.50 = ¥5.00; cost ¥42.50
    assert "Tap × 1" in body
    assert "¥37.50" in body
    assert 'data-testid="job-cost">¥42.50' in body
    assert "¥2.50 recovered for reuse" in body


def test_a_bad_quantity_on_the_page_keeps_the_job_open(client, started, table):
    client.force_login(started.technician)
    response = client.post(
        reverse("maintenance:job_finish", args=[started.pk]),
        {"minutes": "20", "work_note": "换龙头", "item__tap": "-1"},
    )
    assert response.status_code == 400
    started.refresh_from_db()
    assert started.status == Ticket.Status.IN_PROGRESS


# --- The staff API ------------------------------------------------------------------------------


def phone(user) -> APIClient:
    token, _ = Token.objects.get_or_create(user=user)
    return APIClient(HTTP_AUTHORIZATION=f"Token {token.key}", HTTP_ACCEPT_LANGUAGE="en")


def test_the_api_finish_takes_the_items(started, table):
    response = phone(started.technician).post(
        f"/api/v1/tickets/{started.pk}/finish/",
        {"labour_minutes": 30, "items": [{"item": "lock", "quantity": 1}, {"item": "visit"}]},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["labour_points"] == "4.5"


def test_the_api_refuses_an_unknown_item_and_the_job_stays_open(started, table):
    response = phone(started.technician).post(
        f"/api/v1/tickets/{started.pk}/finish/",
        {"labour_minutes": 30, "items": [{"item": "nonsense", "quantity": 1}]},
        format="json",
    )
    assert response.status_code == 400
    started.refresh_from_db()
    assert started.status == Ticket.Status.IN_PROGRESS


# --- Reports and the technician's card ---------------------------------------------------------


def test_the_report_and_the_card_count_the_month_in_points(started, table, washers, campus):
    stores.stock_issue(actor=started.technician, stock=washers, ticket=started, quantity=4)
    finish(started, [("tap", 2)])  # 6 points = ¥75.00; materials ¥10.00
    today = timezone.localdate()
    report = reports.repair_report(
        kind="technician",
        period=reports.Period(today.replace(day=1), today),
        campuses={campus.pk},
    )
    (row,) = report.rows
    assert row.labour_points == 6
    assert row.labour_yuan == Decimal("75.00")
    assert row.cost_per_job == Decimal("85.00")
    assert report.total.labour_points == 6
    headings = [heading for heading, _attr in reports.columns("technician")]
    assert "Labour (points)" in headings and "Cost per finished job (yuan)" in headings

    card = scorecards.technician_card(
        started.technician_id, scorecards.month_period(timezone.localdate())[0]
    )
    assert card["labour_points"] == 6 and card["labour_yuan"] == Decimal("75.00")


def test_the_card_page_shows_the_points(client, started, table):
    finish(started, [("lock", 1)])
    client.force_login(started.technician)
    page = client.get(reverse("quality:my_technician_card"))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-testid="points">4<' in body and "¥50.00" in body


def test_a_period_with_no_points_reads_zero(campus):
    today = dt.date(2025, 3, 31)
    report = reports.repair_report(
        kind="month", period=reports.Period(today.replace(day=1), today), campuses={campus.pk}
    )
    assert report.total.labour_points == 0 and report.total.cost_per_job is None


def test_a_bad_item_line_is_named_by_its_place_in_the_errors(started, table):
    # The API's errors are {field: [messages]} (its OpenAPI description says so); a line of
    # `items` that is wrong is named by its path, not nested as DRF gives it
    response = phone(started.technician).post(
        f"/api/v1/tickets/{started.pk}/finish/",
        {"labour_minutes": 30, "items": [{"item": "lock"}, {"item": "no spaces!"}]},
        format="json",
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert list(errors) == ["items.1.item"]
    assert all(isinstance(message, str) for message in errors["items.1.item"])
    assert response.json()["detail"].startswith("items.1.item: ")
