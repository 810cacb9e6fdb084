"""The apartments API for managers: the move-in summary (CONTRACT.md) and scoped, paginated
lists of buildings, rooms, beds and residents; and a resident's own stay."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from apartments.models import Category, Stay
from logistics.models import Role
from tests.apartments.move_in_data import building_with_beds, campuses, free_beds, residents, stay
from tests.factories import BuildingAssignmentFactory, ResidentFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    songbei, jiangnan = campuses()
    s1 = building_with_beds(songbei, "S01", rooms=2)
    j1 = building_with_beds(jiangnan, "J01", rooms=2)
    beds = free_beds(s1)
    for person in residents(songbei, Category.UNDERGRADUATE, 3):
        stay(person, beds.pop(0))
    reserved = residents(songbei, Category.TOP_UP, 1)[0]
    stay(reserved, beds.pop(0), status=Stay.Status.RESERVED)
    residents(jiangnan, Category.STAFF, 2)
    manager = user_with_role(Role.DORM_MANAGER)
    BuildingAssignmentFactory(user=manager, building=s1)
    return {"songbei": songbei, "S01": s1, "J01": j1, "manager": manager, "reserved": reserved}


def client_for(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_summary_matches_the_contract(world):
    body = client_for(user_with_role(Role.ADMIN)).get("/api/v1/move-in/summary/").json()
    assert body == {
        "expected": 6,
        "checked_in": 3,
        "remaining": 3,
        "by_campus": {"songbei": 3, "jiangnan": 0},
        "by_category": {
            "undergraduate": 3,
            "top_up": 0,
            "postgraduate": 0,
            "doctoral": 0,
            "adult_education": 0,
            "staff": 0,
        },
        "by_campus_and_category": {
            "songbei": {
                "undergraduate": 3,
                "top_up": 0,
                "postgraduate": 0,
                "doctoral": 0,
                "adult_education": 0,
                "staff": 0,
            },
            "jiangnan": dict.fromkeys(
                ["undergraduate", "top_up", "postgraduate", "doctoral", "adult_education", "staff"],
                0,
            ),
        },
    }


def test_summary_campus_filter(world):
    api = client_for(user_with_role(Role.ADMIN))
    body = api.get("/api/v1/move-in/summary/?campus=jiangnan").json()
    assert (body["expected"], body["checked_in"], body["remaining"]) == (2, 0, 2)
    assert body["by_campus"] == {"jiangnan": 0}
    bad = api.get("/api/v1/move-in/summary/?campus=atlantis", HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 400
    assert bad.json()["detail"] == "campus: Unknown campus."


def test_summary_is_scoped_to_the_managers_buildings(world):
    body = client_for(world["manager"]).get("/api/v1/move-in/summary/").json()
    assert (body["expected"], body["checked_in"]) == (4, 3)  # S01's three and its reservation


def test_summary_is_for_staff_only(world):
    assert client_for(world["reserved"].user).get("/api/v1/move-in/summary/").status_code == 403
    assert APIClient().get("/api/v1/move-in/summary/").status_code == 401


def test_building_list_is_scoped_and_counted(world):
    body = client_for(world["manager"]).get("/api/v1/buildings/").json()
    assert body["count"] == 1
    assert body["results"][0] | {"id": None} == {
        "id": None,
        "campus": "songbei",
        "code": "S01",
        "name": world["S01"].name,
        "gender_policy": "X",
        "floors": 6,
        "rooms": 2,
        "beds": 8,
    }
    everything = client_for(user_with_role(Role.ADMIN)).get("/api/v1/buildings/?campus=jiangnan")
    assert [b["code"] for b in everything.json()["results"]] == ["J01"]


def test_room_and_bed_lists(world):
    api = client_for(world["manager"])
    rooms = api.get(f"/api/v1/rooms/?building={world['S01'].pk}").json()["results"]
    assert [(r["number"], r["beds"], r["occupied"]) for r in rooms] == [
        ("101", 4, 4),
        ("102", 4, 0),
    ]
    assert api.get(f"/api/v1/rooms/?building={world['J01'].pk}").json()["count"] == 0

    beds = api.get("/api/v1/beds/").json()
    assert beds["count"] == 8
    statuses = [b["status"] for b in beds["results"]]
    assert statuses.count("active") == 3 and statuses.count("reserved") == 1
    free = api.get("/api/v1/beds/?free=true").json()
    assert free["count"] == 4
    assert {b["status"] for b in free["results"]} == {"free"}


def test_resident_list_shows_each_residents_current_stay(world):
    api = client_for(world["manager"])
    body = api.get("/api/v1/residents/").json()
    assert body["count"] == 4
    stays = {r["student_id"]: r["stay"] for r in body["results"]}
    assert stays[world["reserved"].student_id]["status"] == "reserved"
    assert stays[world["reserved"].student_id]["building"] == "S01"
    not_in = api.get("/api/v1/residents/?checked_in=false").json()
    assert [r["student_id"] for r in not_in["results"]] == [world["reserved"].student_id]
    assert api.get("/api/v1/residents/?category=wizard").status_code == 400


@pytest.mark.parametrize("extra", [0, 40])
@pytest.mark.parametrize(
    ("url", "queries"),
    [
        # count, page (buildings with their counts in subqueries)
        ("/api/v1/buildings/", 2),
        # count, page
        ("/api/v1/rooms/", 2),
        ("/api/v1/beds/", 2),
        # count, page, current stays of the page
        ("/api/v1/residents/", 3),
        # campuses, residents by campus × category
        ("/api/v1/move-in/summary/", 2),
    ],
)
def test_list_query_counts_do_not_grow(world, extra, url, queries, django_assert_num_queries):
    building = building_with_beds(world["songbei"], "S09", rooms=extra // 4 or 1)
    beds = free_beds(building)
    for person in residents(world["songbei"], n=extra):
        stay(person, beds.pop(0))
    token = Token.objects.create(user=user_with_role(Role.ADMIN))
    api = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")
    # + 1: the token with its user and their role grants
    with django_assert_num_queries(queries + 1):
        response = api.get(url)
    assert response.status_code == 200


def test_a_resident_sees_their_own_stay_only(world):
    mine = client_for(world["reserved"].user).get("/api/v1/my-stay/").json()
    assert (mine["status"], mine["building"], mine["campus"]) == ("reserved", "S01", "songbei")
    nobody = ResidentFactory(campus=world["songbei"])
    missing = client_for(nobody.user).get("/api/v1/my-stay/")
    assert missing.status_code == 404
    # Staff have no stay of their own to see.
    assert client_for(world["manager"]).get("/api/v1/my-stay/").status_code == 403
    # And a student cannot list other residents.
    assert client_for(nobody.user).get("/api/v1/residents/").status_code == 403
