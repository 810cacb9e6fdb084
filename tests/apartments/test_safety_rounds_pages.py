"""Safety rounds and hazards, the pages: the round on a phone (record a room, a double tap
records once, finish), the hazard list and page, the resident's home page; who sees what
(everyone else 404), and query budgets that do not grow with the data."""

import datetime as dt

import pytest
from django.urls import reverse

from apartments.models import Hazard, RoundRoom
from tests.apartments.rounds_data import (
    add_occupied_rooms,
    hazard_in,
    photo_upload,
    plan_today,
    round_of,
    round_room,
    rounds_world,
    today,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return rounds_world()


def round_url(world, code="S01", kind="night"):
    url = reverse("apartments:safety_round", args=[world[code].pk])
    return f"{url}?date={today().isoformat()}&kind={kind}"


@pytest.mark.parametrize(
    "local, day_back, kind",
    [
        ("09:00", 0, "day"),
        ("16:59", 0, "day"),
        ("17:00", 0, "night"),
        ("23:30", 0, "night"),
        ("00:30", 1, "night"),
        ("05:59", 1, "night"),
        ("06:00", 0, "day"),
    ],
)
def test_the_page_opens_the_round_being_walked_now(local, day_back, kind):
    from django.utils import timezone

    from apartments import rounds

    on = dt.date(2026, 12, 4)
    hours, minutes = map(int, local.split(":"))
    now = timezone.make_aware(dt.datetime.combine(on, dt.time(hours, minutes)))
    assert rounds.current_round(now) == (on - dt.timedelta(days=day_back), kind)


def test_the_shift_lead_records_a_kettle_with_a_photo_and_a_double_tap_records_once(client, world):
    plan_today()
    target = round_room(world["S01"], world["room"])
    client.force_login(world["shift_lead"])
    page = client.get(round_url(world))
    assert page.status_code == 200
    assert f'id="room-{target.pk}"' in page.content.decode()

    url = reverse("apartments:round_room_record", args=[target.pk])
    data = {
        "result": "findings",
        "kind": "banned_appliance",
        "appliance": "kettle",
        "note": "桌上",
        "residents_present": "1",
    }
    first = client.post(url, {**data, "photo": photo_upload()})
    second = client.post(url, {**data, "photo": photo_upload()})

    assert first.status_code == second.status_code == 302
    hazard = Hazard.objects.get()
    assert hazard.photo_id and hazard.appliance == "kettle"
    target.refresh_from_db()
    assert target.state == RoundRoom.State.FINDINGS


def test_a_bad_photo_is_refused_and_nothing_is_recorded(client, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    plan_today()
    target = round_room(world["S01"], world["room"])
    client.force_login(world["shift_lead"])
    client.post(
        reverse("apartments:round_room_record", args=[target.pk]),
        {
            "result": "findings",
            "kind": "smoking",
            "photo": SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg"),
        },
    )
    assert not Hazard.objects.exists()


def test_all_in_order_and_finishing_the_round(client, world):
    add_occupied_rooms(world["S01"], 6)
    plan_today()
    night = round_of(world["S01"])
    first = night.rooms.order_by("pk").first()
    client.force_login(world["manager"])
    client.post(reverse("apartments:round_room_record", args=[first.pk]), {"result": "ok"})
    client.post(reverse("apartments:round_finish", args=[night.pk]))

    states = dict(night.rooms.values_list("pk", "state"))
    assert states.pop(first.pk) == "ok"
    assert set(states.values()) <= {"not_reached"}
    page = client.get(round_url(world))
    assert 'data-testid="round-finished"' in page.content.decode()


@pytest.mark.parametrize(
    "who, status",
    [
        ("shift_lead", 200),
        ("manager", 200),
        ("admin", 200),
        ("other_manager", 404),
        ("other_lead", 404),
        ("student_user", 404),
        ("head", 404),
        ("technician", 404),
    ],
)
def test_who_may_walk_a_buildings_round(client, world, who, status):
    plan_today()
    client.force_login(world[who])
    assert client.get(round_url(world)).status_code == status
    target = round_room(world["S01"], world["room"])
    response = client.post(
        reverse("apartments:round_room_record", args=[target.pk]), {"result": "ok"}
    )
    assert response.status_code == (302 if status == 200 else 404)


def test_anonymous_goes_to_the_login_page(client, world):
    hazard = hazard_in(world)
    assert client.get(round_url(world)).status_code == 302
    assert client.get(reverse("apartments:hazard_list")).status_code == 302
    assert client.get(reverse("apartments:hazard_detail", args=[hazard.pk])).status_code == 302


@pytest.mark.parametrize(
    "who, status",
    [
        ("manager", 200),
        ("shift_lead", 200),
        ("head", 200),
        ("admin", 200),
        ("student_user", 200),  # it is their room
        ("other_manager", 404),
        ("other_lead", 404),
        ("other_student_user", 404),
        ("technician", 404),
        ("auditor", 404),  # an auditor of the other campus
    ],
)
def test_who_sees_a_hazard(client, world, who, status):
    hazard = hazard_in(world)
    client.force_login(world[who])
    assert client.get(reverse("apartments:hazard_detail", args=[hazard.pk])).status_code == status


def test_the_resident_sees_the_finding_at_home_and_marks_it_rectified_then_the_manager_verifies(
    client, world
):
    hazard = hazard_in(world)
    client.force_login(world["student_user"])
    home = client.get("/")
    assert 'data-testid="my-hazards-panel"' in home.content.decode()
    assert reverse("apartments:hazard_detail", args=[hazard.pk]) in home.content.decode()

    client.post(reverse("apartments:hazard_rectify", args=[hazard.pk]), {"note": "已带回家"})
    hazard.refresh_from_db()
    assert hazard.state == Hazard.State.RECTIFIED
    # The resident cannot verify their own fix.
    assert client.post(reverse("apartments:hazard_verify", args=[hazard.pk])).status_code == 404

    client.force_login(world["manager"])
    client.post(reverse("apartments:hazard_verify", args=[hazard.pk]), {"note": "ok"})
    hazard.refresh_from_db()
    assert hazard.state == Hazard.State.VERIFIED
    client.force_login(world["student_user"])
    assert 'data-testid="my-hazards-panel"' not in client.get("/").content.decode()


def test_another_resident_sees_nothing_at_home_and_gets_404(client, world):
    hazard = hazard_in(world)
    client.force_login(world["other_student_user"])
    assert 'data-testid="my-hazards-panel"' not in client.get("/").content.decode()
    response = client.post(reverse("apartments:hazard_rectify", args=[hazard.pk]), {"note": "x"})
    assert response.status_code == 404


def test_the_staff_record_a_confiscated_kettle_and_give_it_back(client, world):
    hazard = hazard_in(world)
    client.force_login(world["shift_lead"])
    client.post(
        reverse("apartments:confiscation_create", args=[hazard.pk]),
        {"item": "白色热水壶", "resident": world["student"].pk},
    )
    taken = hazard.confiscations.get()
    assert taken.resident == world["student"]
    client.post(reverse("apartments:confiscation_return", args=[taken.pk]))
    taken.refresh_from_db()
    assert taken.returned_by == world["shift_lead"]
    client.force_login(world["other_manager"])
    assert (
        client.post(reverse("apartments:confiscation_return", args=[taken.pk])).status_code == 404
    )


def test_the_hazard_list_filters_by_building_state_and_deadline(client, world):
    hazard = hazard_in(world)
    Hazard.objects.filter(pk=hazard.pk).update(deadline=today() - dt.timedelta(days=2))
    client.force_login(world["manager"])
    url = reverse("apartments:hazard_list")
    assert "S01-101" in client.get(url, {"overdue": "1"}).content.decode()
    assert "S01-101" not in client.get(url, {"state": "verified"}).content.decode()
    assert "S01-101" in client.get(url, {"building": world["S01"].pk}).content.decode()
    assert client.get(url, {"state": "bogus"}).status_code == 404
    assert client.get(url, {"building": "x"}).status_code == 404
    client.force_login(world["other_manager"])
    assert "S01-101" not in client.get(url).content.decode()
    client.force_login(world["student_user"])
    assert client.get(url).status_code == 404


def _many(world, rooms):
    """`rooms` more occupied rooms in S01, each with a hazard, all on tonight's round."""
    more = add_occupied_rooms(world["S01"], rooms)
    plan_today()
    night = round_of(world["S01"])
    for room in more:
        rr, _ = RoundRoom.objects.get_or_create(round=night, room=room)
        Hazard.objects.create(
            room=room,
            round_room=rr,
            kind="smoking",
            found_by=world["manager"],
            found_at=night.planned_at,
            deadline=today(),
        )


@pytest.mark.parametrize("rooms", [1, 12])
def test_the_round_page_takes_the_same_queries_whatever_the_number_of_rooms(
    client, world, rooms, django_assert_num_queries
):
    _many(world, rooms)
    client.force_login(world["shift_lead"])
    # session, user, the building, the round, its rooms, their unclosed hazards, and the
    # layout's unread-notification count.
    with django_assert_num_queries(ROUND_PAGE_QUERIES):
        assert client.get(round_url(world)).status_code == 200


@pytest.mark.parametrize("rooms", [1, 12])
def test_the_hazard_list_takes_the_same_queries_whatever_the_number_of_hazards(
    client, world, rooms, django_assert_num_queries
):
    _many(world, rooms)
    client.force_login(world["manager"])
    # session, user, the buildings for the filter, the count, the page (with room, building
    # and finder), and the layout's unread-notification count.
    with django_assert_num_queries(HAZARD_LIST_QUERIES):
        assert client.get(reverse("apartments:hazard_list")).status_code == 200


ROUND_PAGE_QUERIES = 7
HAZARD_LIST_QUERIES = 6


def test_back_office_staff_read_rounds_and_hazards_in_the_admin_and_cannot_change_them(
    client, world
):
    from apartments import rounds
    from logistics.models import Role
    from tests.factories import user_with_role

    hazard = hazard_in(world)
    rounds.confiscation_record(actor=world["shift_lead"], hazard=hazard, item="热水壶")
    client.force_login(user_with_role(Role.ADMIN, is_staff=True, is_superuser=True))
    for model in ("safetyround", "hazard", "confiscation"):
        assert client.get(f"/admin/apartments/{model}/").status_code == 200
        assert client.get(f"/admin/apartments/{model}/add/").status_code == 403
    change = client.get(f"/admin/apartments/hazard/{hazard.pk}/change/")
    assert change.status_code == 200 and "Save" not in change.content.decode()
