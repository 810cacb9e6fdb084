"""The campaign pages: a manager starts a campaign, a service worker works a room on a phone
(checklist, a fault reported), the board and its drill-down, Excel; who may see what (404);
query counts pinned for the board, the building's room list and the room's page."""

from datetime import date

import pytest
from django.urls import reverse

from apartments.models import Room
from maintenance import campaigns
from maintenance.models import Campaign, RoomTask, Ticket
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(dispatcher, campus, s01, rooms):
    return campaigns.campaign_start(
        actor=dispatcher,
        campus=campus,
        name="2026 summer",
        buildings=[s01],
        checklist=["Fittings", "Cleaned"],
        move_in_date=date(2026, 9, 1),
    )


def task_of(campaign, number):
    return RoomTask.objects.get(campaign=campaign, room__number=number)


def test_a_manager_starts_a_campaign_from_the_form(client, dispatcher, s01, s02, rooms, campus):
    client.force_login(dispatcher)
    page = client.get(reverse("maintenance:campaign_new"))
    assert page.status_code == 200
    assert "Fittings checked and repaired" in page.content.decode()
    response = client.post(
        reverse("maintenance:campaign_new"),
        {
            "campus": campus.pk,
            "name": "Summer",
            "buildings": [s01.pk],
            "checklist": "Fittings\nCleaned\n\nBedding",
            "move_in_date": "2026-09-01",
        },
    )
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("maintenance:campaign", args=[campaign.pk])
    assert campaign.checklist == ["Fittings", "Cleaned", "Bedding"]
    assert not Room.objects.get(number="111").ready


def test_a_bad_form_keeps_what_was_typed_and_starts_nothing(client, dispatcher, s01, campus):
    client.force_login(dispatcher)
    response = client.post(
        reverse("maintenance:campaign_new"),
        {"campus": campus.pk, "name": "Summer", "checklist": "", "move_in_date": "2026-09-01"},
    )
    assert response.status_code == 200
    assert 'value="Summer"' in response.content.decode()
    assert not Campaign.objects.exists()


def test_those_who_may_not_start_one_get_404(client, worker, student):
    for user in (worker, student):
        client.force_login(user)
        assert client.get(reverse("maintenance:campaign_new")).status_code == 404


