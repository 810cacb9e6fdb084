"""Fire equipment (消防器材): a building's extinguishers and hydrants by floor with what is due
standing out, the monthly check recorded by its staff, and the nightly job's one open
`fire_equipment_due` alert per building with something due."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apartments import fire_equipment
from apartments.jobs import safety_inspection
from apartments.models import FireEquipment, FireEquipmentCheck
from logistics.alerts import alerts_for
from logistics.models import Alert, Role
from tests.apartments.move_in_data import campuses
from tests.apartments.safety_data import inhabited, safety_world, staff_of
from tests.factories import BuildingAssignmentFactory, user_with_role
from tests.threads import race

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def world():
    return safety_world()


def user(world, who):
    return world[who].user if who == "student" else world[who]


def today():
    return timezone.localdate()


def item(building, code="MH-101", *, next_in=10, expires_in=365, floor=1, kind="extinguisher"):
    return FireEquipment.objects.create(
        building=building,
        floor=floor,
        kind=kind,
        code=code,
        location="101室门口",
        next_inspection=today() + dt.timedelta(days=next_in),
        expires_on=today() + dt.timedelta(days=expires_in) if expires_in is not None else None,
    )


def open_due():
    return Alert.objects.filter(kind="fire_equipment_due", resolved_at__isnull=True)


# --- states ---


@pytest.mark.parametrize(
    "next_in, expires_in, state",
    [
        (10, 365, "ok"),
        (0, 365, "check_due"),
        (-3, 365, "check_due"),
        (10, 30, "expiring"),
        (10, 31, "ok"),
        (10, -1, "expired"),
        (-3, -1, "expired"),
        (10, None, "ok"),
    ],
)
def test_each_item_has_its_state(world, next_in, expires_in, state):
    given = item(world["S01"], next_in=next_in, expires_in=expires_in)
    (row,) = fire_equipment.equipment_of(world["S01"], today())
    assert row.item == given and row.state == state


def test_the_expiry_warning_follows_the_setting(world, settings):
    settings.SAFETY_FIRE_EXPIRY_WARN_DAYS = 60
    item(world["S01"], expires_in=45)
    (row,) = fire_equipment.equipment_of(world["S01"], today())
    assert row.state == "expiring"


# --- checks ---


def test_the_staff_record_a_check_and_the_next_is_a_month_later(world):
    thing = item(world["S01"], next_in=-2)
    check = fire_equipment.fire_check_record(actor=world["shift_lead"], equipment=thing, ok=True)

    thing.refresh_from_db()
    assert check.ok and check.checked_by == world["shift_lead"] and check.checked_on == today()
    assert thing.next_inspection == today() + dt.timedelta(days=30)


def test_an_issue_needs_a_note(world):
    thing = item(world["S01"])
    with pytest.raises(fire_equipment.FireCheckInvalid):
        fire_equipment.fire_check_record(actor=world["manager"], equipment=thing, ok=False)
    check = fire_equipment.fire_check_record(
        actor=world["manager"], equipment=thing, ok=False, note="压力表指针在红区"
    )
    assert not check.ok and check.note == "压力表指针在红区"


def test_a_second_check_on_the_same_day_is_refused(world):
    thing = item(world["S01"])
    fire_equipment.fire_check_record(actor=world["manager"], equipment=thing, ok=True)
    with pytest.raises(fire_equipment.CheckedToday):
        fire_equipment.fire_check_record(actor=world["shift_lead"], equipment=thing, ok=True)
    assert FireEquipmentCheck.objects.count() == 1


@pytest.mark.parametrize("who", ["other_manager", "head", "auditor", "technician", "student"])
def test_only_the_buildings_staff_check(world, who):
    thing = item(world["S01"])
    with pytest.raises(fire_equipment.NotYourEquipment):
        fire_equipment.fire_check_record(actor=user(world, who), equipment=thing, ok=True)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="threads need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_phones_at_once_record_one_check():
    world = safety_world()
    thing = item(world["S01"])

    def tap(i):
        who = world["manager"] if i else world["shift_lead"]
        try:
            return fire_equipment.fire_check_record(actor=who, equipment=thing, ok=True).pk
        except fire_equipment.CheckedToday:
            return None

    assert sum(1 for r in race(2, tap) if r) == 1
    assert FireEquipmentCheck.objects.count() == 1


# --- the nightly alert ---


def test_the_job_raises_one_alert_per_building_with_something_due_however_often(world):
    item(world["S01"], "A", next_in=-1)
    item(world["S01"], "B", expires_in=5)
    item(world["S02"], "C")  # in order
    item(world["J01"], "D", expires_in=-10)

    safety_inspection(today())
    safety_inspection(today())

    alerts = list(open_due().order_by("subject_id"))
    assert sorted(a.subject_id for a in alerts) == sorted([world["S01"].pk, world["J01"].pk])
    s01 = next(a for a in alerts if a.subject_id == world["S01"].pk)
    assert s01.params["count"] == 2 and s01.times_seen == 2
    assert "S01" in fire_equipment.FIRE_EQUIPMENT_DUE.render(s01.params)


def test_the_alert_closes_once_nothing_is_due(world):
    thing = item(world["S01"], next_in=-1)
    safety_inspection(today())
    assert open_due().count() == 1

    fire_equipment.fire_check_record(actor=world["manager"], equipment=thing, ok=True)
    safety_inspection(today() + dt.timedelta(days=1))

    assert open_due().count() == 0
    assert Alert.objects.filter(kind="fire_equipment_due").count() == 1


def test_the_alert_reaches_the_buildings_staff_only(world):
    item(world["S01"], next_in=-1)
    safety_inspection(today())
    assert alerts_for(world["manager"]).filter(kind="fire_equipment_due").count() == 1
    assert alerts_for(world["shift_lead"]).filter(kind="fire_equipment_due").count() == 1
    assert alerts_for(world["other_manager"]).filter(kind="fire_equipment_due").count() == 0


def _job_queries(buildings: int) -> int:
    songbei, _ = campuses()
    for n in range(buildings):
        building, _ = inhabited(songbei, f"F{n:02d}")
        item(building, "A", next_in=-1)
        item(building, "B", expires_in=3)
        item(building, "C")
    with CaptureQueriesContext(connection) as queries:
        fire_equipment.due_alerts_raise(today())
    with CaptureQueriesContext(connection) as again:
        fire_equipment.due_alerts_raise(today())
    assert open_due().count() == buildings
    return len(queries), len(again)


def test_the_steps_query_count_does_not_grow_with_the_buildings():
    small = _job_queries(2)
    Alert.objects.all().delete()
    FireEquipment.objects.all().delete()
    from apartments.models import Building, Stay

    Stay.objects.all().delete()
    Building.objects.all().delete()
    large = _job_queries(10)
    assert small == large


# --- pages ---


def list_url(building):
    return reverse("apartments:fire_equipment", args=[building.pk])


def check_url(thing):
    return reverse("apartments:fire_equipment_check", args=[thing.pk])


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    response = client.get(list_url(world["S01"]))
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize("who", ["student", "technician", "other_manager", "auditor"])
def test_others_get_404(client, world, who):
    thing = item(world["S01"])
    client.force_login(user(world, who))
    assert client.get(list_url(world["S01"])).status_code == 404
    assert client.get(check_url(thing)).status_code == 404
    assert client.post(check_url(thing), {"ok": "true"}).status_code == 404
    assert not FireEquipmentCheck.objects.exists()


def test_the_head_sees_the_list_without_check_buttons(client, world):
    thing = item(world["S01"])
    client.force_login(world["head"])
    response = client.get(list_url(world["S01"]), **EN)
    assert response.status_code == 200 and not response.context["may_check"]
    assert client.get(check_url(thing)).status_code == 404


def test_the_list_shows_due_and_expired_standing_out(client, world):
    item(world["S01"], "A", next_in=-1)
    item(world["S01"], "B", expires_in=-1, floor=2)
    item(world["S01"], "C", kind="hydrant", expires_in=None)
    client.force_login(world["manager"])
    page = client.get(list_url(world["S01"]), **EN).content.decode()
    assert 'data-state="check_due"' in page and 'data-state="expired"' in page
    assert 'data-state="ok"' in page and "Fire hydrant" in page
    assert "Floor 2" in page


def test_the_check_page_records_by_post(client, world):
    thing = item(world["S01"], next_in=-1)
    client.force_login(world["shift_lead"])
    assert client.get(check_url(thing), **EN).status_code == 200
    response = client.post(check_url(thing), {"ok": "true", "note": ""})
    assert response.status_code == 302
    again = client.post(check_url(thing), {"ok": "true"}, **EN, follow=True)
    assert "checked today already" in again.content.decode()
    assert FireEquipmentCheck.objects.count() == 1


def test_an_issue_without_a_note_is_refused_on_the_page(client, world):
    thing = item(world["S01"])
    client.force_login(world["manager"])
    response = client.post(check_url(thing), {"ok": "false", "note": " "}, **EN)
    assert response.status_code == 400
    assert "an issue needs a note" in response.content.decode()
    assert client.post(check_url(thing), {"ok": "maybe"}).status_code == 400


@pytest.mark.parametrize("extra", [0, 15])
def test_the_list_pages_query_count_does_not_grow(client, world, extra, django_assert_num_queries):
    item(world["S01"], "A")
    for n in range(extra):
        thing = item(world["S01"], f"X{n:02d}", floor=n % 6, next_in=n - 5)
        if n % 3 == 0:
            fire_equipment.fire_check_record(
                actor=world["admin"], equipment=thing, ok=n % 2 == 0, note="压力不足"
            )
    client.force_login(world["manager"])
    client.get(list_url(world["S01"]))
    # session, user with role grants; the building; may the caller check (exists); the
    # equipment with its last check
    with django_assert_num_queries(5):
        response = client.get(list_url(world["S01"]))
    assert len(response.context["rows"]) == 1 + extra


def test_an_admin_and_a_new_manager_may_check(client, world):
    thing = item(world["S01"])
    newcomer = user_with_role(Role.SHIFT_LEAD)
    BuildingAssignmentFactory(user=newcomer, building=world["S01"], role=Role.SHIFT_LEAD)
    assert fire_equipment.equipment_get(newcomer, thing.pk) == thing
    assert fire_equipment.equipment_get(world["admin"], thing.pk) == thing
    assert fire_equipment.equipment_get(staff_of(world["S02"]), thing.pk) is None


# --- the alerts API and the demo ---


def test_the_alerts_api_shows_the_buildings_alert_to_its_manager(world):
    from rest_framework.test import APIClient

    item(world["S01"], next_in=-1)
    safety_inspection(today())
    api = APIClient()
    api.force_authenticate(world["manager"])
    data = api.get("/api/v1/alerts/", {"kind": "fire_equipment_due"}, **EN).json()
    (alert,) = data["results"]
    assert alert["building"] == world["S01"].pk and "S01" in alert["message"]


def test_the_demo_has_expiring_extinguishers_and_their_alerts():
    from django.core.management import call_command

    call_command("seed_demo", verbosity=0)
    expiring = FireEquipment.objects.filter(expires_on__lte=today() + dt.timedelta(days=30))
    assert expiring.filter(kind="extinguisher").count() >= 2
    assert open_due().count() == 2  # S01 and S02
    call_command("seed_demo", verbosity=0)
    assert open_due().count() == 2
