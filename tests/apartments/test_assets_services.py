"""apartments/assets.py: the condition service (audited), the selectors' scopes, and the
demo's seed_assets (apartments/demo.py; idempotent, bulk)."""

import time

import pytest

from apartments import assets
from apartments.demo import BUILDINGS, seed_assets
from apartments.models import Asset, AssetCondition, AssetType, Room, Storeroom
from logistics.models import AuditEvent, Role
from tests.apartments.test_imports import sqlite_real_variable_limit  # noqa: F401 (a fixture)
from tests.factories import (
    BuildingAssignmentFactory,
    BuildingFactory,
    CampusFactory,
    RoomFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_english():
    """Messages are asserted in English (Chinese is the default language)."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def chair_in_room():
    building = BuildingFactory(code="S01")
    room = RoomFactory(building=building, number="101")
    chair = AssetType.objects.create(
        code="chair", name="椅子", name_en="Chair", repair_cost=30, replacement_cost=120
    )
    return Asset.objects.create(tag="S01-101-CH1", asset_type=chair, room=room)


def test_setting_a_condition_records_who_and_what(chair_in_room):
    # Given a good chair and a manager
    manager = user_with_role(Role.DORM_MANAGER)
    # When the inspection finds it damaged
    asset = assets.asset_condition_set(
        actor=manager, asset=chair_in_room, condition=AssetCondition.DAMAGED, note=" leg broken "
    )
    # Then the books say so, and the audit log says who changed what
    asset.refresh_from_db()
    assert (asset.condition, asset.note) == ("damaged", "leg broken")
    event = AuditEvent.objects.get(action="apartments.asset_condition_set")
    assert event.actor == manager
    assert event.target_id == str(asset.pk)
    assert event.changes == {"condition": ["good", "damaged"], "note": ["", "leg broken"]}


def test_setting_the_same_condition_again_changes_nothing(chair_in_room):
    assets.asset_condition_set(actor=None, asset=chair_in_room, condition="good")
    assert not AuditEvent.objects.filter(action="apartments.asset_condition_set").exists()


def test_an_unknown_condition_is_refused(chair_in_room):
    with pytest.raises(ValueError):
        assets.asset_condition_set(actor=None, asset=chair_in_room, condition="broken")
    chair_in_room.refresh_from_db()
    assert chair_in_room.condition == "good"


def test_assets_visible_to_follows_buildings_and_storerooms(chair_in_room):
    # Given a chair in S01-101, a chair in another building and one in a storeroom of S01
    room = chair_in_room.room
    other = RoomFactory(building=BuildingFactory(campus=room.building.campus), number="201")
    store = Storeroom.objects.create(
        campus=room.building.campus, building=room.building, code="KF", name="库房"
    )
    elsewhere = Asset.objects.create(tag="X-1", asset_type=chair_in_room.asset_type, room=other)
    stored = Asset.objects.create(tag="K-1", asset_type=chair_in_room.asset_type, storeroom=store)
    manager = user_with_role(Role.DORM_MANAGER)
    BuildingAssignmentFactory(user=manager, building=room.building)
    # Then S01's manager sees S01's room and storeroom, the admin all, a student nothing
    assert set(assets.assets_visible_to(manager)) == {chair_in_room, stored}
    assert set(assets.assets_visible_to(user_with_role(Role.ADMIN))) == {
        chair_in_room,
        stored,
        elsewhere,
    }
    assert not assets.assets_visible_to(user_with_role(Role.STUDENT)).exists()


def test_room_assets_is_one_query(chair_in_room, django_assert_num_queries):
    with django_assert_num_queries(1):
        items = list(assets.room_assets(chair_in_room.room))
        assert items[0].asset_type.replacement_cost == 120


@pytest.fixture
def demo_buildings():
    """The demo's buildings and rooms, without its residents (seed_assets needs only rooms)."""
    from apartments.demo import _seed_buildings

    campuses = {
        code: CampusFactory(code=code, name=f"{code}校区", name_en=code.title())
        for code in {b[0] for b in BUILDINGS}
    }
    _seed_buildings(campuses)
    return campuses


def test_seed_assets_is_idempotent_and_fast(demo_buildings):
    logged = []
    # When the demo's assets are seeded
    start = time.monotonic()
    seed_assets(logged.append)
    elapsed = time.monotonic() - start
    # Then every room has its standard set: per bed a bed frame, mattress, desk, chair and
    # wardrobe; per room an air conditioner, a lamp, a door lock and a window screen
    beds = sum(Room.objects.values_list("capacity", flat=True))
    rooms = Room.objects.count()
    assert Asset.objects.filter(asset_type__code="chair", room__isnull=False).count() == beds
    assert Asset.objects.filter(asset_type__code="air-conditioner").count() == rooms
    assert Asset.objects.filter(asset_type__code="lamp").count() == rooms
    # and a storeroom of spares per campus
    assert Storeroom.objects.count() == len(demo_buildings)
    assert Asset.objects.filter(storeroom__isnull=False, asset_type__code="chair").count() == 80
    assert AssetType.objects.get(code="wardrobe").name == "衣柜"
    assert elapsed < 20  # a few seconds on PostgreSQL; bounded generously for slow CI
    count = Asset.objects.count()

    # When it runs again, after a price was changed in the admin
    AssetType.objects.filter(code="chair").update(replacement_cost=150)
    seed_assets(logged.append)
    # Then nothing is duplicated and the price stands
    assert Asset.objects.count() == count
    assert AssetType.objects.get(code="chair").replacement_cost == 150
    assert "0 assets tagged" in logged[-1]
    print(*logged, sep="\n")  # the timings, with -s


@pytest.mark.usefixtures("sqlite_real_variable_limit")
def test_seed_assets_uses_a_fixed_number_of_queries(demo_buildings, django_assert_max_num_queries):
    # asset types (2 reads, 1 insert), rooms, campuses, storerooms (get_or_create: read,
    # savepoint, insert, release per campus), the tags there already, and the inserts in
    # batches of 2,000 (about 22,000 assets): never one per room
    with django_assert_max_num_queries(30):
        seed_assets(lambda line: None)
