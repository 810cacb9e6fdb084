"""The dispatch queue: who sees it, what it lists, its filters and tabs, the countdowns, the
order, the htmx refresh, and a query count that does not grow with the tickets."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from logistics.models import Role
from maintenance import dispatching
from maintenance.models import Ticket
from tests import factories as f

pytestmark = pytest.mark.django_db

QUEUE = reverse("maintenance:dispatch_queue")


@pytest.fixture(autouse=True)
def _in_english(client):
    """Pages are asserted in English (Chinese is the default language)."""
    from django.utils import translation

    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def people(campus, other_campus, student, plumber, dispatcher, other_dispatcher, admin):
    """One user of every kind the access rules tell apart."""
    maintenance = f.DepartmentFactory(code="repair_center", areas=["maintenance_utilities"])
    apartments = f.DepartmentFactory(code="apartment_center", areas=["apartments"])
    return {
        "student": student,
        "technician": plumber,
        "other_dispatcher": other_dispatcher,
        "dispatcher": dispatcher,
        "maintenance_head": f.user_with_role(
            Role.DEPARTMENT_HEAD, campus=campus, department=maintenance, username="head_m"
        ),
        "apartments_head": f.user_with_role(
            Role.DEPARTMENT_HEAD, campus=campus, department=apartments, username="head_a"
        ),
        "admin": admin,
    }


def aged(ticket, *, minutes: int, started: bool = False) -> Ticket:
    """Make `ticket` as if filed `minutes` ago, with the promise its category gives."""
    now = timezone.now()
    created = now - timedelta(minutes=minutes)
    category = ticket.category
    Ticket.objects.filter(pk=ticket.pk).update(
        created_at=created,
        respond_by=created + timedelta(minutes=category.response_minutes),
        complete_by=created + timedelta(hours=category.completion_hours),
        started_at=created + timedelta(minutes=5) if started else None,
        status="in_progress" if started else ticket.status,
    )
    ticket.refresh_from_db()
    return ticket


def rows(response) -> list[int]:
    """The ticket ids of the queue's table, in order."""
    import re

    html = response.content.decode()
    return [int(pk) for pk in re.findall(r'data-testid="queue-row" data-ticket="(\d+)"', html)]


# --- Who ------------------------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_sign_in(client):
    response = client.get(QUEUE)
    assert response.status_code == 302
    assert "login" in response["Location"]


@pytest.mark.parametrize("who", ["student", "technician", "apartments_head"])
def test_people_who_do_not_dispatch_get_404(client, people, who):
    client.force_login(people[who])
    assert client.get(QUEUE).status_code == 404


@pytest.mark.parametrize("who", ["dispatcher", "maintenance_head", "admin"])
def test_dispatchers_heads_of_maintenance_and_admins_see_the_campus_queue(
    client, people, room, who
):
    # Given an open request on the campus
    ticket = f.ticket(room=room, reporter=people["student"])
    # When someone who dispatches the campus opens the queue
    client.force_login(people[who])
    response = client.get(QUEUE)
    # Then they see it
    assert response.status_code == 200
    assert rows(response) == [ticket.pk]


def test_a_dispatcher_of_another_campus_sees_only_their_own(client, people, room, other_campus):
    # Given a request on each campus
    ours = f.ticket(room=room, reporter=people["student"])
    elsewhere_room = f.RoomFactory(building=f.BuildingFactory(campus=other_campus))
    theirs = f.ticket(room=elsewhere_room)
    # When the other campus's dispatcher opens the queue
    client.force_login(people["other_dispatcher"])
    response = client.get(QUEUE)
    # Then only their campus's request is there
    assert rows(response) == [theirs.pk]
    assert ours.pk not in rows(response)


def test_filtering_by_a_campus_out_of_scope_shows_nothing(client, people, room, campus):
    f.ticket(room=room, reporter=people["student"])
    client.force_login(people["other_dispatcher"])
    response = client.get(QUEUE, {"campus": campus.pk})
    assert response.status_code == 200
    assert rows(response) == []
    assert "Correct the filters above." in response.content.decode()


# --- What the queue lists -------------------------------------------------------------------------


def test_only_requests_under_way_are_queued(client, dispatcher, room, student, plumber):
    # Given requests in every status
    open_ones = [
        f.ticket(room=room, reporter=student),
        f.ticket(room=room, reporter=student, status="assigned", technician=plumber),
        f.ticket(room=room, reporter=student, status="in_progress", technician=plumber),
    ]
    for status in ("done", "closed", "cancelled"):
        f.ticket(room=room, reporter=student, status=status)
    # When the dispatcher opens the queue
    client.force_login(dispatcher)
    # Then the open ones only are listed
    assert sorted(rows(client.get(QUEUE))) == sorted(t.pk for t in open_ones)


