"""The demo's planned work: a summer campaign half done on S02 with one room blocked by a broken
lamp, and preventive schedules for water heaters and extinguishers; loading twice changes
nothing."""

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from logistics.models import User
from logistics.nightly import run_job
from maintenance import campaigns
from maintenance.demo import CAMPAIGN_NAME, HEATER_ROOMS_SCHEDULE, LAMP_FAULT, PUMP_SCHEDULE
from maintenance.models import Campaign, RoomTask, Schedule, Ticket

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_summer_campaign_half_done_and_schedules(client):
    call_command("seed_demo", verbosity=0)
    counts = (RoomTask.objects.count(), Schedule.objects.count(), Ticket.objects.count())
    call_command("seed_demo", verbosity=0)
    assert (RoomTask.objects.count(), Schedule.objects.count(), Ticket.objects.count()) == counts

    campaign = Campaign.objects.get(name=CAMPAIGN_NAME)
    dispatcher = User.objects.get(username="dispatcher")
    board = campaigns.board(dispatcher, campaign)
    total = board.total
    assert total.ready == total.total // 2
    assert total.blocked == 1
    assert Ticket.objects.get(description=LAMP_FAULT).campaign == campaign
    names = set(Schedule.objects.values_list("name", flat=True))
    assert {"热水器除垢保养", "灭火器月检"} <= names

    # A schedule for every S01 room holding a water heater, and a pump serviced every 500 h
    # of its meter, whose 5,000-hour service falls due at the next nightly run.
    heaters = Schedule.objects.get(name=HEATER_ROOMS_SCHEDULE)
    assert heaters.asset_type.code == "water-heater" and heaters.room_id is None
    assert heaters.building.code == "S01"
    pump = Schedule.objects.get(name=PUMP_SCHEDULE)
    assert pump.unit == "meter" and pump.meter.readings.count() == 4
    assert pump.meter.reading >= pump.next_reading
    run_job("maintenance.preventive", timezone.localdate(), trigger="test", automatic=False)
    assert Ticket.objects.filter(schedule=pump, due_reading=5000).count() == 1

    client.force_login(dispatcher)
    assert client.get(reverse("maintenance:schedule", args=[heaters.pk])).status_code == 200
    assert client.get(reverse("maintenance:meter", args=[pump.meter_id])).status_code == 200
    assert client.get(reverse("maintenance:campaign", args=[campaign.pk])).status_code == 200
    assert client.get(reverse("maintenance:schedules")).status_code == 200
