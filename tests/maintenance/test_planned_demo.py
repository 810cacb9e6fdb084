"""The demo's planned work: a summer campaign half done on S02 with one room blocked by a broken
lamp, and preventive schedules for water heaters and extinguishers; loading twice changes
nothing."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from logistics.models import User
from maintenance import campaigns
from maintenance.demo import CAMPAIGN_NAME, LAMP_FAULT
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

    client.force_login(dispatcher)
    assert client.get(reverse("maintenance:campaign", args=[campaign.pk])).status_code == 200
    assert client.get(reverse("maintenance:schedules")).status_code == 200
