"""The asset pages: the damage price list, a room's assets, a building's asset summary and
its Excel export, the storerooms. Each tells its access story and pins its query count."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from apartments.models import Asset, AssetCondition, AssetType, Storeroom
from logistics.models import Role
from tests.factories import (
    BuildingAssignmentFactory,
    BuildingFactory,
    CampusFactory,
    DepartmentFactory,
    RoomFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_english():
    with translation.override("en"):
        yield


@pytest.fixture
def campus():
    return CampusFactory(code="songbei", name="松北校区", name_en="Songbei")


@pytest.fixture
def building(campus):
    return BuildingFactory(campus=campus, code="S01")


@pytest.fixture
def other_building(campus):
    return BuildingFactory(campus=campus, code="S02")


@pytest.fixture
def types():
    return {
        "chair": AssetType.objects.create(
            code="chair", name="椅子", name_en="Chair", repair_cost=30, replacement_cost=120
        ),
        "desk": AssetType.objects.create(
            code="desk", name="书桌", name_en="Desk", repair_cost=60, replacement_cost=450
        ),
    }


def furnish(room, types, *, chairs=2, desks=2, condition=AssetCondition.GOOD):
    prefix = f"{room.building.code}-{room.number}"
    Asset.objects.bulk_create(
        [
            Asset(tag=f"{prefix}-CH{n}", asset_type=types["chair"], room=room, condition=condition)
            for n in range(chairs)
        ]
        + [Asset(tag=f"{prefix}-DK{n}", asset_type=types["desk"], room=room) for n in range(desks)]
    )


@pytest.fixture
def room(building, types):
    room = RoomFactory(building=building, number="101", floor=1)
    furnish(room, types)
    return room


@pytest.fixture
def manager(building):
    user = user_with_role(Role.DORM_MANAGER)
    BuildingAssignmentFactory(user=user, building=building)
    return user


@pytest.fixture
def other_manager(other_building):
    user = user_with_role(Role.DORM_MANAGER)
    BuildingAssignmentFactory(user=user, building=other_building)
    return user


# --- Access --------------------------------------------------------------------------------


def _asset_urls(building, room):
    return [
        reverse("apartments:room_assets", args=[room.pk]),
        reverse("apartments:building_assets", args=[building.pk]),
        reverse("apartments:building_assets_export", args=[building.pk]),
    ]


def test_anonymous_visitors_are_sent_to_sign_in(client, building, room):
    for url in [*_asset_urls(building, room), reverse("apartments:asset_prices")]:
        assert client.get(url).status_code == 302


def test_students_get_404(client, building, room):
    client.force_login(user_with_role(Role.STUDENT))
    for url in [*_asset_urls(building, room), reverse("apartments:asset_prices")]:
        assert client.get(url).status_code == 404


def test_a_manager_of_another_building_gets_404(client, building, room, other_manager):
    client.force_login(other_manager)
    for url in _asset_urls(building, room):
        assert client.get(url).status_code == 404
    # The price list is the same for every building: theirs to read too.
    assert client.get(reverse("apartments:asset_prices")).status_code == 200


def test_the_buildings_manager_and_an_administrator_see_the_pages(client, building, room, manager):
    for user in (manager, user_with_role(Role.ADMIN)):
        client.force_login(user)
        for url in _asset_urls(building, room):
            assert client.get(url).status_code == 200, url


def test_the_building_page_links_rooms_to_their_assets(client, building, room, manager):
    client.force_login(manager)
    page = client.get(reverse("apartments:building_detail", args=[building.pk]))
    assert reverse("apartments:room_assets", args=[room.pk]).encode() in page.content
    assert reverse("apartments:building_assets", args=[building.pk]).encode() in page.content


# --- The price list ------------------------------------------------------------------------


def test_the_price_list_in_both_languages_and_printable(client, types, manager):
    client.force_login(manager)
    page = client.get(reverse("apartments:asset_prices"), HTTP_ACCEPT_LANGUAGE="en")
    assert b"Chair" in page.content and b"120.00" in page.content
    page = client.get(reverse("apartments:asset_prices"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "椅子" in page.content.decode() and "Chair" not in page.content.decode()
    printable = client.get(reverse("apartments:asset_prices"), {"print": "1"})
    assert printable.status_code == 200
    assert b"Main navigation" not in printable.content
    assert b"450.00" in printable.content


def test_the_price_list_query_count_does_not_grow(
    client, types, manager, django_assert_num_queries
):
    client.force_login(manager)
    # A first visit puts the bell's unread count into the cache.
    client.get(reverse("apartments:asset_prices"))
    # session, user with role grants, the asset types (3)
    with django_assert_num_queries(3):
        client.get(reverse("apartments:asset_prices"))
    AssetType.objects.bulk_create(
        [
            AssetType(code=f"t{n}", name=f"类型{n}", repair_cost=1, replacement_cost=2)
            for n in range(20)
        ]
    )
    with django_assert_num_queries(3):
        client.get(reverse("apartments:asset_prices"))


# --- A room's assets -----------------------------------------------------------------------


def test_a_rooms_assets_with_condition_and_price(client, room, types, manager):
    Asset.objects.filter(tag="S01-101-CH0").update(condition=AssetCondition.DAMAGED)
    client.force_login(manager)
    response = client.get(
        reverse("apartments:room_assets", args=[room.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    tags = [a.tag for a in response.context["assets"]]
    assert tags == ["S01-101-CH0", "S01-101-CH1", "S01-101-DK0", "S01-101-DK1"]
    assert [a.tag for a in response.context["attention"]] == ["S01-101-CH0"]
    content = response.content.decode()
    assert "Damaged" in content and "450.00" in content


def test_the_room_page_query_count_does_not_grow(
    client, building, room, types, manager, django_assert_num_queries
):
    client.force_login(manager)
    url = reverse("apartments:room_assets", args=[room.pk])
    client.get(url)  # warm caches
    # session, user with role grants, the room with its building and campus, its assets with
    # their types (4)
    with django_assert_num_queries(4):
        client.get(url)
    furnish(room, types, chairs=0, desks=0)
    Asset.objects.bulk_create(
        [Asset(tag=f"EXTRA-{n}", asset_type=types["chair"], room=room) for n in range(40)]
    )
    with django_assert_num_queries(4):
        client.get(url)


# --- A building's summary and its export ---------------------------------------------------


@pytest.fixture
def furnished(building, types):
    """Floor 1: room 101 (2 good chairs, 2 desks); floor 2: room 201 with 1 damaged and 1
    missing chair, room 202 all good."""
    r101 = RoomFactory(building=building, number="101", floor=1)
    r201 = RoomFactory(building=building, number="201", floor=2)
    r202 = RoomFactory(building=building, number="202", floor=2)
    furnish(r101, types)
    furnish(r202, types)
    furnish(r201, types, chairs=0)
    Asset.objects.create(
        tag="S01-201-X1", asset_type=types["chair"], room=r201, condition="damaged"
    )
    Asset.objects.create(
        tag="S01-201-X2", asset_type=types["chair"], room=r201, condition="missing"
    )
    return r101, r201, r202


def test_the_building_summary_counts_per_type_floor_and_flags_rooms(
    client, building, furnished, manager
):
    client.force_login(manager)
    summary = client.get(reverse("apartments:building_assets", args=[building.pk])).context[
        "summary"
    ]
    by_type = {row.asset_type.code: row.counts for row in summary.types}
    assert by_type["chair"] == {"good": 4, "worn": 0, "damaged": 1, "missing": 1, "retired": 0}
    assert by_type["desk"]["good"] == 6
    assert [(f.floor, f.total) for f in summary.floors] == [(1, 4), (2, 8)]
    assert summary.total == 12
    (flagged,) = summary.flagged_rooms
    assert (flagged.number, flagged.damaged, flagged.missing) == ("201", 1, 1)
    # a repair of one chair and a replacement of another
    assert flagged.estimate == Decimal("150.00")


def test_the_building_summary_query_count_does_not_grow(
    client, building, furnished, types, manager, django_assert_num_queries
):
    client.force_login(manager)
    url = reverse("apartments:building_assets", args=[building.pk])
    # A first visit puts the bell's unread count into the cache.
    client.get(url)
    # session, user with role grants, the building, the price list, the grouped counts (5)
    with django_assert_num_queries(5):
        client.get(url)
    for n in range(3, 8):
        room = RoomFactory(building=building, number=f"{n}01", floor=n)
        furnish(room, types, condition=AssetCondition.DAMAGED)
    with django_assert_num_queries(5):
        client.get(url)


def test_the_export_holds_every_asset_as_text(
    client, building, furnished, manager, django_assert_num_queries
):
    client.force_login(manager)
    url = reverse("apartments:building_assets_export", args=[building.pk])
    # session, user with role grants, the building, the assets (4)
    with django_assert_num_queries(4):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Tag number", "Floor", "Room")
    assert len(rows) == 1 + 12
    damaged = next(r for r in rows if r[0] == "S01-201-X1")
    assert damaged == (
        "S01-201-X1",
        "2",
        "201",
        "chair",
        "Chair",
        "Damaged",
        None,
        "30.00",
        "120.00",
        None,
    )
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            assert cell.value is None or cell.data_type == "s"


def test_an_asset_tag_that_looks_like_a_formula_stays_text(client, building, types, manager):
    room = RoomFactory(building=building, number="101")
    Asset.objects.create(tag="=HYPERLINK(1)", asset_type=types["chair"], room=room)
    client.force_login(manager)
    response = client.get(reverse("apartments:building_assets_export", args=[building.pk]))
    sheet = load_workbook(io.BytesIO(response.content)).active
    cell = sheet["A2"]
    assert cell.value == "=HYPERLINK(1)" and cell.data_type == "s"


# --- Storerooms ----------------------------------------------------------------------------


@pytest.fixture
def storerooms(campus, building, other_building, types):
    """KF01 for the campus (no building), KF02 in S01, KF03 in S02; J-KF on another campus."""
    jiangnan = CampusFactory(code="jiangnan")
    stores = [
        Storeroom.objects.create(campus=campus, code="KF01", name="校区库房"),
        Storeroom.objects.create(campus=campus, building=building, code="KF02", name="S01库房"),
        Storeroom.objects.create(
            campus=campus, building=other_building, code="KF03", name="S02库房"
        ),
        Storeroom.objects.create(campus=jiangnan, code="J-KF", name="江南库房"),
    ]
    for store in stores:
        Asset.objects.bulk_create(
            [
                Asset(tag=f"{store.code}-{n}", asset_type=types["chair"], storeroom=store)
                for n in range(3)
            ]
        )
    return stores


def _store_codes(client):
    response = client.get(reverse("apartments:storeroom_list"))
    assert response.status_code == 200
    return [s.code for s in response.context["storerooms"]]


def test_storerooms_by_role(client, campus, storerooms, manager):
    kf01, kf02, kf03, _jkf = storerooms
    # Anonymous: sign in; a student or an auditor: no such page
    assert client.get(reverse("apartments:storeroom_list")).status_code == 302
    client.force_login(user_with_role(Role.STUDENT))
    assert client.get(reverse("apartments:storeroom_list")).status_code == 404

    # A dorm manager: the storerooms in their buildings only
    client.force_login(manager)
    assert _store_codes(client) == ["KF02"]
    assert client.get(reverse("apartments:storeroom_detail", args=[kf02.pk])).status_code == 200
    for other in (kf01, kf03):
        url = reverse("apartments:storeroom_detail", args=[other.pk])
        assert client.get(url).status_code == 404

    # The head of the apartments on this campus: the campus's storerooms
    apartments = DepartmentFactory(code="apartments", areas=["apartments"])
    client.force_login(user_with_role(Role.DEPARTMENT_HEAD, campus=campus, department=apartments))
    assert sorted(_store_codes(client)) == ["KF01", "KF02", "KF03"]

    # An administrator: every storeroom
    client.force_login(user_with_role(Role.ADMIN))
    assert sorted(_store_codes(client)) == ["J-KF", "KF01", "KF02", "KF03"]
    detail = client.get(reverse("apartments:storeroom_detail", args=[kf01.pk]))
    assert [a.tag for a in detail.context["assets"]] == ["KF01-0", "KF01-1", "KF01-2"]


def test_storeroom_pages_query_counts(client, storerooms, types, django_assert_num_queries):
    client.force_login(user_with_role(Role.ADMIN))
    # A first visit puts the bell's unread count into the cache.
    client.get(reverse("apartments:storeroom_list"))
    # session, user with role grants, the storerooms with their counts (3)
    with django_assert_num_queries(3):
        client.get(reverse("apartments:storeroom_list"))
    kf01 = storerooms[0]
    url = reverse("apartments:storeroom_detail", args=[kf01.pk])
    # session, user with role grants, the storeroom, its assets (4)
    with django_assert_num_queries(4):
        client.get(url)
    Asset.objects.bulk_create(
        [Asset(tag=f"MORE-{n}", asset_type=types["desk"], storeroom=kf01) for n in range(30)]
    )
    with django_assert_num_queries(4):
        client.get(url)