def test_each_row_tells_number_place_category_urgency_status_technician_and_time_left(
    client, dispatcher, room, student, plumber
):
    ticket = f.ticket(
        room=room, reporter=student, status="assigned", technician=plumber, urgency="urgent"
    )
    client.force_login(dispatcher)
    html = client.get(QUEUE).content.decode()
    assert ticket.number in html
    assert "S01-101" in html
    assert "Plumbing and drains" in html
    assert "Urgent" in html
    assert "Assigned" in html
    assert "王师傅" in html
    assert "left to respond" in html
    # a phone gets cards with the same rows
    assert html.count('data-testid="queue-card"') == 1


def test_text_from_the_database_is_escaped_in_rows_and_cards(
    client, dispatcher, campus, student, plumber
):
    building = f.BuildingFactory(campus=campus, code="<b>X</b>")
    room = f.RoomFactory(building=building, number="<i>1</i>")
    plumber.full_name = '<script>alert("t")</script>'
    plumber.save()
    f.ticket(room=room, reporter=student, status="assigned", technician=plumber)
    client.force_login(dispatcher)
    html = client.get(QUEUE).content.decode()
    assert "<i>1</i>" not in html and '<script>alert("t")' not in html
    assert "<b>X</b>" not in html
    assert html.count("&lt;i&gt;1&lt;/i&gt;") == 2  # the row and the card
    # the row, the card and the technician filter
    assert html.count("&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt;") == 3


def test_the_filed_time_and_deadline_are_in_the_site_time_zone(
    client, dispatcher, room, student, settings
):
    ticket = f.ticket(room=room, reporter=student)
    Ticket.objects.filter(pk=ticket.pk).update(
        created_at=datetime(2026, 9, 1, 1, 5, tzinfo=UTC),
        respond_by=datetime(2026, 9, 1, 2, 5, tzinfo=UTC),
        complete_by=datetime(2026, 9, 4, 1, 5, tzinfo=UTC),
    )
    client.force_login(dispatcher)
    html = client.get(QUEUE).content.decode()
    # Asia/Shanghai is eight hours ahead of UTC
    assert html.count('<td class="text-nowrap small">09-01 09:05</td>') == 1
    assert html.count("· 09-01 09:05</div>") == 1  # the card
    assert html.count('title="2026-09-01 10:05"') == 2


def test_the_order_is_overdue_then_urgent_then_earliest_deadline(client, dispatcher, room, student):
    # Given a fresh request, an urgent fresh one, one nearly due and one overdue
    fresh = aged(f.ticket(room=room, reporter=student), minutes=0)
    urgent = aged(f.ticket(room=room, reporter=student, urgency="urgent"), minutes=0)
    nearly_due = aged(f.ticket(room=room, reporter=student), minutes=50)
    overdue = aged(f.ticket(room=room, reporter=student), minutes=90)
    client.force_login(dispatcher)
    # Then overdue comes first, then urgent, then the earliest deadline
    assert rows(client.get(QUEUE)) == [overdue.pk, urgent.pk, nearly_due.pk, fresh.pk]


def test_pages_follow_the_order_across_overdue_urgent_and_on_time_slices(
    client, dispatcher, room, student, plumber, monkeypatch
):
    # Given two requests in each slice of the order (overdue or on time, urgent or not),
    # filed so that ids and deadlines disagree
    def make(minutes, urgency, started=False):
        ticket = f.ticket(
            room=room,
            reporter=student,
            urgency=urgency,
            status="assigned",
            technician=plumber,
        )
        return aged(ticket, minutes=minutes, started=started)

    on_time_normal = [make(10, "normal"), make(30, "normal", started=True)]
    overdue_urgent = [make(90, "urgent"), make(200, "urgent")]
    on_time_urgent = [make(40, "urgent"), make(5, "urgent")]
    overdue_normal = [make(2000, "normal", started=True), make(120, "normal")]
    # When the dispatcher pages through the queue three rows at a time
    monkeypatch.setattr(dispatching, "QUEUE_PAGE_SIZE", 3)
    client.force_login(dispatcher)
    pages = [rows(client.get(QUEUE, {"page": n})) for n in (1, 2, 3)]
    # Then the pages, cut across the slices, follow the order: overdue first (urgent first,
    # then the earliest running deadline), then on time (urgent first, then the deadline)
    assert pages[0] + pages[1] + pages[2] == [
        overdue_urgent[1].pk,  # response due 170 min ago
        overdue_urgent[0].pk,  # 30 min ago
        overdue_normal[0].pk,  # started: completion due 24 h after filing, 560 min ago
        overdue_normal[1].pk,  # response due 60 min ago
        on_time_urgent[0].pk,  # response due in 20 min
        on_time_urgent[1].pk,  # in 55 min
        on_time_normal[0].pk,  # response due in 50 min
        on_time_normal[1].pk,  # started: completion due in about 23.5 h
    ]
    assert [len(page) for page in pages] == [3, 3, 2]


