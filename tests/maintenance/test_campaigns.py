"""Readiness campaigns: starting one holds its rooms back from the desk, a room is ready when its
checklist is done and it has no open repair, and a fault found becomes a ticket of the campaign
that blocks the room until the technician finishes."""

from datetime import date

import pytest

from apartments.models import Room
from logistics.models import AuditEvent
from maintenance import campaigns, services
from maintenance.models import Campaign, RoomTask, Ticket
from tests import factories as f

pytestmark = pytest.mark.django_db

MOVE_IN = date(2026, 9, 1)


def start(actor, campus, buildings, checklist=("Fittings", "Cleaned")):
    return campaigns.campaign_start(
        actor=actor,
        campus=campus,
        name="2026 summer",
        buildings=buildings,
        checklist=checklist,
        move_in_date=MOVE_IN,
    )


def ready(room) -> bool:
    return Room.objects.get(pk=room.pk).ready


@pytest.fixture
def campaign(dispatcher, campus, s01, rooms):
    return start(dispatcher, campus, [s01])


def task_of(campaign, room):
    return RoomTask.objects.get(campaign=campaign, room=room)


def test_starting_a_campaign_creates_a_task_per_room_and_holds_the_rooms_back(
    dispatcher, campus, s01, rooms
):
    # When the dispatcher starts a campaign for S01
    campaign = start(dispatcher, campus, [s01])
    # Then every room of S01 has a task, not started, and is not ready; S02's room is untouched
    tasks = RoomTask.objects.filter(campaign=campaign)
    assert sorted(t.room.number for t in tasks) == ["111", "112", "113"]
    assert {t.status for t in tasks} == {RoomTask.Status.NOT_STARTED}
    assert not ready(rooms["111"])
    assert ready(rooms["211"])
    assert AuditEvent.objects.filter(action="campaign.start").count() == 1


def test_a_building_cannot_be_in_two_open_campaigns(dispatcher, campus, s01, s02, campaign):
    with pytest.raises(campaigns.CampaignError):
        start(dispatcher, campus, [s01, s02])
    # Nothing of the refused campaign is left
    assert Campaign.objects.count() == 1
    assert ready(Room.objects.get(number="211"))


@pytest.mark.parametrize(
    ("name", "checklist", "field"),
    [("", ["a"], "name"), ("x", [], "checklist"), ("x", [" "], "checklist")],
)
def test_bad_input_is_refused_with_its_field(dispatcher, campus, s01, name, checklist, field):
    with pytest.raises(campaigns.CampaignInvalid) as error:
        campaigns.campaign_start(
            actor=dispatcher,
            campus=campus,
            name=name,
            buildings=[s01],
            checklist=checklist,
            move_in_date=MOVE_IN,
        )
    assert error.value.field == field
    assert not Campaign.objects.exists()


def test_only_a_manager_of_the_campus_starts_one(other_dispatcher, worker, campus, s01):
    for user in (other_dispatcher, worker):
        with pytest.raises(services.NotAllowed):
            start(user, campus, [s01])


def test_a_room_is_ready_when_its_checklist_is_done(campaign, worker, rooms):
    task = task_of(campaign, rooms["111"])
    # When the worker ticks the first item: in progress, not ready
    task = campaigns.room_task_record(actor=worker, task=task, done_items=[0])
    assert task.status == RoomTask.Status.IN_PROGRESS
    assert not ready(rooms["111"])
    # When they tick both: done and ready
    task = campaigns.room_task_record(actor=worker, task=task, done_items=[0, 1])
    assert task.status == RoomTask.Status.DONE
    assert task.done_at is not None
    assert ready(rooms["111"])
    # Unticking one makes it not ready again
    campaigns.room_task_record(actor=worker, task=task, done_items=[1])
    assert not ready(rooms["111"])


def test_an_item_outside_the_checklist_is_refused(campaign, worker, rooms):
    task = task_of(campaign, rooms["111"])
    with pytest.raises(campaigns.CampaignInvalid):
        campaigns.room_task_record(actor=worker, task=task, done_items=[0, 2])
    assert task_of(campaign, rooms["111"]).status == RoomTask.Status.NOT_STARTED


def test_a_worker_of_another_building_cannot_record_a_room(campaign, rooms, other_dispatcher):
    task = task_of(campaign, rooms["111"])
    with pytest.raises(services.NotAllowed):
        campaigns.room_task_record(actor=other_dispatcher, task=task, done_items=[0, 1])


