"""Move-in day (issue 18): the dashboard's report paragraph is the report of the chosen day,
its arrivals by category and campus in the source's style, not everything so far."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import formats, timezone, translation

from apartments import dashboard
from apartments.models import Category, Stay
from logistics.models import Role
from tests.apartments.move_in_data import building_with_beds, campuses, free_beds, local, stay
from tests.apartments.move_in_data import residents as make_residents
from tests.factories import BuildingAssignmentFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_days():
    """Yesterday 4 arrivals (3 undergraduates at Songbei, 1 doctoral at Jiangnan); today 3 (2
    undergraduates at Jiangnan, 1 member of staff at Songbei, who has left already)."""
    songbei, jiangnan = campuses()
    s1 = building_with_beds(songbei, "S01", rooms=3)
    j1 = building_with_beds(jiangnan, "J01", rooms=3)
    s_beds, j_beds = free_beds(s1), free_beds(j1)
    yesterday = timezone.localdate() - timedelta(days=1)
    for person in make_residents(songbei, Category.UNDERGRADUATE, 3):
        stay(person, s_beds.pop(0), at=local(9, day=yesterday))
    for person in make_residents(jiangnan, Category.DOCTORAL, 1):
        stay(person, j_beds.pop(0), at=local(15, day=yesterday))
    for person in make_residents(jiangnan, Category.UNDERGRADUATE, 2):
        stay(person, j_beds.pop(0), at=local(8))
    (staff,) = make_residents(songbei, Category.STAFF, 1)
    left = stay(staff, s_beds.pop(0), at=local(8, 30))
    Stay.objects.filter(pk=left.pk).update(status=Stay.Status.ENDED, ended_at=timezone.now())
    # someone reserved for today who has not come: no arrival
    for person in make_residents(songbei, Category.UNDERGRADUATE, 1):
        stay(person, s_beds.pop(0), status=Stay.Status.RESERVED)
    return {"yesterday": yesterday, "S01": s1, "J01": j1, "songbei": songbei}


def en_date(day) -> str:
    with translation.override("en"):
        return formats.date_format(day)  # "Dec. 4, 2026"


def report_of(user, day):
    with translation.override("en"):
        return dashboard.report_paragraph(dashboard.arrivals_on(user, day), day=day)


def test_the_report_of_a_day_counts_that_days_arrivals_by_category_and_campus(two_days):
    admin = user_with_role(Role.ADMIN)
    yesterday = two_days["yesterday"]
    assert report_of(admin, yesterday) == (
        f"On {en_date(yesterday)} we received 4 residents of all kinds: 3 undergraduates and "
        "1 postgraduate or doctoral student (including 1 doctoral)."
    )
    today = timezone.localdate()
    assert report_of(admin, today) == (
        f"On {en_date(today)} we received 3 residents of all kinds: "
        "2 undergraduates and 1 member of staff."
    )


def test_a_day_without_arrivals_says_so(two_days):
    day = timezone.localdate() + timedelta(days=1)
    assert report_of(user_with_role(Role.ADMIN), day) == (
        f"No resident checked in on {en_date(day)}."
    )


def test_the_report_keeps_to_the_callers_buildings(two_days):
    manager = user_with_role(Role.DORM_MANAGER)
    BuildingAssignmentFactory(user=manager, building=two_days["J01"])
    yesterday = two_days["yesterday"]
    assert "1 residents of all kinds" in report_of(manager, yesterday)
    assert "undergraduate" not in report_of(manager, yesterday)


def test_the_dashboard_shows_the_chosen_days_report(two_days, client):
    client.force_login(user_with_role(Role.ADMIN))
    yesterday = two_days["yesterday"]
    url = reverse("apartments:move_in_dashboard_live")
    page = client.get(url, {"day": yesterday.isoformat()}, HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert "we received 4 residents" in html
    assert f"Report of {en_date(yesterday)}" in html
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "we received 3 residents" in page and "Today's report" in page


# --- the room grid ---------------------------------------------------------------------------


def grid_url(building):
    return reverse("apartments:building_beds", args=[building.pk])


def test_the_room_grid_shows_each_beds_state(two_days, client):
    s1 = two_days["S01"]
    client.force_login(user_with_role(Role.ADMIN))
    page = client.get(grid_url(s1), HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    # S01: 3 undergraduates in (yesterday), the staff member left, one reserved; 12 beds
    assert page.context["counts"] == {"in": 3, "reserved": 1, "free": 8, "not_ready": 0}
    states = [bed.state for _f, rooms in page.context["floors"] for r in rooms for bed in r.beds]
    assert states[:5] == ["in", "in", "in", "free", "reserved"]
    assert 'data-testid="bed-101-1" data-state="in"' in html
    assert 'data-testid="bed-102-1" data-state="reserved"' in html
    assert 'data-testid="bed-101-4" data-state="free"' in html  # the staff member's, left


def test_free_beds_of_a_room_not_ready_show_as_not_ready(two_days, client):
    from apartments.models import Room
    from apartments.services import rooms_set_ready

    s1 = two_days["S01"]
    room = Room.objects.get(building=s1, number="101")
    rooms_set_ready(rooms=Room.objects.filter(pk=room.pk), ready=False)
    client.force_login(user_with_role(Role.ADMIN))
    page = client.get(grid_url(s1), HTTP_ACCEPT_LANGUAGE="en")
    # 101's three residents stay "in"; its one free bed (the staff member's, left) is not ready
    assert page.context["counts"] == {"in": 3, "reserved": 1, "free": 7, "not_ready": 1}
    assert 'data-testid="bed-101-4" data-state="not_ready"' in page.content.decode()


def test_the_room_grid_is_for_the_buildings_staff_only(two_days, client):
    manager = user_with_role(Role.DORM_MANAGER)
    BuildingAssignmentFactory(user=manager, building=two_days["J01"])
    client.force_login(manager)
    assert client.get(grid_url(two_days["J01"])).status_code == 200
    assert client.get(grid_url(two_days["S01"])).status_code == 404
    client.force_login(user_with_role(Role.STUDENT))
    assert client.get(grid_url(two_days["J01"])).status_code == 404
    client.logout()
    assert client.get(grid_url(two_days["J01"])).status_code == 302


@pytest.mark.parametrize("rooms", [1, 12])
def test_the_room_grid_query_count_does_not_grow(client, rooms, django_assert_num_queries):
    songbei, _ = campuses()
    building = building_with_beds(songbei, "S09", rooms=rooms)
    for person, bed in zip(make_residents(songbei, n=rooms), free_beds(building), strict=False):
        stay(person, bed)
    client.force_login(user_with_role(Role.ADMIN))
    client.get(grid_url(building))  # the bell's unread count goes into the cache
    # session, user with role grants; the building with its campus; the beds with their room
    # and current stay
    with django_assert_num_queries(4):
        response = client.get(grid_url(building))
    assert sum(len(r.beds) for _f, rs in response.context["floors"] for r in rs) == rooms * 4