def test_the_running_deadline_is_kept_by_the_database_as_work_starts(room, student, plumber):
    # Given a request waiting for its technician
    ticket = f.ticket(room=room, reporter=student, status="assigned", technician=plumber)
    ticket.refresh_from_db()
    # Then the queue's key is the response deadline
    assert ticket.due_at == ticket.respond_by
    # When work starts, it is the completion deadline, whoever wrote the row
    Ticket.objects.filter(pk=ticket.pk).update(started_at=timezone.now(), status="in_progress")
    ticket.refresh_from_db()
    assert ticket.due_at == ticket.complete_by


def test_tabs_count_and_switch_between_all_unassigned_at_risk_and_overdue(
    client, dispatcher, room, student, plumber
):
    # Given one fresh unassigned, one at risk, one overdue (assigned) request
    fresh = aged(f.ticket(room=room, reporter=student), minutes=0)
    at_risk = aged(f.ticket(room=room, reporter=student), minutes=50)
    overdue = aged(
        f.ticket(room=room, reporter=student, status="assigned", technician=plumber), minutes=90
    )
    client.force_login(dispatcher)
    html = client.get(QUEUE).content.decode()
    # Then the badges count each tab
    assert 'data-testid="count-all">3<' in html
    assert 'data-testid="count-unassigned">2<' in html
    assert 'data-testid="count-at_risk">1<' in html
    assert 'data-testid="count-overdue">1<' in html
    # and each tab lists its own
    assert sorted(rows(client.get(QUEUE, {"view": "unassigned"}))) == sorted([fresh.pk, at_risk.pk])
    assert rows(client.get(QUEUE, {"view": "at_risk"})) == [at_risk.pk]
    assert rows(client.get(QUEUE, {"view": "overdue"})) == [overdue.pk]


def test_an_unknown_view_is_a_form_error_not_a_crash(client, dispatcher, room, student):
    f.ticket(room=room, reporter=student)
    client.force_login(dispatcher)
    response = client.get(QUEUE, {"view": "<script>"})
    assert response.status_code == 200
    assert rows(response) == []
    assert "<script>" not in response.content.decode()


def test_filters_by_building_category_urgency_status_and_technician(
    client, dispatcher, campus, building, room, student, plumber
):
    # Given requests that differ in one thing each
    other_building = f.BuildingFactory(campus=campus, code="S02")
    other_room = f.RoomFactory(building=other_building, number="201")
    base = f.ticket(room=room, reporter=student)
    in_s02 = f.ticket(room=other_room, reporter=student)
    electrical = f.ticket(room=room, reporter=student, category_code="electrical")
    urgent = f.ticket(room=room, reporter=student, urgency="urgent")
    assigned = f.ticket(room=room, reporter=student, status="assigned", technician=plumber)
    client.force_login(dispatcher)

    def only(params):
        return set(rows(client.get(QUEUE, params)))

    # Then each filter keeps the matching ones
    assert only({"building": other_building.pk}) == {in_s02.pk}
    assert only({"category": f.category("electrical").pk}) == {electrical.pk}
    assert only({"urgency": "urgent"}) == {urgent.pk}
    assert only({"status": "assigned"}) == {assigned.pk}
    assert only({"technician": plumber.pk}) == {assigned.pk}
    assert only({"building": building.pk, "urgency": "normal", "status": "submitted"}) == {
        base.pk,
        electrical.pk,
    }


def test_a_filter_is_kept_by_the_tabs(client, dispatcher, room, student):
    f.ticket(room=room, reporter=student, urgency="urgent")
    client.force_login(dispatcher)
    html = client.get(QUEUE, {"urgency": "urgent"}).content.decode()
    assert 'href="?urgency=urgent&amp;view=overdue"' in html


def test_the_queue_is_paginated(client, dispatcher, room, student, monkeypatch):
    monkeypatch.setattr(dispatching, "QUEUE_PAGE_SIZE", 2)
    for _ in range(5):
        f.ticket(room=room, reporter=student)
    client.force_login(dispatcher)
    first, third = client.get(QUEUE), client.get(QUEUE, {"page": 3})
    assert len(rows(first)) == 2 and len(rows(third)) == 1
    assert "Page 1 of 3" in first.content.decode()


