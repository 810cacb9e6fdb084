"""Safety rounds and hazards, the API (the mobile app): tonight's round with its rooms,
recording a room (JSON or multipart with a photo), the hazards and their steps; scoped like
the pages (404 for what is not the caller's), bad input 400, wrong state 409."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from apartments.models import Hazard, RoundRoom
from tests.apartments.rounds_data import (
    add_occupied_rooms,
    hazard_in,
    photo_upload,
    plan_today,
    round_room,
    rounds_world,
    today,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return rounds_world()


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def record_url(target):
    return f"/api/v1/safety-rounds/{target.round_id}/rooms/{target.room_id}/"


def test_the_shift_lead_reads_tonights_round_with_its_rooms(world):
    plan_today()
    response = api(world["shift_lead"]).get(
        "/api/v1/safety-rounds/",
        {"date": today().isoformat(), "building": world["S01"].pk, "kind": "night"},
    )
    assert response.status_code == 200
    (found,) = response.json()["results"]
    assert found["building_code"] == "S01" and found["kind"] == "night"
    assert [r["number"] for r in found["rooms"]] == ["101"]
    assert found["rooms"][0]["state"] == "pending"


def test_the_round_list_is_scoped_and_its_queries_do_not_grow(world):
    add_occupied_rooms(world["S01"], 14)
    plan_today()
    assert api(world["other_manager"]).get("/api/v1/safety-rounds/").json()["results"] == [
        r
        for r in api(world["other_manager"]).get("/api/v1/safety-rounds/").json()["results"]
        if r["building_code"] == "S02"
    ]
    assert api(world["student_user"]).get("/api/v1/safety-rounds/").json()["results"] == []
    with CaptureQueriesContext(connection) as queries:
        api(world["shift_lead"]).get("/api/v1/safety-rounds/")
    few = len(queries)
    add_occupied_rooms(world["S02"], 14, start=301)
    with CaptureQueriesContext(connection) as queries:
        api(world["admin"]).get("/api/v1/safety-rounds/")
    assert len(queries) <= few + 1  # the admin's role check


def test_recording_a_kettle_with_a_photo_then_a_second_tap_is_409(world):
    plan_today()
    target = round_room(world["S01"], world["room"])
    body = {"state": "findings", "kind": "banned_appliance", "appliance": "kettle", "note": "桌上"}

    first = api(world["shift_lead"]).post(
        record_url(target), {**body, "photo": photo_upload()}, format="multipart"
    )
    second = api(world["shift_lead"]).post(record_url(target), body, format="json")

    assert first.status_code == 200, first.content
    assert first.json()["state"] == "findings" and first.json()["hazard"]
    assert second.status_code == 409 and second.json()["code"] == "wrong_state"
    hazard = Hazard.objects.get()
    assert hazard.photo_id is not None


def test_recording_a_room_in_order(world):
    plan_today()
    target = round_room(world["S01"], world["room"])
    response = api(world["manager"]).post(
        record_url(target), {"state": "ok", "residents_present": 1}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["state"] == "ok" and response.json()["hazard"] is None
    assert RoundRoom.objects.get(pk=target.pk).residents_present == 1


@pytest.mark.parametrize(
    "body, field",
    [
        ({"state": "findings"}, "kind"),
        ({"state": "findings", "kind": "banned_appliance"}, "appliance"),
        ({"state": "maybe"}, "state"),
        ({"state": "ok", "residents_present": -1}, "residents_present"),
        ({"state": "ok", "residents_present": "2"}, "residents_present"),
        ({"state": "findings", "kind": "fire"}, "kind"),
        ({"state": "findings", "kind": "smoking", "note": 5}, "note"),
    ],
)
def test_bad_input_is_400_naming_the_field(world, body, field):
    plan_today()
    target = round_room(world["S01"], world["room"])
    response = api(world["shift_lead"]).post(record_url(target), body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert RoundRoom.objects.get(pk=target.pk).state == "pending"


def test_a_bad_photo_is_400(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    plan_today()
    target = round_room(world["S01"], world["room"])
    response = api(world["shift_lead"]).post(
        record_url(target),
        {
            "state": "findings",
            "kind": "smoking",
            "photo": SimpleUploadedFile("x.jpg", b"nope", content_type="image/jpeg"),
        },
        format="multipart",
    )
    assert response.status_code == 400
    assert "photo" in response.json()["errors"]


@pytest.mark.parametrize("who", ["other_manager", "other_lead", "student_user", "head", "auditor"])
def test_recording_another_buildings_room_is_404(world, who):
    plan_today()
    target = round_room(world["S01"], world["room"])
    response = api(world[who]).post(record_url(target), {"state": "ok"}, format="json")
    assert response.status_code == 404


def test_a_room_not_on_the_round_is_404(world):
    plan_today()
    target = round_room(world["S01"], world["room"])
    other_room = world["S02"].rooms.get()
    response = api(world["shift_lead"]).post(
        f"/api/v1/safety-rounds/{target.round_id}/rooms/{other_room.pk}/",
        {"state": "ok"},
        format="json",
    )
    assert response.status_code == 404


def test_hazards_are_scoped_to_the_building_and_the_residents_room(world):
    hazard = hazard_in(world)
    ids = {
        who: [h["id"] for h in api(world[who]).get("/api/v1/hazards/").json()["results"]]
        for who in (
            "manager",
            "shift_lead",
            "head",
            "student_user",
            "other_manager",
            "other_student_user",
        )
    }
    assert ids["manager"] == ids["shift_lead"] == ids["head"] == ids["student_user"] == [hazard.pk]
    assert ids["other_manager"] == ids["other_student_user"] == []
    overdue = api(world["manager"]).get("/api/v1/hazards/", {"overdue": "true"}).json()
    assert overdue["results"] == []
    assert api(world["manager"]).get("/api/v1/hazards/", {"state": "nope"}).status_code == 400


def test_rectify_verify_reopen_through_the_api(world):
    hazard = hazard_in(world)
    url = f"/api/v1/hazards/{hazard.pk}/"
    assert api(world["student_user"]).post(url + "rectify/", {}, format="json").status_code == 400
    assert (
        api(world["other_student_user"])
        .post(url + "rectify/", {"note": "x"}, format="json")
        .status_code
        == 404
    )
    rectified = api(world["student_user"]).post(
        url + "rectify/", {"note": "已带回家"}, format="json"
    )
    assert rectified.status_code == 200 and rectified.json()["state"] == "rectified"
    assert api(world["student_user"]).post(url + "verify/", {}, format="json").status_code == 404
    reopened = api(world["manager"]).post(url + "reopen/", {"note": "还在"}, format="json")
    assert reopened.json()["state"] == "reopened"
    assert api(world["manager"]).post(url + "verify/", {}, format="json").status_code == 409
    api(world["student_user"]).post(url + "rectify/", {"note": "这次真的"}, format="json")
    verified = api(world["manager"]).post(url + "verify/", {"note": "ok"}, format="json")
    assert verified.status_code == 200 and verified.json()["state"] == "verified"
    assert (
        api(world["manager"]).post("/api/v1/hazards/999999/verify/", {}, format="json").status_code
        == 404
    )