def test_the_worker_ticks_a_room_done_on_the_phone(client, campaign, worker):
    task = task_of(campaign, "111")
    client.force_login(worker)
    page = client.get(reverse("maintenance:room_task", args=[task.pk]))
    assert page.status_code == 200
    response = client.post(
        reverse("maintenance:room_task", args=[task.pk]), {"item": ["0", "1"], "note": "ok"}
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == RoomTask.Status.DONE
    assert Room.objects.get(pk=task.room_id).ready


def test_a_fault_reported_from_the_room_becomes_a_ticket_of_the_campaign(client, campaign, worker):
    task = task_of(campaign, "112")
    client.force_login(worker)
    response = client.post(
        reverse("maintenance:room_fault", args=[task.pk]),
        {"category": f.category("electrical").pk, "description": "Broken lamp"},
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get(campaign=campaign)
    assert ticket.room_id == task.room_id and ticket.description == "Broken lamp"
    # The drill-down shows the room blocked by it
    page = client.get(
        reverse("maintenance:campaign_building", args=[campaign.pk, task.building_id]),
        {"state": "blocked"},
    )
    html = page.content.decode()
    assert 'data-testid="room-112" data-state="blocked"' in html
    assert f'data-testid="blocking-{ticket.pk}"' in html
    assert 'data-testid="room-111"' not in html


def test_a_fault_without_a_description_is_refused_and_files_nothing(client, campaign, worker):
    task = task_of(campaign, "112")
    client.force_login(worker)
    response = client.post(
        reverse("maintenance:room_fault", args=[task.pk]),
        {"category": f.category("electrical").pk, "description": ""},
    )
    assert response.status_code == 400
    assert not Ticket.objects.exists()


def test_a_room_of_another_building_is_404_for_the_worker(
    client, campaign, worker, campus, s02, dispatcher
):
    other = campaigns.campaign_start(
        actor=dispatcher,
        campus=campus,
        name="S02",
        buildings=[s02],
        checklist=["x"],
        move_in_date=date(2026, 9, 1),
    )
    client.force_login(worker)
    task = task_of(other, "211")
    assert client.get(reverse("maintenance:room_task", args=[task.pk])).status_code == 404
    assert (
        client.post(reverse("maintenance:room_task", args=[task.pk]), {"item": "0"}).status_code
        == 404
    )
    assert client.get(reverse("maintenance:campaign", args=[other.pk])).status_code == 404


def test_students_and_other_campuses_do_not_see_the_board(
    client, campaign, student, other_dispatcher
):
    for user in (student, other_dispatcher):
        client.force_login(user)
        assert client.get(reverse("maintenance:campaign", args=[campaign.pk])).status_code == 404
    client.logout()
    assert client.get(reverse("maintenance:readiness")).status_code == 302


def test_the_board_and_its_excel(client, campaign, worker, dispatcher):
    campaigns.room_task_record(actor=worker, task=task_of(campaign, "111"), done_items=[0, 1])
    client.force_login(dispatcher)
    html = client.get(reverse("maintenance:campaign", args=[campaign.pk])).content.decode()
    assert 'data-testid="board-S01"' in html
    index = client.get(reverse("maintenance:readiness")).content.decode()
    assert f'data-testid="campaign-{campaign.pk}"' in index
    export = client.get(reverse("maintenance:campaign_export", args=[campaign.pk]))
    assert export.status_code == 200
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")


def test_closing_is_a_post(client, campaign, dispatcher):
    client.force_login(dispatcher)
    url = reverse("maintenance:campaign_close", args=[campaign.pk])
    assert client.get(url).status_code == 405
    client.post(url)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.CLOSED


def test_the_move_in_dashboard_links_to_the_board(client, dispatcher, admin):
    client.force_login(admin)
    html = client.get(reverse("apartments:move_in_dashboard")).content.decode()
    assert reverse("maintenance:readiness") in html


# --- Query budgets ---------------------------------------------------------------------------


def more_rooms(building, n):
    for i in range(n):
        f.RoomFactory(building=building, number=f"5{i:02d}", capacity=2, floor=5)


@pytest.mark.parametrize("n", [2, 10])
def test_the_board_query_count_does_not_grow(
    client, dispatcher, campus, s01, s02, rooms, n, django_assert_num_queries
):
    more_rooms(s01, n)
    more_rooms(s02, n)
    campaign = campaigns.campaign_start(
        actor=dispatcher,
        campus=campus,
        name="x",
        buildings=[s01, s02],
        checklist=["a"],
        move_in_date=date(2026, 9, 1),
    )
    client.force_login(dispatcher)
    url = reverse("maintenance:campaign", args=[campaign.pk])
    client.get(url)
    # session, user with grants, the campaign, the board's one aggregate; for a manager the
    # cost: its tickets' figures, their materials, per technician
    with django_assert_num_queries(BOARD_QUERIES):
        client.get(url)


@pytest.mark.parametrize("n", [2, 10])
def test_the_room_list_query_count_does_not_grow(
    client, dispatcher, campus, s01, rooms, worker, n, django_assert_num_queries
):
    more_rooms(s01, n)
    campaign = campaigns.campaign_start(
        actor=dispatcher,
        campus=campus,
        name="x",
        buildings=[s01],
        checklist=["a"],
        move_in_date=date(2026, 9, 1),
    )
    for number in ("111", "112"):
        campaigns.room_fault_report(
            actor=worker,
            task=task_of(campaign, number),
            category=f.category("electrical"),
            description="Lamp",
        )
    client.force_login(worker)
    url = reverse("maintenance:campaign_building", args=[campaign.pk, s01.pk])
    client.get(url)
    # session, user with grants, the campaign, the building, the rooms with their state,
    # the blocking tickets, the rooms the worker may work
    with django_assert_num_queries(ROOMS_QUERIES):
        response = client.get(url)
    assert response.content.decode().count('data-testid="open-room-') == 3 + n


def test_the_room_page_query_count(client, campaign, worker, django_assert_num_queries):
    task = task_of(campaign, "111")
    client.force_login(worker)
    url = reverse("maintenance:room_task", args=[task.pk])
    client.get(url)
    # session, user with grants, the task with campaign, room and building, its open tickets,
    # the fault categories
    with django_assert_num_queries(ROOM_QUERIES):
        client.get(url)


BOARD_QUERIES = 7
ROOMS_QUERIES = 7
ROOM_QUERIES = 6
