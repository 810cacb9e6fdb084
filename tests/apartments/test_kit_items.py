"""Bedding kits checked item by item against the kit's list (逐一验质验量, issue 18): each
item's quantity and quality recorded with the check; the kit passes only when everything is
there and in good condition, and fails with the shortfalls as its reason. The bed's kit, and
the tallies the triggers keep, change exactly as with a one-step check."""

import pytest
from django.urls import reverse

from apartments import services
from apartments.models import Bed, BedKit, KitCheck, KitCheckLine, KitType
from logistics.models import Role
from tests.apartments.test_tallies import assert_tallies_match
from tests.factories import (
    BuildingAssignmentFactory,
    BuildingFactory,
    CampusFactory,
    RoomFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db

ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def building():
    building = BuildingFactory(campus=CampusFactory(code="songbei"), code="S01")
    RoomFactory(building=building, floor=1, number="101", capacity=2)
    return building


@pytest.fixture
def bed(building):
    return Bed.objects.filter(room__building=building).order_by("number").first()


@pytest.fixture
def kit():
    kit = KitType.objects.create(code="standard", name="标准被褥", name_en="Standard kit")
    quilt = kit.items.create(name="被子", name_en="Quilt", quantity=1)
    pillow = kit.items.create(name="枕头", name_en="Pillow", quantity=2)
    sheet = kit.items.create(name="床单", name_en="Sheet", quantity=2)
    return {"type": kit, "quilt": quilt, "pillow": pillow, "sheet": sheet}


@pytest.fixture
def manager(building):
    user = user_with_role(Role.DORM_MANAGER)
    BuildingAssignmentFactory(user=user, building=building)
    return user


def line(item, found=None, ok=True, note=""):
    found = item.quantity if found is None else found
    return services.KitLineInput(item_id=item.pk, found=found, quality_ok=ok, note=note)


def check(manager, bed, kit, *lines):
    from django.utils import translation

    with translation.override("en"):
        return services.kit_check_items(actor=manager, bed=bed, kit_type=kit["type"], lines=lines)


def test_everything_there_and_good_places_the_kit_with_its_lines(manager, bed, kit):
    result = check(manager, bed, kit, line(kit["quilt"]), line(kit["pillow"]), line(kit["sheet"]))
    assert (result.status, result.failures) == (BedKit.Status.PLACED, 0)
    the_check = KitCheck.objects.get()
    assert the_check.result == KitCheck.Result.PASSED and the_check.reason == ""
    assert [(x.item.name_en, x.expected, x.found, x.quality_ok) for x in the_check.lines.all()] == [
        ("Quilt", 1, 1, True),
        ("Pillow", 2, 2, True),
        ("Sheet", 2, 2, True),
    ]
    assert_tallies_match()


def test_a_pillow_short_and_a_stained_sheet_fail_the_kit_with_the_reason(manager, bed, kit):
    result = check(
        manager,
        bed,
        kit,
        line(kit["quilt"]),
        line(kit["pillow"], found=1),
        line(kit["sheet"], ok=False, note="stained"),
    )
    assert (result.status, result.failures) == (BedKit.Status.FAILED, 1)
    the_check = KitCheck.objects.get()
    assert the_check.result == KitCheck.Result.FAILED
    assert the_check.reason == "Pillow: 1 of 2; Sheet: stained"
    assert [x.passed for x in the_check.lines.all()] == [True, False, False]
    assert_tallies_match()

    # the kit replaced and checked again: placed, the failure kept on record
    result = check(manager, bed, kit, line(kit["quilt"]), line(kit["pillow"]), line(kit["sheet"]))
    assert (result.status, result.failures) == (BedKit.Status.PLACED, 1)
    assert KitCheckLine.objects.count() == 6
    assert_tallies_match()


def test_more_than_the_list_is_fine_and_poor_quality_without_a_note_says_so(manager, bed, kit):
    check(
        manager,
        bed,
        kit,
        line(kit["quilt"], ok=False),
        line(kit["pillow"], found=3),
        line(kit["sheet"]),
    )
    assert KitCheck.objects.get().reason == "Quilt: poor quality"


@pytest.mark.parametrize(
    "lines",
    [
        lambda k: [line(k["quilt"]), line(k["pillow"])],  # the sheet not counted
        lambda k: [line(k["quilt"]), line(k["pillow"]), line(k["sheet"]), line(k["quilt"])],
        lambda k: [line(k["quilt"]), line(k["pillow"]), line(k["sheet"], found=-1)],
    ],
)
def test_an_incomplete_or_impossible_count_is_refused_and_writes_nothing(manager, bed, kit, lines):
    with pytest.raises(services.KitCheckError):
        check(manager, bed, kit, *lines(kit))
    assert not BedKit.objects.exists() and not KitCheck.objects.exists()
    assert not KitCheckLine.objects.exists()


# --- the page -------------------------------------------------------------------------------


def items_url(building, bed, kit=None):
    url = reverse("apartments:kit_items", args=[building.pk, bed.pk])
    return url + (f"?kit={kit['type'].code}" if kit else "")


def posted(kit, **overrides):
    data = {"kit": kit["type"].code}
    for key in ("quilt", "pillow", "sheet"):
        item = kit[key]
        data[f"found-{item.pk}"] = str(item.quantity)
        data[f"ok-{item.pk}"] = "1"
    data.update(overrides)
    return data


def test_the_page_lists_every_item_with_its_expected_quantity(client, manager, building, bed, kit):
    client.force_login(manager)
    page = client.get(items_url(building, bed, kit), **ENGLISH).content.decode()
    for key in ("quilt", "pillow", "sheet"):
        item = kit[key]
        assert f'data-testid="found-{item.pk}"' in page
        assert f'value="{item.quantity}"' in page
    assert "list: 2" in page


def test_posting_the_page_records_the_check(client, manager, building, bed, kit):
    client.force_login(manager)
    pillow = kit["pillow"]
    data = posted(kit, **{f"found-{pillow.pk}": "1"})
    response = client.post(items_url(building, bed), data, **ENGLISH)
    assert response.status_code == 302
    assert response.url.endswith(f"#bed-{bed.pk}")
    assert BedKit.objects.get().status == BedKit.Status.FAILED
    assert KitCheck.objects.get().reason == "Pillow: 1 of 2"


def test_a_quantity_that_is_not_a_number_is_shown_again_and_nothing_is_written(
    client, manager, building, bed, kit
):
    client.force_login(manager)
    pillow = kit["pillow"]
    response = client.post(
        items_url(building, bed), posted(kit, **{f"found-{pillow.pk}": "two"}), **ENGLISH
    )
    assert response.status_code == 400
    assert "a whole number" in response.content.decode()
    assert 'value="two"' in response.content.decode()
    assert not KitCheck.objects.exists()


def test_only_the_buildings_desk_staff_may_check(client, building, bed, kit):
    other = user_with_role(Role.DORM_MANAGER)
    BuildingAssignmentFactory(user=other, building=BuildingFactory(campus=building.campus))
    client.force_login(other)
    assert client.get(items_url(building, bed, kit)).status_code == 404
    assert client.post(items_url(building, bed), posted(kit)).status_code == 404
    client.force_login(user_with_role(Role.STUDENT))
    assert client.get(items_url(building, bed, kit)).status_code == 404
    assert not KitCheck.objects.exists()


def test_the_page_query_count(client, manager, building, bed, kit, django_assert_num_queries):
    client.force_login(manager)
    client.get(items_url(building, bed, kit))  # the bell's unread count goes into the cache
    # session, user with role grants; the desk's building; the kit type, its items; the bed
    # with its room, kit and latest check
    with django_assert_num_queries(6):
        client.get(items_url(building, bed, kit))
