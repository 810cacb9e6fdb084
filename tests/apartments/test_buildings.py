"""Buildings pages: a dorm manager sees only their buildings; others' answer 404."""

import pytest
from django.urls import reverse

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


@pytest.fixture
def campuses():
    return CampusFactory(code="songbei"), CampusFactory(code="jiangnan")


@pytest.fixture
def buildings(campuses):
    songbei, jiangnan = campuses
    s1 = BuildingFactory(campus=songbei, code="S01")
    s2 = BuildingFactory(campus=songbei, code="S02")
    j1 = BuildingFactory(campus=jiangnan, code="J01")
    RoomFactory(building=s1, number="101", capacity=4)
    RoomFactory(building=s1, number="102", capacity=2)
    return s1, s2, j1


def _codes(client):
    response = client.get(reverse("apartments:building_list"))
    assert response.status_code == 200
    return [b.code for b in response.context["buildings"]]


def test_dorm_manager_sees_only_assigned_buildings(client, buildings):
    s1, s2, _j1 = buildings
    manager = user_with_role(Role.DORM_MANAGER)
    BuildingAssignmentFactory(user=manager, building=s1)
    client.force_login(manager)

    assert _codes(client) == ["S01"]
    assert client.get(reverse("apartments:building_detail", args=[s1.pk])).status_code == 200
    # Not theirs: as if it did not exist.
    assert client.get(reverse("apartments:building_detail", args=[s2.pk])).status_code == 404
    assert client.get(reverse("apartments:building_detail", args=[99999])).status_code == 404


def test_assignment_without_the_role_grants_nothing(client, buildings):
    s1, _, _ = buildings
    user = user_with_role(Role.TECHNICIAN)
    BuildingAssignmentFactory(user=user, building=s1)
    client.force_login(user)
    assert client.get(reverse("apartments:building_list")).status_code == 404


def test_students_and_anonymous_visitors_are_kept_out(client, buildings):
    s1, _, _ = buildings
    url = reverse("apartments:building_detail", args=[s1.pk])
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(user_with_role(Role.STUDENT))
    assert client.get(url).status_code == 404


def test_apartment_head_sees_their_campus_and_dining_head_nothing(client, buildings, campuses):
    songbei, _ = campuses
    apartments = DepartmentFactory(code="apartments", areas=["apartments"])
    dining = DepartmentFactory(code="dining", areas=["dining"])

    client.force_login(user_with_role(Role.DEPARTMENT_HEAD, campus=songbei, department=apartments))
    assert _codes(client) == ["S01", "S02"]

    client.force_login(user_with_role(Role.DEPARTMENT_HEAD, department=dining))
    assert _codes(client) == []


def test_auditor_and_admin_see_every_building(client, buildings):
    client.force_login(user_with_role(Role.AUDITOR))
    assert sorted(_codes(client)) == ["J01", "S01", "S02"]
    client.force_login(user_with_role(Role.ADMIN))
    assert sorted(_codes(client)) == ["J01", "S01", "S02"]


def test_building_list_counts_rooms_and_beds(client, buildings):
    client.force_login(user_with_role(Role.ADMIN))
    response = client.get(reverse("apartments:building_list"))
    counts = {b.code: (b.room_count, b.bed_count) for b in response.context["buildings"]}
    assert counts == {"S01": (2, 6), "S02": (0, 0), "J01": (0, 0)}


def test_empty_state_for_a_manager_without_buildings(client):
    client.force_login(user_with_role(Role.DORM_MANAGER))
    response = client.get(reverse("apartments:building_list"), HTTP_ACCEPT_LANGUAGE="en")
    assert "No building is assigned to you yet" in response.content.decode()


@pytest.mark.parametrize("extra_buildings", [0, 30])
def test_building_list_query_count_does_not_grow(
    client, campuses, extra_buildings, django_assert_num_queries
):
    manager = user_with_role(Role.DORM_MANAGER)
    for i in range(1 + extra_buildings):
        building = BuildingFactory(campus=campuses[0], code=f"X{i:02d}")
        RoomFactory(building=building)
        BuildingAssignmentFactory(user=manager, building=building)
    client.force_login(manager)
    # A first visit puts the bell's unread count into the cache.
    client.get(reverse("apartments:building_list"))
    # session, user with role grants, then the buildings with their campus and room and bed
    # counts in one query.
    with django_assert_num_queries(3):
        client.get(reverse("apartments:building_list"))


@pytest.mark.parametrize("rooms", [1, 40])
def test_building_detail_query_count_does_not_grow(
    client, campuses, rooms, django_assert_num_queries
):
    building = BuildingFactory(campus=campuses[0])
    for i in range(rooms):
        RoomFactory(building=building, number=f"{i + 100}")
    client.force_login(user_with_role(Role.ADMIN))
    # A first visit puts the bell's unread count into the cache.
    client.get(reverse("apartments:building_detail", args=[building.pk]))
    # session, user with role grants, the building, its rooms with bed counts, its shift
    # hand-over waiting for acknowledgement, whether the user works its desk
    with django_assert_num_queries(6):
        client.get(reverse("apartments:building_detail", args=[building.pk]))