def test_a_room_with_an_open_ticket_is_never_ready(
    campaign, worker, rooms, dispatcher, electrician
):
    # Given a worker finds a broken lamp in 111 and reports it
    task = task_of(campaign, rooms["111"])
    ticket = campaigns.room_fault_report(
        actor=worker,
        task=task,
        category=f.category("electrical"),
        description="Broken lamp",
    )
    # Then the ticket is in the queue, linked to the campaign, reported by the worker
    assert ticket.campaign == campaign and ticket.room == rooms["111"]
    assert ticket.status == Ticket.Status.SUBMITTED and ticket.reporter == worker
    # When the checklist is done, the room is still not ready: the ticket is open
    campaigns.room_task_record(actor=worker, task=task, done_items=[0, 1])
    assert not ready(rooms["111"])
    states = {
        t.room.number: t.state
        for t in campaigns.building_tasks(dispatcher, campaign, task.building_id)
    }
    assert states["111"] == campaigns.State.BLOCKED
    # When the technician is assigned, starts and finishes
    services.ticket_assign(actor=dispatcher, ticket=ticket, technician=electrician)
    services.ticket_start(actor=electrician, ticket=ticket)
    assert not ready(rooms["111"])
    services.ticket_finish(actor=electrician, ticket=ticket, labour_minutes=20)
    # Then the room is ready
    assert ready(rooms["111"])


def test_a_ticket_filed_by_a_resident_blocks_a_done_room_and_its_cancellation_frees_it(
    campaign, worker, rooms, dispatcher
):
    task = task_of(campaign, rooms["112"])
    campaigns.room_task_record(actor=worker, task=task, done_items=[0, 1])
    assert ready(rooms["112"])
    student = f.resident_living_in(rooms["112"]).user
    ticket = services.ticket_file(
        reporter=student, category=f.category("plumbing"), description="Tap drips"
    )
    assert not ready(rooms["112"])
    services.ticket_cancel(actor=dispatcher, ticket=ticket, reason="Duplicate")
    assert ready(rooms["112"])


def test_a_ticket_outside_a_campaign_leaves_the_flag_alone(rooms):
    # S02 is in no campaign: a ticket there does not hold its room back from the desk
    student = f.resident_living_in(rooms["211"]).user
    services.ticket_file(reporter=student, category=f.category("plumbing"), description="Tap")
    assert ready(rooms["211"])


def test_closing_a_campaign_releases_its_unfinished_rooms(campaign, dispatcher, rooms):
    campaigns.campaign_close(actor=dispatcher, campaign=campaign)
    assert ready(rooms["111"])
    with pytest.raises(services.WrongStatus):
        campaigns.campaign_close(actor=dispatcher, campaign=campaign)


def test_the_board_counts_per_building_and_forecasts(campaign, worker, rooms, dispatcher):
    campaigns.room_task_record(
        actor=worker, task=task_of(campaign, rooms["111"]), done_items=[0, 1]
    )
    campaigns.room_task_record(actor=worker, task=task_of(campaign, rooms["112"]), done_items=[0])
    campaigns.room_fault_report(
        actor=worker,
        task=task_of(campaign, rooms["113"]),
        category=f.category("electrical"),
        description="Lamp",
    )
    board = campaigns.board(dispatcher, campaign, today=date(2026, 8, 20))
    (row,) = board.rows
    counts = (row.code, row.total, row.ready, row.in_progress, row.blocked, row.not_started)
    assert counts == ("S01", 3, 1, 1, 1, 0)
    # One room done in the last week: 1/7 a day, two left → 14 days: after 1 September
    assert row.forecast.finish == date(2026, 9, 3)
    assert row.forecast.late
    assert board.total.ready == 1


def test_forecast_arithmetic():
    on_time = campaigns.forecast(
        remaining=10, recent=14, move_in_date=MOVE_IN, today=date(2026, 8, 20)
    )
    assert on_time.finish == date(2026, 8, 25) and not on_time.late
    stalled = campaigns.forecast(
        remaining=3, recent=0, move_in_date=MOVE_IN, today=date(2026, 8, 20)
    )
    assert stalled.finish is None and stalled.late
    done = campaigns.forecast(remaining=0, recent=0, move_in_date=MOVE_IN, today=date(2026, 8, 20))
    assert done.done and not done.late


def test_the_worker_sees_their_building_only(campaign, worker, rooms, dispatcher, campus, s02):
    other = start(dispatcher, campus, [s02])
    assert set(campaigns.workable_tasks(worker).values_list("building__code", flat=True)) == {"S01"}
    assert set(campaigns.campaigns_for(worker)) == {campaign}
    assert set(campaigns.campaigns_for(dispatcher)) == {campaign, other}
