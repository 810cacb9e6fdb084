"""Planned work in the API: a service worker's rooms and their checklist, a fault reported from
a room, a technician's jobs for today (preventive ones among them); 404 for what the caller does
not work; query counts pinned for both lists."""

from datetime import date, timedelta

import pytest
from django.utils import timezone, translation
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from apartments.models import Room
from maintenance import campaigns, preventive, services
from maintenance.models import RoomTask, Ticket
from tests import factories as f

pytestmark = pytest.mark.django_db

ROOM_TASKS = "/api/v1/room-tasks/"
JOBS_TODAY = "/api/v1/jobs/today/"


@pytest.fixture(autouse=True)
def _in_english():
    with translation.override("en"):
        yield


def phone(user) -> APIClient:
    token, _ = Token.objects.get_or_create(user=user)
    return APIClient(HTTP_AUTHORIZATION=f"Token {token.key}", HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def campaign(dispatcher, campus, s01, rooms):
    return campaigns.campaign_start(
        actor=dispatcher,
        campus=campus,
        name="Summer",
        buildings=[s01],
        checklist=["Fittings", "Cleaned"],
        move_in_date=date(2026, 9, 1),
    )


def test_the_worker_lists_their_rooms_and_records_one(campaign, worker):
    client = phone(worker)
    listed = client.get(ROOM_TASKS).json()
    assert [r["room_number"] for r in listed["results"]] == ["111", "112", "113"]
    first = listed["results"][0]
    assert first["checklist"] == [
        {"index": 0, "text": "Fittings", "done": False},
        {"index": 1, "text": "Cleaned", "done": False},
    ]
    response = client.post(
        f"{ROOM_TASKS}{first['id']}/checklist/", {"done_items": [0, 1]}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["state"] == "ready"
    assert Room.objects.get(number="111").ready
    # Done rooms leave the list unless asked for
    assert len(client.get(ROOM_TASKS).json()["results"]) == 2
    assert len(client.get(ROOM_TASKS, {"state": "all"}).json()["results"]) == 3


def test_a_bad_index_is_400_and_changes_nothing(campaign, worker):
    task = RoomTask.objects.get(campaign=campaign, room__number="111")
    response = phone(worker).post(
        f"{ROOM_TASKS}{task.pk}/checklist/", {"done_items": [5]}, format="json"
    )
    assert response.status_code == 400
    assert "done_items" in response.json()["errors"]
    task.refresh_from_db()
    assert task.status == RoomTask.Status.NOT_STARTED


def test_a_fault_from_the_phone_becomes_a_campaign_ticket(campaign, worker):
    task = RoomTask.objects.get(campaign=campaign, room__number="112")
    response = phone(worker).post(
        f"{ROOM_TASKS}{task.pk}/faults/",
        {"category": "electrical", "description": "Broken lamp"},
        format="json",
    )
    assert response.status_code == 201
    ticket = Ticket.objects.get(pk=response.json()["id"])
    assert ticket.campaign == campaign
    state = phone(worker).get(f"{ROOM_TASKS}{task.pk}/").json()["state"]
    assert state == "blocked"


def test_a_room_the_caller_does_not_work_is_404(campaign, other_dispatcher, student):
    task = RoomTask.objects.get(campaign=campaign, room__number="111")
    for user in (other_dispatcher, student):
        client = phone(user)
        assert client.get(f"{ROOM_TASKS}{task.pk}/").status_code == 404
        response = client.post(f"{ROOM_TASKS}{task.pk}/checklist/", {"done_items": [0]})
        assert response.status_code == 404
        assert client.get(ROOM_TASKS).json()["results"] == []


def test_a_technicians_jobs_for_today(dispatcher, campus, room, plumber, student):
    # A preventive job due today, assigned to the plumber; a reactive job due in a week; a job
    # of another technician
    s = preventive.schedule_create(
        actor=dispatcher,
        campus=campus,
        name="Heater",
        tasks="Descale",
        unit="weeks",
        every=1,
        next_due=timezone.localdate() - timedelta(days=3),
        room=room,
    )
    preventive.generate([s.pk], for_date=timezone.localdate())
    planned = Ticket.objects.get(schedule=s)
    services.ticket_assign(actor=dispatcher, ticket=planned, technician=plumber)
    later = f.ticket(
        room=room,
        reporter=student,
        technician=plumber,
        status="assigned",
        respond_by=timezone.now() + timedelta(days=7),
        complete_by=timezone.now() + timedelta(days=8),
    )
    other = f.technician(campus, username="other")
    f.ticket(room=room, reporter=student, technician=other, status="assigned")
    ids = [t["id"] for t in phone(plumber).get(JOBS_TODAY).json()["results"]]
    assert ids == [planned.pk]
    assert later.pk not in ids


@pytest.mark.parametrize("n", [2, 8])
def test_the_room_list_query_count_does_not_grow(
    campaign, worker, s01, n, django_assert_num_queries
):
    for i in range(n):
        room = f.RoomFactory(building=s01, number=f"6{i:02d}", capacity=1)
        RoomTask.objects.create(campaign=campaign, room=room, building=s01)
    client = phone(worker)
    client.get(ROOM_TASKS)
    # the token with its user and grants, the count, the page (tasks with campaign, room,
    # building and state in one query)
    with django_assert_num_queries(3):
        response = client.get(ROOM_TASKS)
    assert response.json()["count"] == 3 + n


@pytest.mark.parametrize("n", [1, 5])
def test_the_jobs_today_query_count_does_not_grow(
    room, student, plumber, n, django_assert_num_queries
):
    for _ in range(n):
        f.ticket(room=room, reporter=student, technician=plumber, status="assigned")
    client = phone(plumber)
    client.get(JOBS_TODAY)
    # the token with its user and grants, the count, the page, its photos, its timelines
    with django_assert_num_queries(JOBS_QUERIES):
        response = client.get(JOBS_TODAY)
    assert response.json()["count"] == n


JOBS_QUERIES = 5
