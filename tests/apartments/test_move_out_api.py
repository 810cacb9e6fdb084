"""POST/GET /api/v1/move-out-requests/ (CONTRACT.md): a resident's own, staff their scope."""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from apartments.models import MoveOutRequest, Stay
from logistics.models import Role
from tests.apartments.move_in_data import building_with_beds, campuses, free_beds, stay
from tests.apartments.move_out_data import graduates_in, requests_for
from tests.factories import BuildingAssignmentFactory, ResidentFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_english():
    """Messages are asserted in English (Chinese is the default language)."""
    from django.utils import translation

    with translation.override("en"):
        yield


URL = "/api/v1/move-out-requests/"


@pytest.fixture
def world():
    songbei, _ = campuses()
    s1 = building_with_beds(songbei, "S01", rooms=1)
    s2 = building_with_beds(songbei, "S02", rooms=1)
    student = ResidentFactory(campus=songbei)
    stay(student, free_beds(s1)[0])
    other = ResidentFactory(campus=songbei)
    stay(other, free_beds(s2)[0])
    manager = user_with_role(Role.DORM_MANAGER)
    BuildingAssignmentFactory(user=manager, building=s1)
    return {"S01": s1, "student": student, "other": other, "manager": manager}


def api_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def in_days(n):
    return (timezone.localdate() + dt.timedelta(days=n)).isoformat()


def test_filing_answers_201_with_the_request(world):
    response = api_for(world["student"].user).post(
        URL, {"planned_date": in_days(5), "reason": "graduation"}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    request = MoveOutRequest.objects.get()
    assert body["id"] == request.pk
    assert body["planned_date"] == in_days(5)
    assert body["reason"] == "graduation"
    assert body["status"] == "requested"
    assert body["building"] == "S01"
    assert body["room"] == request.stay.bed.room.number
    assert body["bed"] == request.stay.bed.number
    assert "created_at" in body


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"planned_date": "2026-02-30", "reason": "graduation"}, "planned_date"),
        ({"planned_date": "tomorrow", "reason": "graduation"}, "planned_date"),
        ({"reason": "graduation"}, "planned_date"),
        ({"planned_date": "PAST", "reason": "graduation"}, "planned_date"),
        ({"planned_date": "FAR", "reason": "graduation"}, "planned_date"),
        ({"planned_date": "SOON", "reason": "holiday"}, "reason"),
        ({"planned_date": "SOON", "reason": "other", "note": "x" * 501}, "note"),
    ],
)
def test_bad_input_is_400_json(world, payload, field):
    dates = {"PAST": in_days(-1), "FAR": in_days(400), "SOON": in_days(3)}
    if payload.get("planned_date") in dates:
        payload = {**payload, "planned_date": dates[payload["planned_date"]]}
    response = api_for(world["student"].user).post(URL, payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert field in body["errors"] and body["detail"]
    assert not MoveOutRequest.objects.exists()


def test_a_second_open_request_is_409(world):
    api = api_for(world["student"].user)
    api.post(URL, {"planned_date": in_days(5), "reason": "graduation"}, format="json")
    again = api.post(URL, {"planned_date": in_days(6), "reason": "other"}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "already_open"
    assert again.json()["detail"]


def test_without_an_active_stay_it_is_409(world):
    Stay.objects.filter(resident=world["student"]).update(status=Stay.Status.RESERVED)
    response = api_for(world["student"].user).post(
        URL, {"planned_date": in_days(5), "reason": "graduation"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "no_active_stay"


def test_staff_cannot_file(world):
    response = api_for(world["manager"]).post(
        URL, {"planned_date": in_days(5), "reason": "graduation"}, format="json"
    )
    assert response.status_code == 403


def test_list_and_detail_show_only_the_callers_own(world):
    mine = api_for(world["student"].user)
    mine.post(URL, {"planned_date": in_days(5), "reason": "graduation"}, format="json")
    theirs = api_for(world["other"].user)
    theirs.post(URL, {"planned_date": in_days(5), "reason": "transfer"}, format="json")
    own, other = (
        MoveOutRequest.objects.get(resident=world["student"]),
        MoveOutRequest.objects.get(resident=world["other"]),
    )
    body = mine.get(URL).json()
    assert body["count"] == 1
    assert [r["id"] for r in body["results"]] == [own.pk]
    assert mine.get(f"{URL}{own.pk}/").status_code == 200
    hidden = mine.get(f"{URL}{other.pk}/")
    assert hidden.status_code == 404
    assert hidden.json() == mine.get(f"{URL}999999/").json()


def test_staff_see_the_requests_of_their_buildings(world):
    for resident in (world["student"], world["other"]):
        api_for(resident.user).post(
            URL, {"planned_date": in_days(5), "reason": "graduation"}, format="json"
        )
    body = api_for(world["manager"]).get(URL).json()
    assert [r["student_id"] for r in body["results"]] == [world["student"].student_id]
    other = MoveOutRequest.objects.get(resident=world["other"])
    assert api_for(world["manager"]).get(f"{URL}{other.pk}/").status_code == 404
    assert api_for(user_with_role(Role.ADMIN)).get(URL).json()["count"] == 2


def test_token_auth_and_anonymous(world, password):
    user = world["student"].user
    assert APIClient().get(URL).status_code in (401, 403)
    token = Token.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    created = client.post(URL, {"planned_date": in_days(2), "reason": "other"}, format="json")
    assert created.status_code == 201
    assert client.get(URL).json()["count"] == 1


def test_the_list_query_count_does_not_grow(world, django_assert_num_queries):
    graduates = graduates_in(world["S01"], 60, year=2026, prefix="A")
    requests_for(graduates, ["requested", "scheduled"])
    api = api_for(user_with_role(Role.ADMIN))
    # role grants, count, one page of requests with resident, stay, bed, room, building, campus
    with django_assert_num_queries(3):
        body = api.get(URL).json()
    assert body["count"] == 60
    assert len(body["results"]) == 50
