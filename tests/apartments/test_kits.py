"""Bedding kits: every bed's kit checked for quality and quantity and placed before move-in."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from apartments import services
from apartments.models import Bed, BedKit, Building, KitCheck, KitType
from logistics.models import AuditEvent, Role
from tests.factories import (
    BuildingAssignmentFactory,
    BuildingFactory,
    CampusFactory,
    RoomFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def building():
    building = BuildingFactory(campus=CampusFactory(code="songbei"), code="S01")
    RoomFactory(building=building, floor=1, number="101", capacity=2)
    RoomFactory(building=building, floor=1, number="102", capacity=2)
    RoomFactory(building=building, floor=2, number="201", capacity=2)
    return building


@pytest.fixture
def beds(building):
    return list(Bed.objects.filter(room__building=building).order_by("room__number", "number"))


@pytest.fixture
def kit_type():
    kit_type = KitType.objects.create(code="standard", name="标准行李", name_en="Standard kit")
    kit_type.items.create(name="被子", name_en="Quilt")
    return kit_type


def kits_url(building):
    return reverse("apartments:building_kits", args=[building.pk])


def check_url(building, bed):
    return reverse("apartments:kit_check", args=[building.pk, bed.pk])


def status_of(bed):
    kit = BedKit.objects.filter(bed=bed).first()
    return (kit.status, kit.failures) if kit else None


# --- Services -----------------------------------------------------------------------------------


def test_a_failed_check_needs_a_reason_and_then_nothing_is_written(beds, kit_type, manager):
    for reason in ("", "   "):
        with pytest.raises(services.KitCheckError) as error:
            services.kit_check_record(
                actor=manager, bed=beds[0], kit_type=kit_type, passed=False, reason=reason
            )
        assert error.value.status_code == 400
    assert not BedKit.objects.exists()
    assert not KitCheck.objects.exists()


def test_failed_then_passed_means_replaced_and_placed(beds, kit_type, manager):
    bed = beds[0]
    services.kit_check_record(
        actor=manager, bed=bed, kit_type=kit_type, passed=False, reason="被套破损"
    )
    assert status_of(bed) == ("failed", 1)
    services.kit_check_record(
        actor=manager, bed=bed, kit_type=kit_type, passed=False, reason="缺枕头"
    )
    assert status_of(bed) == ("failed", 2)

    services.kit_check_record(actor=manager, bed=bed, kit_type=kit_type, passed=True)

    assert status_of(bed) == ("placed", 2)  # the failures stay counted
    history = list(KitCheck.objects.filter(bed=bed).values_list("result", "reason", "checked_by"))
    assert history == [
        ("passed", "", manager.pk),
        ("failed", "缺枕头", manager.pk),
        ("failed", "被套破损", manager.pk),
    ]


def test_marking_a_floor_touches_only_beds_without_a_kit(building, beds, kit_type, manager):
    services.kit_check_record(
        actor=manager, bed=beds[0], kit_type=kit_type, passed=False, reason="潮湿"
    )

    marked = services.kit_check_building(
        actor=manager, building=building, kit_type=kit_type, floor=1
    )

    assert marked == 3  # floor 1 has four beds, one with a failed kit
    assert [status_of(b) for b in beds] == [
        ("failed", 1),
        ("placed", 0),
        ("placed", 0),
        ("placed", 0),
        None,  # floor 2
        None,
    ]
    assert KitCheck.objects.filter(result="passed").count() == 3
    event = AuditEvent.objects.get(action="apartments.kit_check_building")
    assert event.changes == {"kit_type": "standard", "floor": 1, "beds": 3}
    # Again: nothing left to mark there; the whole building marks floor 2
    assert (
        services.kit_check_building(actor=manager, building=building, kit_type=kit_type, floor=1)
        == 0
    )
    assert services.kit_check_building(actor=manager, building=building, kit_type=kit_type) == 2


@pytest.mark.parametrize("rooms", [2, 40])
def test_marking_a_building_is_a_fixed_number_of_queries(
    kit_type, manager, rooms, django_assert_num_queries
):
    building = BuildingFactory()
    for i in range(rooms):
        RoomFactory(building=building, number=f"{i:03d}", capacity=4)
    ContentType.objects.get_for_model(Building)
    # savepoint; lock the building; the beds without a kit; insert the kits; insert the
    # checks; audit record; release. (SQLite splits an insert of more than ~160 rows into
    # batches, PostgreSQL never: a whole floor is one insert each on both.)
    with django_assert_num_queries(7):
        services.kit_check_building(actor=manager, building=building, kit_type=kit_type)
    assert BedKit.objects.count() == rooms * 4


# --- The page ---------------------------------------------------------------------------------


def test_access_story(client, building, kit_type, manager):
    url = kits_url(building)
    assert client.get(url).status_code == 302
    client.force_login(user_with_role(Role.STUDENT))
    assert client.get(url).status_code == 404
    stranger = user_with_role(Role.DORM_MANAGER)
    BuildingAssignmentFactory(user=stranger, building=BuildingFactory())
    client.force_login(stranger)
    assert client.get(url).status_code == 404
    bed = Bed.objects.filter(room__building=building).first()
    assert client.post(check_url(building, bed), {"passed": "1"}).status_code == 404
    client.force_login(manager)
    assert client.get(url).status_code == 200
    # A bed of another building under this building's URL
    other_bed = RoomFactory(building=BuildingFactory()).beds.first()
    assert (
        client.post(
            check_url(building, other_bed), {"kit_type": kit_type.pk, "passed": "1"}
        ).status_code
        == 404
    )


def test_without_a_kit_type_the_page_explains_what_to_do(client, building, manager):
    client.force_login(manager)
    response = client.get(kits_url(building), **ENGLISH)
    page = response.content.decode()
    assert "No bedding kit type has been set up yet." in page
    assert "administrator" in page


def test_the_page_shows_every_beds_kit_per_floor(client, building, beds, kit_type, manager):
    services.kit_check_record(
        actor=manager, bed=beds[0], kit_type=kit_type, passed=False, reason="缺枕头"
    )
    services.kit_check_record(actor=manager, bed=beds[1], kit_type=kit_type, passed=True)
    BedKit.objects.create(bed=beds[2], kit_type=kit_type, status=BedKit.Status.ISSUED)
    client.force_login(manager)

    response = client.get(kits_url(building), **ENGLISH)

    page = response.content.decode()
    assert [f["floor"] for f in response.context["floors"]] == [1, 2]
    assert response.context["counts"] == {"none": 3, "placed": 1, "failed": 1, "issued": 1}
    assert "failed: 缺枕头" in page
    assert 'data-status="placed"' in page and 'data-status="issued"' in page
    assert page.count('data-status="none"') == 3
    assert "Mark the 1 bed without a kit on floor 1 as checked and placed" in page


@pytest.mark.parametrize("rooms", [2, 40])
def test_page_query_count(client, building, kit_type, manager, rooms, django_assert_num_queries):
    for i in range(rooms):
        RoomFactory(building=building, floor=3 + i % 3, number=f"3{i:02d}", capacity=4)
    client.force_login(manager)
    # A first visit puts the bell's unread count into the cache.
    client.get(kits_url(building))
    # session, user with role grants, the building, the kit types, the beds with room, kit and
    # their latest check
    with django_assert_num_queries(5):
        response = client.get(kits_url(building))
    assert response.status_code == 200


def test_recording_a_check_with_htmx_updates_the_bed(client, building, beds, kit_type, manager):
    client.force_login(manager)
    data = {"kit_type": kit_type.pk, "passed": "0", "reason": "被子有污渍"}

    response = client.post(check_url(building, beds[0]), data, **HTMX, **ENGLISH)

    page = response.content.decode()
    assert f'id="bed-{beds[0].pk}"' in page and "<html" not in page
    assert "failed: 被子有污渍" in page
    assert status_of(beds[0]) == ("failed", 1)

    response = client.post(
        check_url(building, beds[0]), {"kit_type": kit_type.pk, "passed": "1"}, **HTMX
    )
    assert 'data-status="placed"' in response.content.decode()
    assert status_of(beds[0]) == ("placed", 1)


def test_a_failure_without_a_reason_is_refused(client, building, beds, kit_type, manager):
    client.force_login(manager)
    data = {"kit_type": kit_type.pk, "passed": "0", "reason": ""}
    response = client.post(check_url(building, beds[0]), data, **HTMX, **ENGLISH)
    assert "A failed check needs a reason." in response.content.decode()
    assert not KitCheck.objects.exists()
    # Without JavaScript: back to the page, with the message and the reason asked again
    response = client.post(check_url(building, beds[0]), data, follow=True, **ENGLISH)
    assert "A failed check needs a reason." in response.content.decode()
    assert response.redirect_chain[0][0].endswith(f"fail={beds[0].pk}#bed-{beds[0].pk}")
    assert f'id="reason-{beds[0].pk}"' in response.content.decode()
    assert not KitCheck.objects.exists()


def test_the_failed_button_asks_for_the_reason(client, building, beds, kit_type, manager):
    client.force_login(manager)
    bed_url = reverse("apartments:kit_bed", args=[building.pk, beds[0].pk])
    page = client.get(kits_url(building)).content.decode()
    assert 'id="reason-' not in page  # no reason fields until one is asked for

    # With htmx: the bed's line comes back with the reason field
    response = client.get(bed_url, {"kit": "standard", "fail": "1"}, **HTMX)
    assert f'id="reason-{beds[0].pk}"' in response.content.decode()
    assert client.get(bed_url, {"kit": "standard"}, **HTMX).content.decode().count("reason-") == 0
    # Without JavaScript: the page, with that bed's reason field
    response = client.get(bed_url, {"kit": "standard", "fail": "1"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert page.count('name="reason"') == 1 and f'id="reason-{beds[0].pk}"' in page
    # Nothing was written
    assert not KitCheck.objects.exists()
    assert client.get(bed_url, {"kit": "nope", "fail": "1"}, **HTMX).status_code == 404


def test_recording_without_javascript_redirects_to_the_bed(
    client, building, beds, kit_type, manager
):
    client.force_login(manager)
    response = client.post(check_url(building, beds[1]), {"kit_type": kit_type.pk, "passed": "1"})
    assert response.status_code == 302
    assert response["Location"].endswith(f"?kit=standard#bed-{beds[1].pk}")
    assert status_of(beds[1]) == ("placed", 0)


def test_marking_a_floor_from_the_page(client, building, beds, kit_type, manager):
    client.force_login(manager)
    url = reverse("apartments:kit_mark_placed", args=[building.pk])

    response = client.post(url, {"kit_type": kit_type.pk, "floor": 2}, follow=True, **ENGLISH)

    assert "2 beds marked as checked and placed." in response.content.decode()
    assert [status_of(b) for b in beds] == [None] * 4 + [("placed", 0)] * 2
    assert client.get(url).status_code == 405  # GET changes nothing
