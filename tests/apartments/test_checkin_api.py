"""POST /api/v1/check-ins/ exactly as CONTRACT.md describes it."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from apartments.models import Category, Gender, Stay
from logistics.models import Role
from tests.factories import (
    PASSWORD,
    BuildingAssignmentFactory,
    BuildingFactory,
    CampusFactory,
    ResidentFactory,
    RoomFactory,
    UserFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/check-ins/"


@pytest.fixture
def campus():
    return CampusFactory(code="songbei", name="松北", name_en="Songbei")


@pytest.fixture
def building(campus):
    return BuildingFactory(campus=campus, code="S01", name="松北1号公寓", name_en="Songbei 1")


@pytest.fixture
def beds(building):
    return list(RoomFactory(building=building, number="101", capacity=4).beds.order_by("number"))


@pytest.fixture
def api(manager):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(manager)
    return client


def reserve(resident, bed) -> Stay:
    return Stay.objects.create(
        resident=resident, bed=bed, status=Stay.Status.RESERVED, reserved_at=timezone.now()
    )


def test_201_with_resident_campus_building_room_bed_and_time(api, campus, beds):
    resident = ResidentFactory(
        campus=campus, name="王伟", gender=Gender.MALE, category=Category.UNDERGRADUATE
    )
    reserve(resident, beds[1])

    response = api.post(URL, {"student_id": resident.student_id}, format="json")

    assert response.status_code == 201
    body = response.json()
    stay = Stay.objects.get(resident=resident)
    assert body["id"] == stay.pk
    assert body["student_id"] == resident.student_id
    assert body["name"] == "王伟"
    assert body["resident"] == {
        "student_id": resident.student_id,
        "name": "王伟",
        "gender": "M",
        "category": "undergraduate",
        "college": resident.college,
    }
    assert body["campus"] == {"id": campus.pk, "code": "songbei", "name": "Songbei"}
    assert body["building"]["code"] == "S01"
    assert body["room"] == {"id": beds[1].room_id, "number": "101", "floor": 1}
    assert body["bed"] == {"id": beds[1].pk, "number": 2, "label": "S01-101-2"}
    assert body["status"] == "active"
    assert body["checked_in_at"].startswith(str(timezone.localdate().year))
    assert (body["key_issued"], body["kit_issued"]) == (True, True)


def test_a_given_bed_and_the_flags(api, campus, beds):
    resident = ResidentFactory(campus=campus)
    response = api.post(
        URL,
        {"student_id": resident.student_id, "bed": beds[3].pk, "kit_issued": False},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["bed"]["id"] == beds[3].pk
    assert response.json()["kit_issued"] is False


def test_without_a_reservation_a_free_bed_that_fits(api, campus, beds):
    reserve(ResidentFactory(campus=campus), beds[0])
    resident = ResidentFactory(campus=campus)
    response = api.post(URL, {"student_id": resident.student_id, "bed": None}, format="json")
    assert response.status_code == 201
    assert response.json()["bed"]["label"] == "S01-101-2"


def test_404_for_an_unknown_student_id(api, beds):
    response = api.post(URL, {"student_id": "0000000000"}, format="json")
    assert response.status_code == 404
    assert response.json() == {
        "detail": "No resident has the student id 0000000000.",
        "code": "resident_not_found",
    }


def test_409_when_already_checked_in(api, campus, beds):
    resident = ResidentFactory(campus=campus)
    assert api.post(URL, {"student_id": resident.student_id}, format="json").status_code == 201

    response = api.post(URL, {"student_id": resident.student_id}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "already_checked_in"
    assert "already checked in: bed S01-101-1" in response.json()["detail"]


def test_409_when_the_bed_is_taken(api, campus, beds):
    reserve(ResidentFactory(campus=campus), beds[0])
    resident = ResidentFactory(campus=campus)

    response = api.post(URL, {"student_id": resident.student_id, "bed": beds[0].pk}, format="json")

    assert response.status_code == 409
    assert response.json() == {
        "detail": "Bed S01-101-1 is already taken by another resident.",
        "code": "bed_taken",
    }
    assert not Stay.objects.filter(resident=resident).exists()


def test_409_when_no_free_bed_fits(api, campus, beds):
    for bed in beds:
        reserve(ResidentFactory(campus=campus), bed)
    resident = ResidentFactory(campus=campus)
    response = api.post(URL, {"student_id": resident.student_id}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "no_free_bed"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "student_id"),
        ({"student_id": ""}, "student_id"),
        ({"student_id": "   "}, "student_id"),
        ({"student_id": "1" * 31}, "student_id"),
        ({"student_id": "2025000001", "bed": "abc"}, "bed"),
        ({"student_id": "2025000001", "bed": 1.5}, "bed"),
        ({"student_id": "2025000001", "bed": True}, "bed"),
        ({"student_id": "2025000001", "bed": 0}, "bed"),
        ({"student_id": "2025000001", "bed": [1]}, "bed"),
    ],
)
def test_400_for_malformed_input(api, payload, field):
    response = api.post(URL, payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert field in body["errors"]
    assert body["detail"].startswith(field)
    assert not Stay.objects.exists()


def test_400_for_a_body_that_is_not_json(api):
    response = api.post(URL, "{student_id", content_type="application/json")
    assert response.status_code == 400
    assert "detail" in response.json()


def test_who_may_check_in(campus, building, beds):
    resident = ResidentFactory(campus=campus)
    payload = {"student_id": resident.student_id}

    assert APIClient().post(URL, payload, format="json").status_code == 401
    for role in (Role.STUDENT, Role.AUDITOR, Role.TECHNICIAN):
        client = APIClient()
        client.force_authenticate(user_with_role(role))
        assert client.post(URL, payload, format="json").status_code == 403

    # A manager without this building: nothing of theirs fits, and its beds are not found
    outsider = user_with_role(Role.DORM_MANAGER)
    BuildingAssignmentFactory(user=outsider, building=BuildingFactory(campus=campus))
    client = APIClient()
    client.force_authenticate(outsider)
    response = client.post(URL, {**payload, "bed": beds[0].pk}, format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "bed_not_found"
    assert client.post(URL, payload, format="json").status_code == 409
    assert not Stay.objects.exists()

    # An administrator may check in anywhere
    client = APIClient()
    client.force_authenticate(user_with_role(Role.ADMIN))
    assert client.post(URL, {**payload, "bed": beds[0].pk}, format="json").status_code == 201


def test_a_bed_that_does_not_exist_is_404_like_one_out_of_scope(api, campus, beds):
    resident = ResidentFactory(campus=campus)
    response = api.post(URL, {"student_id": resident.student_id, "bed": 999999}, format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "bed_not_found"


def test_a_reservation_in_a_building_the_caller_does_not_run_is_409_naming_it(api, campus, beds):
    other = BuildingFactory(campus=campus, code="S09", name_en="Songbei 9")
    resident = ResidentFactory(campus=campus)
    reserve(resident, RoomFactory(building=other).beds.first())
    response = api.post(URL, {"student_id": resident.student_id}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "wrong_building"
    assert "S09" in response.json()["detail"]


def test_token_auth_works(campus, building, beds):
    user = UserFactory(username="desk-phone")
    from logistics.models import RoleGrant

    RoleGrant.objects.create(user=user, role=Role.SHIFT_LEAD)
    BuildingAssignmentFactory(user=user, building=building, role=Role.SHIFT_LEAD)
    token = (
        APIClient()
        .post("/api/v1/auth/token/", {"username": "desk-phone", "password": PASSWORD})
        .json()["token"]
    )
    resident = ResidentFactory(campus=campus)

    client = APIClient(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.post(URL, {"student_id": resident.student_id}, format="json")

    assert response.status_code == 201
    assert Stay.objects.get(resident=resident).checked_in_by == user


def test_session_auth_needs_csrf(campus, manager, beds):
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(manager)
    resident = ResidentFactory(campus=campus)
    response = browser.post(URL, {"student_id": resident.student_id}, format="json")
    assert response.status_code == 403
    assert not Stay.objects.exists()


def test_chinese_messages_follow_the_caller(campus, manager, beds):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_authenticate(manager)
    response = client.post(URL, {"student_id": "0000000000"}, format="json")
    assert response.status_code == 404
    assert "0000000000" in response.json()["detail"]


@pytest.mark.parametrize("size", [10, 200])
@pytest.mark.parametrize("room_gender", ["M", "X"])
def test_query_count(api, campus, building, size, room_gender, django_assert_num_queries):
    for i in range(size // 4):
        RoomFactory(building=building, floor=2, number=f"2{i:02d}", capacity=4, gender=room_gender)
    residents = [ResidentFactory(campus=campus) for _ in range(size)]
    ContentType.objects.get_for_model(Stay)
    # the attempt's savepoint (BEGIN outside a test's transaction); resident, current stay
    # (both locked); the first free bed that fits (locked) in the first building whose
    # tallies count a free bed (found inside the bed search), and on PostgreSQL that bed
    # checked again for a stay committed meanwhile (locks.bed_lock_first_free); insert the
    # stay, mark the kit; open the condition report (insert-or-nothing); tell the resident it
    # is due, in one insert with the audit record on PostgreSQL (their account came with the
    # lock); release (COMMIT). The user and their grants come with the session: no query here.
    recheck = 1 if connection.features.has_select_for_update_skip_locked else 0
    # A building with mixed rooms is searched in two more steps (its bed search needs the
    # mixed rooms' condition): the buildings with a free bed, then the bed in the first; on
    # PostgreSQL after the compiled search (locks.first_free_bed_lock) found it has some.
    mixed = 2 + recheck if room_gender == "X" else 0
    together = 0 if connection.vendor == "postgresql" else 1  # logistics.db.insert_together
    with django_assert_num_queries(10 + together + recheck + mixed):
        response = api.post(URL, {"student_id": residents[0].student_id}, format="json")
    assert response.status_code == 201


def test_the_schema_documents_the_endpoint(admin_client):
    response = admin_client.get("/api/schema/", HTTP_ACCEPT="application/json")
    operation = response.json()["paths"]["/api/v1/check-ins/"]["post"]
    assert set(operation["responses"]) >= {"201", "400", "404", "409"}
