"""The last checklist item ticked and the last repair finished at the same instant (PostgreSQL
only): maintenance.readiness locks the room's row before deciding, so whichever commits second
sees the other's change and the room ends ready, every time."""

from datetime import date

import pytest

from apartments.models import BuildingAssignment, GenderPolicy, Room
from logistics.models import Role
from maintenance import campaigns, services
from maintenance.models import RoomTask
from tests import factories as f
from tests.conftest import requires_postgres
from tests.threads import race

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("attempt", range(3))
def test_a_room_is_ready_whichever_of_the_last_two_steps_commits_last(attempt):
    campus = f.CampusFactory()
    building = f.BuildingFactory(campus=campus)
    room = f.RoomFactory(building=building, number="101", capacity=2, gender=GenderPolicy.MALE)
    dispatcher = f.dispatcher(campus)
    worker = f.user_with_role(Role.SHIFT_LEAD)
    BuildingAssignment.objects.create(building=building, user=worker, role=Role.SHIFT_LEAD)
    electrician = f.technician(campus, skills=["electrical"])
    campaign = campaigns.campaign_start(
        actor=dispatcher,
        campus=campus,
        name="Summer",
        buildings=[building],
        checklist=["Fittings", "Cleaned"],
        move_in_date=date(2026, 9, 1),
    )
    task = RoomTask.objects.get(campaign=campaign, room=room)
    ticket = campaigns.room_fault_report(
        actor=worker, task=task, category=f.category("electrical"), description="Lamp"
    )
    services.ticket_assign(actor=dispatcher, ticket=ticket, technician=electrician)
    services.ticket_start(actor=electrician, ticket=ticket)
    campaigns.room_task_record(actor=worker, task=task, done_items=[0])

    def step(i):
        if i == 0:
            campaigns.room_task_record(actor=worker, task=task, done_items=[0, 1])
        else:
            services.ticket_finish(actor=electrician, ticket=ticket, labour_minutes=10)

    race(2, step)
    assert Room.objects.get(pk=room.pk).ready