# --- The htmx refresh -----------------------------------------------------------------------------


def test_the_page_refreshes_itself_every_minute_with_the_same_filters(
    client, dispatcher, room, student
):
    f.ticket(room=room, reporter=student)
    client.force_login(dispatcher)
    html = client.get(QUEUE, {"urgency": "normal"}).content.decode()
    assert 'hx-get="/repairs/dispatch/?urgency=normal"' in html.replace(QUEUE, "/repairs/dispatch/")
    assert 'hx-trigger="every 60s"' in html
    # No inline script: the CSP forbids it
    assert "<script>" not in html and " onclick=" not in html


def test_htmx_gets_the_live_part_only(client, dispatcher, room, student):
    ticket = f.ticket(room=room, reporter=student)
    client.force_login(dispatcher)
    response = client.get(QUEUE, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and 'data-testid="queue-tabs"' in html
    assert rows(response) == [ticket.pk]
    assert "HX-Request" in response["Vary"]


# --- Countdowns -----------------------------------------------------------------------------------


def test_the_countdown_tells_time_left_to_respond_then_to_complete_then_overdue(room, student):
    # Given a plumbing request (respond within 60 minutes, complete within 24 hours)
    ticket = aged(f.ticket(room=room, reporter=student), minutes=0)
    created = ticket.created_at
    # Then before work starts it counts down the response
    soon = dispatching.countdown(ticket, created + timedelta(minutes=20))
    assert (soon.state, soon.kind, soon.text) == ("ok", "respond", "40 min left to respond")
    late = dispatching.countdown(ticket, created + timedelta(minutes=50))
    assert late.state == "at_risk"
    overdue = dispatching.countdown(ticket, created + timedelta(minutes=195))
    assert (overdue.state, overdue.text) == ("overdue", "Response overdue by 2 h 15 min")
    # and once started, the completion
    ticket.started_at = created + timedelta(minutes=30)
    ticket.status = "in_progress"
    working = dispatching.countdown(ticket, created + timedelta(hours=2))
    assert (working.kind, working.text) == ("complete", "22 h 0 min left to complete")
    past = dispatching.countdown(ticket, created + timedelta(days=2, hours=3))
    assert past.text == "Completion overdue by 1 d 3 h"
    # A closed request has no countdown
    ticket.status = "closed"
    assert dispatching.countdown(ticket).state == ""


def test_the_countdown_colour_follows_the_deadline_state(client, dispatcher, room, student):
    aged(f.ticket(room=room, reporter=student), minutes=0)
    aged(f.ticket(room=room, reporter=student), minutes=50)
    aged(f.ticket(room=room, reporter=student), minutes=90)
    client.force_login(dispatcher)
    html = client.get(QUEUE).content.decode()
    assert html.count('data-state="overdue"') == 2  # table and phone card
    assert html.count('data-state="at_risk"') == 2
    assert html.count('data-state="ok"') == 2
    assert "Response overdue by 30 min" in html


# --- Query budget ---------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [3, 12])
def test_the_queue_query_count_does_not_grow(
    client, dispatcher, room, student, plumber, n, django_assert_num_queries
):
    # Given n open requests, some assigned, some urgent, some overdue
    for i in range(n):
        ticket = f.ticket(
            room=room,
            reporter=student,
            urgency="urgent" if i % 3 == 0 else "normal",
            status="assigned" if i % 2 else "submitted",
            technician=plumber if i % 2 else None,
        )
        aged(ticket, minutes=i * 10)
    client.force_login(dispatcher)
    client.get(QUEUE)  # warms the caches (the notification bell's count)
    # session, user with role grants, the tab counts and the sizes of the order's slices (one
    # aggregate; the categories' limits for at-risk come from the cache), the page of rows
    # (with place, category and people: one query, a UNION ALL where the page spans slices),
    # then the filter choices: campuses, buildings, categories, technicians
    with django_assert_num_queries(8):
        response = client.get(QUEUE)
    assert len(rows(response)) == n


@pytest.mark.parametrize("n", [3, 12])
def test_a_filtered_queue_query_count_does_not_grow(
    client, dispatcher, building, room, student, plumber, n, django_assert_num_queries
):
    for _ in range(n):
        f.ticket(room=room, reporter=student, status="assigned", technician=plumber)
    client.force_login(dispatcher)
    params = {"building": building.pk, "technician": plumber.pk, "view": "unassigned"}
    client.get(QUEUE, params)
    params["view"] = "all"
    # the nine of the plain queue, plus checking the chosen building and technician
    with django_assert_num_queries(10):
        response = client.get(QUEUE, params)
    assert len(rows(response)) == n
