"""Room readiness at the desk: a room not ready (Room.ready, cleared by a readiness campaign) is
never proposed for a bed, by either path of the search (the compiled statement and the
queryset), also when a building's only free beds are in such rooms; a manager can still give
one of its beds by choosing it."""

import pytest

from apartments import services
from apartments.models import Gender, GenderPolicy, Room
from logistics.models import Role
from tests.factories import (
    BuildingFactory,
    CampusFactory,
    ResidentFactory,
    RoomFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def campus():
    return CampusFactory(code="songbei", name="松北", name_en="Songbei")


@pytest.fixture
def first(campus):
    """S01, the first building the search tries (its code comes first)."""
    return BuildingFactory(campus=campus, code="S01", gender_policy=GenderPolicy.MALE)


@pytest.fixture
def second(campus):
    return BuildingFactory(campus=campus, code="S02", gender_policy=GenderPolicy.MALE)


@pytest.fixture
def manager():
    return user_with_role(Role.ADMIN)


def room(building, number, *, ready=True):
    made = RoomFactory(building=building, number=number, capacity=2, gender=GenderPolicy.MALE)
    if not ready:
        services.rooms_set_ready(rooms=[made.pk], ready=False)
    return made


def proposed_room(resident, **kwargs):
    return services.checkin_create(actor=None, student_id=resident.student_id, **kwargs).bed.room


def test_rooms_set_ready_changes_only_the_rooms_whose_flag_differs(first):
    # Given two ready rooms
    a, b = room(first, "101"), room(first, "102")
    # When one is marked not ready, then both
    assert services.rooms_set_ready(rooms=[a.pk], ready=False) == 1
    assert services.rooms_set_ready(rooms=Room.objects.filter(building=first), ready=False) == 1
    # Then both are not ready, and marking them again changes nothing
    assert set(Room.objects.values_list("ready", flat=True)) == {False}
    assert services.rooms_set_ready(rooms=[a.pk, b.pk], ready=False) == 0


def test_the_desk_does_not_propose_a_room_that_is_not_ready(campus, first):
    # Given room 101 not ready and 102 ready in the first building
    room(first, "101", ready=False)
    ready = room(first, "102")
    # When two residents are checked in without a bed named (the compiled search)
    a = ResidentFactory(campus=campus, gender=Gender.MALE)
    b = ResidentFactory(campus=campus, gender=Gender.MALE)
    # Then both get beds of 102, which comes after 101 in the order of proposal
    assert proposed_room(a) == ready
    assert proposed_room(b) == ready


def test_the_preview_and_a_desk_of_one_building_skip_it_too(campus, first):
    room(first, "101", ready=False)
    ready = room(first, "102")
    resident = ResidentFactory(campus=campus, gender=Gender.MALE)
    # The preview (no locks: the queryset search)
    plan = services.checkin_preview(student_id=resident.student_id)
    assert plan.bed.room == ready
    # A building's desk
    assert proposed_room(resident, building=first) == ready


def test_a_building_whose_free_beds_are_all_not_ready_falls_back_to_the_next(campus, first, second):
    # Given the first building's only room is not ready: its tallies still count free beds,
    # so the tallies name it first
    room(first, "101", ready=False)
    elsewhere = room(second, "201")
    resident = ResidentFactory(campus=campus, gender=Gender.MALE)
    # When the portal proposes a bed (compiled search finds nothing; the usual search runs)
    # Then the bed is in the next building
    assert proposed_room(resident) == elsewhere


def test_no_ready_room_means_no_free_bed(campus, first):
    room(first, "101", ready=False)
    resident = ResidentFactory(campus=campus, gender=Gender.MALE)
    with pytest.raises(services.NoFreeBed):
        services.checkin_create(actor=None, student_id=resident.student_id)


def test_a_manager_can_still_choose_a_bed_in_a_room_not_ready(campus, first, manager):
    # Given a room not ready
    not_ready = room(first, "101", ready=False)
    bed = not_ready.beds.order_by("number").first()
    resident = ResidentFactory(campus=campus, gender=Gender.MALE)
    # When the manager checks the resident into one of its beds explicitly (the override)
    stay = services.checkin_create(actor=manager, student_id=resident.student_id, bed_id=bed.pk)
    # Then the resident has that bed
    assert stay.bed_id == bed.pk
    assert stay.status == stay.Status.ACTIVE


def test_the_desk_page_proposes_the_ready_room_and_confirms_a_chosen_bed(client, campus, first):
    from django.urls import reverse

    from apartments.models import BuildingAssignment, Stay

    # Given the first building's desk, its room 101 not ready and 102 ready
    not_ready = room(first, "101", ready=False)
    room(first, "102")
    manager = user_with_role(Role.DORM_MANAGER)
    BuildingAssignment.objects.create(building=first, user=manager, role=Role.DORM_MANAGER)
    client.force_login(manager)
    resident = ResidentFactory(campus=campus, gender=Gender.MALE)
    # When the desk looks the resident up, the bed proposed is in 102
    lookup = client.get(
        reverse("apartments:desk_lookup", args=[first.pk]), {"student_id": resident.student_id}
    )
    assert "S01-102" in lookup.content.decode()
    assert "S01-101" not in lookup.content.decode()
    # When the manager confirms a bed of 101 instead (the override: a bed named)
    bed = not_ready.beds.order_by("number").first()
    client.post(
        reverse("apartments:desk_checkin", args=[first.pk]),
        {"student_id": resident.student_id, "bed": bed.pk, "key_issued": "on"},
    )
    # Then the resident has that bed
    assert Stay.objects.get(resident=resident, status=Stay.Status.ACTIVE).bed_id == bed.pk


def test_the_api_checks_in_to_a_named_bed_of_a_room_not_ready(campus, first, manager):
    from rest_framework.test import APIClient

    not_ready = room(first, "101", ready=False)
    bed = not_ready.beds.order_by("number").first()
    resident = ResidentFactory(campus=campus, gender=Gender.MALE)
    api = APIClient()
    api.force_authenticate(manager)
    # Without a bed: no ready room, no free bed
    refused = api.post("/api/v1/check-ins/", {"student_id": resident.student_id}, format="json")
    assert refused.status_code == 409
    # With the bed named: checked in
    response = api.post(
        "/api/v1/check-ins/", {"student_id": resident.student_id, "bed": bed.pk}, format="json"
    )
    assert response.status_code == 201
    from apartments.models import Stay

    assert Stay.objects.get(resident=resident, status=Stay.Status.ACTIVE).bed_id == bed.pk
